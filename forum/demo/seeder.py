"""DemoSeeder: makes the demo data a Plan describes, in one transaction."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.management.color import no_style
from django.db import connection, models, transaction

from accounts.models import Organisation, User
from forum.demo.discussions import Discussions
from forum.demo.loader import BIG_TABLES, IndexesSetAside, Loader
from forum.demo.people import People
from forum.demo.plan import (
    AGREE_COUNTS,
    DEMO_NOTE,
    STANCES,
    TEMPLATE_COUNT,
    VECTOR_CACHE_LIMIT,
    WINDOW_DAYS,
    DemoError,
    Plan,
    cumulative,
    demo_members,
    real_members,
)
from forum.demo.planning import Planning
from forum.demo.texts import build_templates, mention_link_pattern
from forum.models import (
    Agreement,
    Comment,
    CommentRevision,
    Mention,
    Notification,
    ParagraphDiscussion,
    Theme,
    ThemeFollow,
    ThemePassage,
    Thread,
    ThreadFollow,
    ThreadReadState,
)
from forum.posting.counters import recount_paragraph, recount_theme


@dataclass
class Result:
    plan: Plan
    counts: dict = field(default_factory=dict)
    hot_thread_id: int = 0
    demo_member_email: str = ""



class DemoSeeder(People, Discussions, Planning):
    """Makes the demo data described by a Plan. Call `run()` inside nothing: it opens its own
    transaction."""

    def __init__(self, plan: Plan, *, progress: bool = True, log: Callable[[str], None] | None = None,
                 password: str | None = None):
        self.plan = plan
        self.progress = progress
        self.log = log or (lambda message: None)
        self.password = password
        self.rng = random.Random(plan.seed)
        self.until = plan.until
        self.start = plan.until - timedelta(days=WINDOW_DAYS)
        self.loader = Loader(until=plan.until, explicit_pk=[User, Organisation, Thread, Comment])
        self.vectors: dict[tuple[str | None, str], str] = {}
        if self.loader.postgres:
            self.loader.before_write[Comment] = self._fill_vectors

    # Entry point ----------------------------------------------------------------------------

    def run(self) -> Result:
        result = Result(plan=self.plan)
        with transaction.atomic():
            indexes = IndexesSetAside(BIG_TABLES)
            indexes.drop()
            self._prepare()
            self._organisations()
            self._members()
            self._threads()
            self.loader.flush_all(order=[Organisation, User, Thread, Comment])
            self.log("Rebuilding indexes and counting…")
            indexes.rebuild()
            self._finish()
            self._place_on_map()
        result.counts = self._counts()
        result.hot_thread_id = self.hot_thread_id
        result.demo_member_email = self.members[self.demo_member].email
        return result

    # Setup ----------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        self.themes = list(Theme.objects.order_by("position", "pk"))
        if not self.themes:
            raise DemoError("There are no themes to discuss. Run import_articles and load_themes first.")
        passages = ThemePassage.objects.filter(paragraph__isnull=False).select_related("paragraph__section__article")
        self.paragraphs: dict[int, list] = defaultdict(list)
        for passage in passages.order_by("theme_id", "position", "pk"):
            self.paragraphs[passage.theme_id].append(passage.paragraph)
        self.next_id = {}
        for model in (User, Organisation, Thread, Comment):
            highest = model.objects.aggregate(highest=models.Max("pk"))["highest"] or 0
            self.next_id[model] = highest + 1
        self.templates = build_templates(self.rng, TEMPLATE_COUNT)
        self.link_pattern = mention_link_pattern()
        self.quote_cache: dict[tuple[int, int], tuple[str, str, str]] = {}
        self.stance_values = [value for value, _ in STANCES]
        self.stance_weights = list(cumulative(weight for _, weight in STANCES))
        self.agree_values = [value for value, _ in AGREE_COUNTS]
        self.agree_weights = list(cumulative(weight for _, weight in AGREE_COUNTS))
        self.counts_by_kind: Counter = Counter()

    def _take_id(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value


    # Search vectors (PostgreSQL) ------------------------------------------------------------------------

    def _fill_vectors(self, rows: list[dict]) -> None:
        """Give each comment row the vector forum.search would store: its text at weight B, and for
        an opening comment its discussion's title at weight A before it."""
        wanted: dict[tuple[str | None, str], None] = {}
        for row in rows:
            key = (row.pop("_title", None), row["body"])
            row["_key"] = key
            if key not in self.vectors:
                wanted[key] = None
        computed = {}
        if wanted:
            keys = list(wanted)
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    SELECT CASE WHEN x.title IS NULL
                                THEN setweight(to_tsvector('english'::regconfig, COALESCE(x.body, '')), 'B')
                                ELSE setweight(to_tsvector('english'::regconfig, COALESCE(x.title, '')), 'A')
                                     || setweight(to_tsvector('english'::regconfig, COALESCE(x.body, '')), 'B')
                           END::text
                    FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS x(title, body, n)
                    ORDER BY x.n
                    """,
                    [[k[0] for k in keys], [k[1] for k in keys]],
                )
                for key, (vector,) in zip(keys, cursor.fetchall(), strict=True):
                    computed[key] = vector
                    if key[0] is None and len(self.vectors) < VECTOR_CACHE_LIMIT:
                        self.vectors[key] = vector
        for row in rows:
            key = row.pop("_key")
            vector = self.vectors.get(key)
            row["search_vector"] = computed[key] if vector is None else vector


    # Finishing ----------------------------------------------------------------------------------------------

    def _finish(self) -> None:
        existing = set(
            ParagraphDiscussion.objects.filter(paragraph_id__in=self.anchored).values_list("paragraph_id", flat=True)
        )
        ParagraphDiscussion.objects.bulk_create(
            [ParagraphDiscussion(paragraph_id=pk) for pk in sorted(self.anchored - existing)]
        )
        for paragraph_id in sorted(self.anchored):
            recount_paragraph(paragraph_id)
        for theme in self.themes:
            recount_theme(theme.pk)
        if self.loader.postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE forum_thread SET search_vector = "
                    "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A') WHERE search_vector IS NULL"
                )
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [User, Organisation, Thread, Comment]):
                cursor.execute(statement)

    def _counts(self) -> dict:
        written = self.loader.written
        return {
            "members": written[User],
            "organisations": written[Organisation],
            "threads": written[Thread],
            "comments": written[Comment],
            "hot_thread_comments": self.plan.hot_comments,
            "revisions": written[CommentRevision],
            "agreements": written[Agreement],
            "mentions": written[Mention],
            "notifications": written[Notification],
            "thread_follows": written[ThreadFollow],
            "theme_follows": written[ThemeFollow],
            "read_states": written[ThreadReadState],
            "needs_and_offers": len(getattr(self, "map_specs", [])),
        }




def analyse_after_seeding() -> None:
    """Bring the planner's statistics and the visibility map up to date (PostgreSQL), so the
    first queries after a big load use the indexes and can answer from them alone."""
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (User, Thread, *BIG_TABLES)]
    # VACUUM cannot run inside a transaction (as in tests); ANALYZE alone can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")


def remove_demo_data() -> int:
    """Delete every demo member and all forum activity (only allowed when no real member exists:
    then every thread and comment is demo content). Themes and source texts stay. Returns the
    number of demo members removed."""
    if real_members().exists():
        raise DemoError("This database holds real members, so demo data cannot be told apart safely.")
    removed = demo_members().count()
    tables = [User._meta.db_table, Thread._meta.db_table, Comment._meta.db_table]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True):
            cursor.execute(statement)
        Organisation.objects.filter(notes=DEMO_NOTE).delete()
        ParagraphDiscussion.objects.all().delete()
        Theme.objects.update(thread_count=0, comment_count=0, last_activity_at=None, participant_groups=[])
    return removed
