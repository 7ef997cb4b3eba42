"""Demo data at scale, for demonstrations and the benchmark (`manage.py seed_demo`).

`--scale 1` is about 10,000 comments; `--scale 100` about 1,000,000. Whatever the scale, one
"hot" discussion has at least 5,000 comments, so deep pages exist to measure.

How it stays fast:

- rows are generated in Python and written in batches: PostgreSQL's COPY (psycopg 3's
  `cursor.copy`) on PostgreSQL, `bulk_create` elsewhere. Primary keys of members, threads and
  comments are handed out here, so replies, quotes and agreements point at rows not yet written;
- everything happens in one transaction. On PostgreSQL the secondary indexes of the big tables
  are dropped first and rebuilt once at the end (DDL is transactional, so a failed run leaves
  the database exactly as it was);
- comment bodies come from a small set of templates rendered to HTML once; a mention or a quote
  puts a name into a template's rendered HTML by string replacement, exactly as the renderer
  would have linked it. Search vectors are computed by PostgreSQL once per distinct text and
  written with the rows.

What it makes is consistent: every counter (thread and theme comment counts, last activity,
stakeholder groups, paragraph figures, agreement figures) matches the rows, search vectors are
filled, every comment has its revisions and mentions, and follows and read positions are what
posting would have left.

Demo members have addresses at @demo.invalid (a reserved domain that can never receive mail).
That is how a database holding real members is recognised: seeding refuses to touch one unless
forced.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils.text import slugify

from accounts.models import AffiliationSource, Organisation, OrganisationType, User
from accounts.validators import name_key
from config.markdown import RENDERER_VERSION, render_markdown
from forum import demo_content as content
from forum.models import (
    Agreement,
    Comment,
    CommentRevision,
    EmailFrequency,
    FollowLevel,
    Mention,
    Notification,
    NotificationKind,
    NotificationPreference,
    ParagraphDiscussion,
    PostedAs,
    Theme,
    ThemeFollow,
    ThemePassage,
    Thread,
    ThreadFollow,
    ThreadReadState,
)
from forum.rendering import link_mentions

DEMO_DOMAIN = "demo.invalid"
DEMO_NOTE = "Demo data made by manage.py seed_demo; removed by seed_demo --replace."
COMMENTS_PER_SCALE = 10_000
THREADS_PER_SCALE = 400
MEMBERS_PER_SCALE = 500
HOT_MINIMUM = 5_000
WINDOW_DAYS = 180
TEMPLATE_COUNT = 64
BATCH_SIZE = 20_000
# Enough distinct texts to cover the templates and their common variants; rarer texts (quotes of
# one member by another) have their search vector computed with their batch and not kept.
VECTOR_CACHE_LIMIT = 20_000
# Stands for a member's name in a template until the name is known.
TOKEN = '@"MENTIONTOKEN"'  # noqa: S105 - not a password

# Weights, in hundredths unless said otherwise.
STANCES = [("", 55), ("support", 15), ("concern", 12), ("question", 10), ("evidence", 8)]
AGREE_COUNTS = [(0, 52), (1, 20), (2, 10), (3, 7), (4, 4), (5, 3), (8, 2), (14, 1), (25, 1)]
REPLY_SHARE = 0.30
QUOTE_SHARE = 0.04
MENTION_SHARE = 0.05
HIDDEN_SHARE = 0.004
DELETED_SHARE = 0.003
PENDING_SHARE = 0.001
EDITED_SHARE = 0.02
STAFF_SHARE = 0.003
REGULAR_SHARE = 0.35
ANCHORED_SHARE = 0.25
WATCH_NOTICE_DAYS = 14
UNREAD_DAYS = 3


class DemoError(Exception):
    """Seeding cannot go ahead; the message says why and what to do."""


def is_demo_address(email: str) -> bool:
    return email.lower().endswith("@" + DEMO_DOMAIN)


def real_members():
    """Accounts that are not demo members: their presence means the database is not a demo."""
    return User.objects.exclude(email__iendswith="@" + DEMO_DOMAIN)


def demo_members():
    return User.objects.filter(email__iendswith="@" + DEMO_DOMAIN)


@dataclass(frozen=True)
class Plan:
    """How much to make. Sizes grow linearly with `scale`; the hot thread has at least 5,000."""

    scale: float
    seed: int
    until: datetime
    members: int
    threads: int
    comments: int
    hot_comments: int

    @classmethod
    def build(cls, scale: float, *, seed: int = 1, until: date | None = None, hot_comments: int | None = None):
        if scale <= 0:
            raise DemoError("--scale must be more than 0.")
        comments = round(COMMENTS_PER_SCALE * scale)
        threads = max(2 * len(content.TITLES) // 3, round(THREADS_PER_SCALE * scale))
        members = max(40, round(MEMBERS_PER_SCALE * scale))
        hot = hot_comments if hot_comments is not None else max(HOT_MINIMUM, comments // 20)
        if hot < 1:
            raise DemoError("--hot-comments must be at least 1.")
        # Every other thread has at least its opening comment.
        comments = max(comments, hot + threads - 1)
        day = until or datetime.now(UTC).date()
        return cls(
            scale=scale,
            seed=seed,
            until=datetime.combine(day, time.min, tzinfo=UTC),
            members=members,
            threads=threads,
            comments=comments,
            hot_comments=hot,
        )


# Writing rows -----------------------------------------------------------------------------------


@dataclass
class _Table:
    model: type[models.Model]
    fields: list
    columns: list[str]
    json_fields: set[str]
    defaults: dict


class Loader:
    """Buffers rows (dicts keyed by attribute name) and writes them in batches.

    PostgreSQL: one COPY per batch, text format, values adapted by psycopg. Elsewhere:
    `bulk_create`. Fields a row leaves out get their model default, so a column added to a model
    later does not break seeding. Only the models in `explicit_pk` take the primary key from the
    row; the others get theirs from the database.
    """

    def __init__(self, *, until: datetime, explicit_pk: Iterable[type[models.Model]], batch_size: int = BATCH_SIZE):
        self.postgres = connection.vendor == "postgresql"
        self.until = until
        self.explicit_pk = set(explicit_pk)
        self.batch_size = batch_size
        self.buffers: dict[type, list[dict]] = defaultdict(list)
        self.tables: dict[type, _Table] = {}
        self.written: Counter = Counter()
        self.before_write: dict[type, Callable[[list[dict]], None]] = {}

    def _table(self, model) -> _Table:
        table = self.tables.get(model)
        if table is None:
            fields = []
            for f in model._meta.concrete_fields:
                if f.primary_key and model not in self.explicit_pk:
                    continue
                if not self.postgres and f.get_internal_type() == "SearchVectorField":
                    continue
                fields.append(f)
            defaults = {}
            for f in fields:
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    defaults[f.attname] = self.until
                elif f.has_default():
                    defaults[f.attname] = f.get_default()
                elif f.null:
                    defaults[f.attname] = None
                else:
                    defaults[f.attname] = "" if isinstance(f, (models.CharField, models.TextField)) else None
            table = _Table(
                model=model,
                fields=fields,
                columns=[f.column for f in fields],
                json_fields={f.attname for f in fields if isinstance(f, models.JSONField)},
                defaults=defaults,
            )
            self.tables[model] = table
        return table

    def add(self, model, row: dict) -> None:
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= self.batch_size:
            self.flush(model)

    def flush(self, model) -> None:
        rows = self.buffers.pop(model, None)
        if not rows:
            return
        if model in self.before_write:
            self.before_write[model](rows)
        table = self._table(model)
        if self.postgres:
            self._copy(table, rows)
        else:
            self._bulk_create(table, rows)
        self.written[model] += len(rows)

    def flush_all(self, order: Iterable[type] = ()) -> None:
        for model in [*order, *list(self.buffers)]:
            self.flush(model)

    def _copy(self, table: _Table, rows: list[dict]) -> None:
        names = [f.attname for f in table.fields]
        defaults = table.defaults
        json_fields = table.json_fields
        quoted = ", ".join(connection.ops.quote_name(c) for c in table.columns)
        sql = f"COPY {connection.ops.quote_name(table.model._meta.db_table)} ({quoted}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                values = []
                for name in names:
                    value = row.get(name, defaults[name])
                    if name in json_fields:
                        value = json.dumps(value)
                    values.append(value)
                copy.write_row(values)

    def _bulk_create(self, table: _Table, rows: list[dict]) -> None:
        model = table.model
        names = [f.attname for f in table.fields]
        objects = [model(**{name: row.get(name, table.defaults[name]) for name in names}) for row in rows]
        model.objects.bulk_create(objects, batch_size=500)


# Secondary indexes on PostgreSQL ----------------------------------------------------------------

BIG_TABLES = [
    Comment,
    CommentRevision,
    Agreement,
    Mention,
    Notification,
    ThreadFollow,
    ThreadReadState,
]


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes on `tables` that back no constraint (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s)
              AND t.relnamespace = 'public'::regnamespace
              AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY t.relname, i.relname
            """,
            [tables],
        )
        return list(cursor.fetchall())


class _IndexesSetAside:
    """Drop the secondary indexes of the big tables now and rebuild them at the end (PostgreSQL).

    Used inside the seeding transaction: if anything fails the drops are rolled back with it.
    """

    def __init__(self, models_: list[type[models.Model]]):
        self.tables = [m._meta.db_table for m in models_]
        self.indexes: list[tuple[str, str]] = []

    def drop(self) -> None:
        if connection.vendor != "postgresql":
            return
        self.indexes = _secondary_indexes(self.tables)
        with connection.cursor() as cursor:
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def rebuild(self) -> None:
        if not self.indexes:
            return
        with connection.cursor() as cursor:
            # Foreign keys are checked at commit by default; an index cannot be built while those
            # checks wait, so run them now (every referenced row has been written by this point).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _name, definition in self.indexes:
                cursor.execute(definition)


# Templates ----------------------------------------------------------------------------------------


@dataclass
class _Template:
    markdown: str
    html: str
    edited_markdown: str = ""
    edited_html: str = ""
    mention_markdown: str = ""
    mention_html: str = ""


def _build_templates(rng: random.Random, count: int) -> list[_Template]:
    """`count` comment bodies assembled from the sentence pool, each rendered once."""
    templates = []
    for _ in range(count):
        paragraphs = []
        for _p in range(rng.choice([1, 1, 2, 2, 3])):
            sentences = rng.sample(content.SENTENCES, rng.choice([1, 2, 2, 3]))
            paragraphs.append(" ".join(sentences))
        extra = rng.random()
        if extra < 0.18:
            items = rng.sample(content.LIST_ITEMS, rng.choice([2, 3, 4]))
            paragraphs.append("What would help most:\n\n" + "\n".join(f"- {item}" for item in items))
        elif extra < 0.30:
            words = paragraphs[0].split()
            cut = rng.randrange(1, max(2, len(words) - 2))
            words[cut] = f"**{words[cut]}**"
            paragraphs[0] = " ".join(words)
        elif extra < 0.36:
            label, url = rng.choice(content.LINKS)
            paragraphs.append(f"There is more in [{label}]({url}).")
        if rng.random() < 0.35:
            paragraphs.append(rng.choice(content.QUESTIONS))
        markdown = "\n\n".join(paragraphs)
        edited = f"{markdown}\n\n{content.EDIT_NOTE}"
        mention = f"{TOKEN} {markdown}"
        templates.append(
            _Template(
                markdown=markdown,
                html=render_markdown(markdown),
                edited_markdown=edited,
                edited_html=render_markdown(edited),
                mention_markdown=mention,
                mention_html=render_markdown(mention),
            )
        )
    return templates


def _mention_link_pattern() -> str:
    """The HTML the renderer makes of a mention, with NAME and URL as placeholders."""
    sample = "Qqname Qqname"
    stub = SimpleNamespace(display_name=sample, get_absolute_url=lambda: "/QQURL/")
    html = link_mentions(render_markdown(TOKEN.replace("MENTIONTOKEN", sample)), {name_key(sample): stub})
    start, end = html.index("<a "), html.index("</a>") + len("</a>")
    return html[start:end].replace("Qqname Qqname", "{name}").replace("/QQURL/", "{url}")


# The seeder -----------------------------------------------------------------------------------------


@dataclass
class _Member:
    id: int
    name: str
    group: str
    url: str
    email: str


@dataclass
class _ThreadSpec:
    id: int
    theme: Theme
    author: int  # index into members
    created_at: datetime
    size: int
    title: str
    anchor: object | None = None
    pinned: bool = False
    locked: bool = False


@dataclass
class _Posted:
    """What later comments of the same thread need to know about an earlier one."""

    id: int
    author: int
    template: int  # -1 when the body is not a plain template (it cannot be quoted)
    public: bool


@dataclass
class Result:
    plan: Plan
    counts: dict = field(default_factory=dict)
    hot_thread_id: int = 0
    demo_member_email: str = ""


class DemoSeeder:
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
            indexes = _IndexesSetAside(BIG_TABLES)
            indexes.drop()
            self._prepare()
            self._organisations()
            self._members()
            self._threads()
            self.loader.flush_all(order=[Organisation, User, Thread, Comment])
            self.log("Rebuilding indexes and counting…")
            indexes.rebuild()
            self._finish()
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
        self.templates = _build_templates(self.rng, TEMPLATE_COUNT)
        self.link_pattern = _mention_link_pattern()
        self.quote_cache: dict[tuple[int, int], tuple[str, str, str]] = {}
        self.stance_values = [value for value, _ in STANCES]
        self.stance_weights = list(_cumulative(weight for _, weight in STANCES))
        self.agree_values = [value for value, _ in AGREE_COUNTS]
        self.agree_weights = list(_cumulative(weight for _, weight in AGREE_COUNTS))
        self.counts_by_kind: Counter = Counter()

    def _take_id(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def _organisations(self) -> None:
        self.organisations: dict[str, list[tuple[int, str]]] = {}
        types = {
            "nhs": OrganisationType.NHS_TRUST,
            "independent": OrganisationType.INDEPENDENT_PROVIDER,
            "icb": OrganisationType.ICB,
            "local_authority": OrganisationType.LOCAL_AUTHORITY,
            "social_care": OrganisationType.SOCIAL_CARE_PROVIDER,
            "vcse": OrganisationType.VCSE,
            "patient_public": OrganisationType.OTHER,
            "other": OrganisationType.OTHER,
        }
        taken = set(Organisation.objects.values_list("name", flat=True))
        places = content.PLACES[:]
        self.rng.shuffle(places)
        for group, (_weight, patterns, _jobs) in content.GROUPS.items():
            found = []
            for place in places[:6]:
                name = self.rng.choice(patterns).format(place=place)
                if name in taken:
                    continue
                taken.add(name)
                pk = self._take_id(Organisation)
                self.loader.add(
                    Organisation,
                    {
                        "id": pk,
                        "name": name,
                        "organisation_type": types[group],
                        "stakeholder_group": group,
                        "region": place,
                        "notes": DEMO_NOTE,
                        "created_at": self.start,
                        "updated_at": self.start,
                    },
                )
                found.append((pk, name))
            self.rng.shuffle(places)
            self.organisations[group] = found

    def _members(self) -> None:
        plan, rng = self.plan, self.rng
        groups = list(content.GROUPS)
        group_weights = list(_cumulative(content.GROUPS[g][0] for g in groups))
        names = self._names(plan.members)
        self.members: list[_Member] = []
        activity = []
        unusable = make_password(None)
        known_password = make_password(self.password) if self.password else None
        specials = {0: content.MODERATOR, 1: content.FACILITATOR, 2: content.DEMO_MEMBER}
        for index in range(plan.members):
            special = specials.get(index)
            if special:
                first, last, group, local = special
                name = f"{first} {last}"
                email = f"{local}@{DEMO_DOMAIN}"
            else:
                name = names[index]
                # Every group has members, whatever the scale: the first members go round them.
                if index - 3 < len(groups):
                    group = groups[index - 3]
                else:
                    group = rng.choices(groups, cum_weights=group_weights)[0]
                email = f"{slugify(name).replace('-', '.')}.{index}@{DEMO_DOMAIN}"
            pk = self._take_id(User)
            slug = slugify(name) or "member"
            url = reverse("accounts:profile", kwargs={"pk": pk, "slug": slug})
            member = _Member(id=pk, name=name, group=group, url=url, email=email)
            self.members.append(member)
            _weight, patterns, jobs = content.GROUPS[group]
            orgs = self.organisations.get(group) or [(None, patterns[0].format(place=content.PLACES[0]))]
            org_id, org_name = rng.choice(orgs)
            verified = org_id is not None and rng.random() < 0.6
            joined = self.start - timedelta(days=rng.randrange(1, 400), seconds=rng.randrange(86_400))
            self.loader.add(
                User,
                {
                    "id": pk,
                    "password": known_password if (special and known_password) else unusable,
                    "email": email,
                    "display_name": name,
                    "display_name_key": name_key(name)[:50],
                    "stakeholder_group": group,
                    "organisation_name": org_name,
                    "job_title": rng.choice(jobs),
                    "declared_interests": rng.choice(content.DECLARED_INTERESTS) if rng.random() < 0.1 else "",
                    "affiliation_verified": verified,
                    "affiliation_source": AffiliationSource.MODERATOR if verified else AffiliationSource.SELF_DECLARED,
                    "affiliation_organisation_id": org_id if verified else None,
                    "affiliation_verified_at": joined + timedelta(days=2) if verified else None,
                    "is_active": True,
                    "is_staff": False,
                    "is_superuser": False,
                    "date_joined": joined,
                },
            )
            self._email_address(pk, email)
            # A few members write most of the comments, as in every forum.
            activity.append(min(rng.paretovariate(1.2), 60.0))
        self.activity_weights = list(_cumulative(activity))
        self.member_count = len(self.members)
        self.moderator, self.facilitator, self.demo_member = 0, 1, 2
        self._staff_groups()
        self._member_settings()

    def _names(self, count: int) -> list[str]:
        """`count` display names, unique in the folded form the site compares them in."""
        rng = self.rng
        pairs = [(f, s) for f in content.FIRST_NAMES for s in content.SURNAMES]
        rng.shuffle(pairs)
        taken = {name_key(f"{s[0]} {s[1]}") for s in (content.MODERATOR, content.FACILITATOR, content.DEMO_MEMBER)}
        taken |= set(User.objects.exclude(display_name_key="").values_list("display_name_key", flat=True))
        names = ["", "", ""]
        # Plain "First Last" first, then with a middle initial, then with two.
        middles = ["", *(f"{a}." for a in "ABCDEFGHJKLMNPRSTVW")]
        middles += [f"{a}. {b}." for a in "ABCDEFGHJKLMNPRSTVW" for b in "ABCDEFGHJKLMNPRSTVW"]
        for middle in middles:
            if len(names) >= count:
                break
            for first, last in pairs:
                if len(names) >= count:
                    break
                name = f"{first} {middle} {last}" if middle else f"{first} {last}"
                key = name_key(name)
                if key in taken:
                    continue
                taken.add(key)
                names.append(name)
        return names

    def _email_address(self, user_id: int, email: str) -> None:
        from allauth.account.models import EmailAddress

        self.loader.add(EmailAddress, {"user_id": user_id, "email": email, "verified": True, "primary": True})

    def _staff_groups(self) -> None:
        through = User.groups.through
        for index, name in ((self.moderator, "Moderators"), (self.facilitator, "Facilitators")):
            group = Group.objects.filter(name=name).first()
            if group is not None:
                self.loader.add(through, {"user_id": self.members[index].id, "group_id": group.pk})

    def _member_settings(self) -> None:
        rng = self.rng
        for index, member in enumerate(self.members):
            r = rng.random()
            frequency = None
            if r < 0.15:
                frequency = EmailFrequency.DAILY
            elif r < 0.20:
                frequency = EmailFrequency.WEEKLY
            elif r < 0.23:
                frequency = EmailFrequency.NEVER
            if frequency:
                self.loader.add(
                    NotificationPreference,
                    {"user_id": member.id, "email_frequency": frequency, "email_kinds": [],
                     "last_digest_at": self.until},
                )
            r = rng.random()
            if r < 0.13 or index == self.demo_member:
                level = FollowLevel.WATCHING if r < 0.10 or index == self.demo_member else FollowLevel.TRACKING
                themes = rng.sample(self.themes, min(len(self.themes), rng.choice([1, 1, 2])))
                for theme in themes:
                    self.loader.add(
                        ThemeFollow,
                        {"user_id": member.id, "theme_id": theme.pk, "level": level, "updated_at": self.start},
                    )

    # Threads ----------------------------------------------------------------------------------------

    def _plan_threads(self) -> list[_ThreadSpec]:
        plan, rng = self.plan, self.rng
        others = plan.threads - 1
        spare = plan.comments - plan.hot_comments - others  # beyond each thread's opening comment
        weights = [rng.paretovariate(1.3) for _ in range(others)]
        total = sum(weights) or 1.0
        cap = max(1, plan.hot_comments // 2)
        sizes = [1 + min(cap - 1, int(spare * w / total)) for w in weights]
        remainder = plan.comments - plan.hot_comments - sum(sizes)
        order = sorted(range(others), key=lambda i: -weights[i])
        i = 0
        while remainder > 0 and order:
            j = order[i % len(order)]
            if sizes[j] < cap:
                sizes[j] += 1
                remainder -= 1
            i += 1
            if i > 10 * len(order) + remainder:
                break
        span = (self.until - self.start).total_seconds()
        specs = [
            _ThreadSpec(
                id=self._take_id(Thread),
                theme=self.themes[0],
                author=self.demo_member,
                created_at=self.start + timedelta(days=2),
                size=plan.hot_comments,
                title=content.HOT_TITLE,
                pinned=True,
            )
        ]
        pinned_themes = {self.themes[0].pk}
        for number, size in enumerate(sizes):
            # Every theme has discussions, whatever the scale; then themes are picked at random.
            theme = self.themes[number] if number < len(self.themes) else rng.choice(self.themes)
            created = self.start + timedelta(seconds=span * 0.92 * rng.random())
            spec = _ThreadSpec(
                id=self._take_id(Thread),
                theme=theme,
                author=self._pick_author(),
                created_at=created,
                size=size,
                title=rng.choice(content.TITLES),
                locked=rng.random() < 0.02,
            )
            if theme.pk not in pinned_themes and rng.random() < 0.5:
                spec.pinned = True
                pinned_themes.add(theme.pk)
            paragraphs = self.paragraphs.get(theme.pk)
            if paragraphs and rng.random() < ANCHORED_SHARE:
                spec.anchor = rng.choice(paragraphs)
            specs.append(spec)
        return specs

    def _pick_author(self) -> int:
        return self.rng.choices(range(self.member_count), cum_weights=self.activity_weights)[0]

    def _threads(self) -> None:
        specs = self._plan_threads()
        self.hot_thread_id = specs[0].id
        self.anchored: set[int] = set()
        bar = _progress_bar(self.plan.comments, enabled=self.progress)
        try:
            for spec in specs:
                self._thread(spec)
                bar.update(spec.size)
        finally:
            bar.close()

    def _thread(self, spec: _ThreadSpec) -> None:
        rng, loader, members = self.rng, self.loader, self.members
        until = self.until
        n = spec.size
        span = (until - spec.created_at).total_seconds()
        offsets = sorted(rng.random() for _ in range(n - 1))
        times = [spec.created_at] + [
            spec.created_at + timedelta(seconds=span * o * 0.999, microseconds=i + 1) for i, o in enumerate(offsets)
        ]
        watch_from = until - timedelta(days=WATCH_NOTICE_DAYS)
        unread_from = until - timedelta(days=UNREAD_DAYS)
        posted: list[_Posted] = []
        participants: list[int] = []
        last_position: dict[int, int] = {}
        groups: set[str] = set()
        public_count = 0
        last_activity = spec.created_at
        starter = spec.author
        for position in range(1, n + 1):
            created = times[position - 1]
            author = self._author_for(position, starter, participants)
            member = members[author]
            comment_id = self._take_id(Comment)
            row = {
                "id": comment_id,
                "thread_id": spec.id,
                "position": position,
                "author_id": member.id,
                "author_name": member.name,
                "author_group": member.group,
                "thread_theme_id": spec.theme.pk,
                "renderer_version": RENDERER_VERSION,
                "created_at": created,
                "stance": _weighted(rng, self.stance_values, self.stance_weights),
                "posted_as": PostedAs.MEMBER,
            }
            if author == self.moderator:
                row["posted_as"] = PostedAs.MODERATOR
            elif author == self.facilitator:
                row["posted_as"] = PostedAs.FACILITATOR
            template_index = rng.randrange(len(self.templates))
            template = self.templates[template_index]
            parent = quoted = None
            mentioned = None
            body, html, quoted_text, plain = template.markdown, template.html, "", template_index
            kind = rng.random() if position > 1 else 1.0
            if kind < REPLY_SHARE:
                parent = posted[max(0, len(posted) - 1 - int(rng.expovariate(1 / 6)))]
            elif kind < REPLY_SHARE + QUOTE_SHARE:
                quoted = self._quotable(posted)
                if quoted is not None:
                    parent = quoted
                    body, html, quoted_text = self._quote_body(quoted, template_index)
                    plain = -1
                    if quoted.author != author:
                        mentioned = quoted.author
            elif kind < REPLY_SHARE + QUOTE_SHARE + MENTION_SHARE:
                target = rng.randrange(min(self.member_count, 60))
                if target != author:
                    mentioned = target
                    body, html = self._with_name(template.mention_markdown, template.mention_html, members[target])
                    plain = -1
            state = rng.random() if position > 1 else 1.0
            public, deleted = True, False
            if state < HIDDEN_SHARE and author not in (self.moderator, self.facilitator):
                row.update(
                    is_hidden=True,
                    hidden_reason=rng.choice(content.HIDDEN_REASONS),
                    hidden_by_id=members[self.moderator].id,
                    hidden_at=min(created + timedelta(hours=3), until),
                )
                public = False
            elif state < HIDDEN_SHARE + DELETED_SHARE:
                deleted = True
            elif state < HIDDEN_SHARE + DELETED_SHARE + PENDING_SHARE:
                row["needs_approval"] = True
                public = False
            edited = plain >= 0 and not deleted and rng.random() < EDITED_SHARE
            revisions = [(body, html, created)]
            if edited:
                body, html = template.edited_markdown, template.edited_html
                edited_at = min(created + timedelta(minutes=rng.randrange(5, 600)), until)
                row["edited_at"] = edited_at
                revisions.append((body, html, edited_at))
                plain = -1
            if deleted:
                row.update(is_deleted=True, deleted_at=min(created + timedelta(days=1), until), stance="")
                body, html, quoted_text, revisions, mentioned = "", "", "", [], None
                plain = -1
            row.update(
                body=body,
                body_html=html,
                quoted_text=quoted_text,
                parent_id=parent.id if parent else None,
                quoted_comment_id=quoted.id if quoted and quoted_text else None,
            )
            if position == 1:
                row["_title"] = spec.title
            for revision_body, revision_html, revision_at in revisions:
                loader.add(
                    CommentRevision,
                    {
                        "comment_id": comment_id,
                        "body": revision_body,
                        "body_html": revision_html,
                        "edited_by_id": member.id,
                        "created_at": revision_at,
                    },
                )
            if mentioned is not None:
                loader.add(
                    Mention, {"comment_id": comment_id, "member_id": members[mentioned].id, "created_at": created}
                )
            counted = not row.get("needs_approval", False)
            if counted:
                groups.add(member.group)
                last_activity = created
            if public and not deleted:
                public_count += 1
                self._agreements(row, spec, author, created)
                self._notify_about(
                    row, spec, author, created,
                    parent_author=parent.author if parent else None,
                    mentioned=mentioned,
                    watch=created >= watch_from,
                    unread=created >= unread_from,
                )
            loader.add(Comment, row)
            posted.append(_Posted(id=comment_id, author=author, template=plain, public=public and not deleted))
            if author not in last_position:
                participants.append(author)
            last_position[author] = position
        self._thread_row(spec, n, public_count, groups, last_activity)
        self._follows_and_reading(spec, participants, last_position)

    def _author_for(self, position: int, starter: int, participants: list[int]) -> int:
        rng = self.rng
        if position == 1:
            return starter
        r = rng.random()
        if r < STAFF_SHARE:
            return self.moderator if r < STAFF_SHARE / 2 else self.facilitator
        if participants and r < REGULAR_SHARE:
            return participants[rng.randrange(len(participants))]
        return self._pick_author()

    def _quotable(self, posted: list[_Posted]) -> _Posted | None:
        for _ in range(4):
            candidate = posted[max(0, len(posted) - 1 - int(self.rng.expovariate(1 / 4)))]
            if candidate.template >= 0 and candidate.public:
                return candidate
        return None

    def _quote_body(self, quoted: _Posted, reply_template: int) -> tuple[str, str, str]:
        """A reply that quotes `quoted` in full, as the Quote link fills the form."""
        from forum.services import _extract_quote, quote_as_markdown

        key = (quoted.template, reply_template)
        cached = self.quote_cache.get(key)
        if cached is None:
            source = SimpleNamespace(author_name="MENTIONTOKEN", body=self.templates[quoted.template].markdown)
            markdown = quote_as_markdown(source) + self.templates[reply_template].markdown
            cached = (markdown, render_markdown(markdown), _extract_quote(markdown))
            self.quote_cache[key] = cached
        markdown, html, quoted_text = cached
        body, html = self._with_name(markdown, html, self.members[quoted.author])
        return body, html, quoted_text

    def _with_name(self, markdown: str, html: str, member: _Member) -> tuple[str, str]:
        link = self.link_pattern.format(url=escape(member.url), name=escape(member.name, quote=False))
        return markdown.replace(TOKEN, f'@"{member.name}"'), html.replace(TOKEN, link)

    def _agreements(self, row: dict, spec: _ThreadSpec, author: int, created: datetime) -> None:
        rng = self.rng
        wanted = _weighted(rng, self.agree_values, self.agree_weights)
        if not wanted:
            return
        chosen = [m for m in rng.sample(range(self.member_count), min(self.member_count, wanted + 1)) if m != author]
        chosen = chosen[:wanted]
        room = max(60.0, min(14 * 86_400.0, (self.until - created).total_seconds() - 1))
        moments = sorted(created + timedelta(seconds=rng.random() * room) for _ in chosen)
        groups: dict[str, int] = {}
        reached_at = None
        for member_index, moment in zip(chosen, moments, strict=True):
            member = self.members[member_index]
            self.loader.add(
                Agreement,
                {"comment_id": row["id"], "member_id": member.id, "stakeholder_group": member.group,
                 "created_at": moment},
            )
            groups[member.group] = groups.get(member.group, 0) + 1
            if reached_at is None and len(groups) >= 3:
                reached_at = moment
        row["agree_count"] = len(chosen)
        row["agree_groups"] = groups
        if reached_at is not None:
            row["is_common_ground"] = True
            row["common_ground_at"] = reached_at
            self._notification(author, NotificationKind.COMMON_GROUND, row, None, reached_at, spec=spec)

    def _notify_about(self, row, spec, author, created, *, parent_author, mentioned, watch, unread) -> None:
        told = {author}
        if parent_author is not None and parent_author not in told:
            self._notification(parent_author, NotificationKind.REPLY, row, author, created, spec=spec, unread=unread)
            told.add(parent_author)
        if mentioned is not None and mentioned not in told:
            self._notification(mentioned, NotificationKind.MENTION, row, author, created, spec=spec, unread=unread)
            told.add(mentioned)
        if watch and spec.author not in told and row["position"] > 1:
            self._notification(
                spec.author, NotificationKind.WATCHED_COMMENT, row, author, created, spec=spec, unread=unread
            )

    def _notification(self, recipient: int, kind: str, row: dict, actor: int | None, when: datetime, *,
                      spec: _ThreadSpec, unread: bool | None = None) -> None:
        if unread is None:
            unread = when >= self.until - timedelta(days=UNREAD_DAYS)
        self.counts_by_kind[kind] += 1
        self.loader.add(
            Notification,
            {
                "recipient_id": self.members[recipient].id,
                "kind": kind,
                "actor_id": self.members[actor].id if actor is not None else None,
                "theme_id": spec.theme.pk,
                "thread_id": row["thread_id"],
                "comment_id": row["id"],
                "message": "",
                "created_at": when,
                "read_at": None if unread else when + timedelta(hours=2),
                "emailed_at": when,
            },
        )

    def _thread_row(self, spec: _ThreadSpec, last_position: int, public_count: int, groups: set[str],
                    last_activity: datetime) -> None:
        row = {
            "id": spec.id,
            "theme_id": spec.theme.pk,
            "title": spec.title,
            "slug": slugify(spec.title)[:150].strip("-") or "discussion",
            "author_id": self.members[spec.author].id,
            "author_name": self.members[spec.author].name,
            "created_at": spec.created_at,
            "last_activity_at": last_activity,
            "last_position": last_position,
            "comment_count": public_count,
            "participant_groups": sorted(groups),
            "is_pinned": spec.pinned,
            "is_locked": spec.locked,
            "lock_reason": "This discussion has run its course; please start a new one." if spec.locked else "",
        }
        if spec.anchor is not None:
            paragraph = spec.anchor
            self.anchored.add(paragraph.pk)
            row.update(
                anchor_paragraph_id=paragraph.pk,
                anchor_key=paragraph.key,
                anchor_text=paragraph.text,
                anchor_source=paragraph.section.article.title,
                anchor_url=paragraph.get_absolute_url(),
            )
        self.loader.add(Thread, row)

    def _follows_and_reading(self, spec: _ThreadSpec, participants: list[int], last_position: dict[int, int]) -> None:
        for index in participants:
            member = self.members[index]
            level = FollowLevel.WATCHING if index == spec.author else FollowLevel.TRACKING
            self.loader.add(
                ThreadFollow,
                {"user_id": member.id, "thread_id": spec.id, "level": level, "updated_at": spec.created_at},
            )
            read = last_position[index]
            if spec.id == self.hot_thread_id and index == self.demo_member:
                read = max(1, spec.size // 2)  # the demo member has half the hot thread still to read
            self.loader.add(
                ThreadReadState,
                {"user_id": member.id, "thread_id": spec.id, "last_read_position": read, "updated_at": spec.created_at},
            )

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
        from forum.moderation import recount_paragraph, recount_theme

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


def _cumulative(values: Iterable[float]):
    total = 0.0
    for value in values:
        total += value
        yield total


def _weighted(rng: random.Random, values: list, cumulative: list[float]):
    return rng.choices(values, cum_weights=cumulative)[0]


def _progress_bar(total: int, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total, unit=" comments", unit_scale=True, disable=not enabled, file=sys.stderr,
        mininterval=0.5, dynamic_ncols=True, desc="Seeding",
    )


def scale_label(plan: Plan) -> str:
    return (
        f"scale {plan.scale:g}: about {plan.members:,} members, {plan.threads:,} discussions, "
        f"{plan.comments:,} comments (the hot discussion {plan.hot_comments:,})"
    )


__all__ = [
    "DEMO_DOMAIN",
    "DemoError",
    "DemoSeeder",
    "Plan",
    "analyse_after_seeding",
    "demo_members",
    "is_demo_address",
    "real_members",
    "remove_demo_data",
    "scale_label",
]

