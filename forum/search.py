"""Searching comments and discussion titles.

On PostgreSQL every comment and thread stores a `search_vector` (English configuration), kept up
to date by `index_comment` / `index_thread_title` / `index_thread`, which forum.services calls
when it saves text, and refilled in bulk by `manage.py rebuild_search_index`. A GIN index (created
by a PostgreSQL-only migration) makes matching fast. The opening comment of a discussion also
carries the discussion's title at weight A, above the text's weight B, so a title match ranks
first and shows up as that discussion's opening comment. Results are ranked with SearchRank and
show SearchHeadline snippets.

On SQLite (the embedded default) there is no vector: every word must appear in the comment or its
discussion's title, ignoring case, and results come newest first. Snippets are cut in Python.

Snippets quote the stored HTML's text (so Markdown syntax does not show) and are built safely: the
database marks matches with two control characters; `highlight()` escapes all the text and only
then turns those marks into balanced <mark> tags, so nothing a member wrote becomes markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import unescape

from django import forms
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, FloatField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from accounts.models import StakeholderGroup
from forum.models import Comment, Stance, Theme, Thread

CONFIG = "english"
START, STOP = "\x02", "\x03"
MAX_QUERY_LENGTH = 200
MAX_WORDS = 12  # the SQLite fallback's limit on words matched one by one
SNIPPET_CHARS = 240
RESULTS_PER_PAGE = 20
TITLE_MATCHES = 5
# The most matches a search ranks and shows: the newest this many. Ranking every match of a common
# word reads a large part of the comments table (a fifth of it, at a million comments, for "social
# care"); the newest 500 are found by walking an index and stopping (docs/performance.md).
RESULT_WINDOW = 500
# Where the newest matches are looked for first. Words alone are usually common among the newest
# comments: the newest FIRST_RANGE_COMMENTS comments are read one by one, stopping at
# RESULT_WINDOW matches. A theme, group or tag leaves few matches in any range: the last
# FIRST_RANGE_DAYS days are searched through the indexes. A range that holds too few tells how
# often matches come, and the next is made long enough to hold RESULT_WINDOW at that rate times
# RANGE_MARGIN (and at least twice as long); past LONGEST_RANGE_DAYS, all time is searched.
FIRST_RANGE_COMMENTS = 10_000
FIRST_RANGE_DAYS = 2
LONGEST_RANGE_DAYS = 128
RANGE_MARGIN = 1.5
REBUILD_BATCH = 2000
# Date pickers send ISO dates; a browser without one sends what the member typed.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d %B %Y", "%d %b %Y"]

_MARKS = re.compile(f"([{START}{STOP}])")
_CONTROL = re.compile(f"[{START}{STOP}]")


def full_text_available() -> bool:
    """True on PostgreSQL, where comments and threads carry a stored search vector."""
    return connection.vendor == "postgresql"


# Keeping the stored vectors up to date ------------------------------------------------------


def _body_vector():
    return SearchVector("body", weight="B", config=CONFIG)


def _title_vector(title):
    return SearchVector(title, weight="A", config=CONFIG)


def index_comment(comment: Comment) -> None:
    """Store the comment's vector (its text; the opening comment also its discussion's title).

    One UPDATE on PostgreSQL, called inside the transaction that saved the comment; nothing
    elsewhere.
    """
    if not full_text_available():
        return
    vector = _body_vector()
    if comment.position == 1:
        vector = _title_vector(Value(comment.thread.title)) + vector
    Comment.objects.filter(pk=comment.pk).update(search_vector=vector)


def index_thread_title(thread: Thread) -> None:
    """Store the thread's own title vector (used for the "discussions" part of the results)."""
    if not full_text_available():
        return
    Thread.objects.filter(pk=thread.pk).update(search_vector=_title_vector("title"))


def index_thread(thread: Thread) -> None:
    """After a title changes: the thread's vector and its opening comment's."""
    if not full_text_available():
        return
    index_thread_title(thread)
    Comment.objects.filter(thread=thread, position=1).update(
        search_vector=_title_vector(Value(thread.title)) + _body_vector()
    )


def reindex_comments(comments) -> int:
    """Refill the vectors of a queryset of comments (after text was changed in bulk)."""
    if not full_text_available():
        return 0
    title = Subquery(Thread.objects.filter(pk=OuterRef("thread_id")).values("title")[:1])
    opening = comments.filter(position=1).update(search_vector=_title_vector(title) + _body_vector())
    others = comments.exclude(position=1).update(search_vector=_body_vector())
    return opening + others


def rebuild_search_index(*, batch_size: int = REBUILD_BATCH, progress=None) -> tuple[int, int]:
    """Refill every stored vector, comments in batches of primary keys (one transaction each).

    Returns (threads, comments) updated; (0, 0) when full-text search is not available.
    """
    if not full_text_available():
        return 0, 0
    threads = Thread.objects.update(search_vector=_title_vector("title"))
    highest = Comment.objects.aggregate(highest=Max("pk"))["highest"] or 0
    done = 0
    for start in range(0, highest + 1, batch_size):
        with transaction.atomic():
            done += reindex_comments(Comment.objects.filter(pk__gte=start, pk__lt=start + batch_size))
        if progress is not None:
            progress(done)
    return threads, done


# Snippets ------------------------------------------------------------------------------------


def highlight(marked: str) -> SafeString:
    """Escape `marked` and turn its START/STOP marks into <mark> tags, always balanced."""
    parts: list[str] = []
    inside = False
    for piece in _MARKS.split(marked or ""):
        if piece == START:
            if not inside:
                parts.append("<mark>")
                inside = True
        elif piece == STOP:
            if inside:
                parts.append("</mark>")
                inside = False
        elif piece:
            parts.append(str(escape(piece)))
    if inside:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above was escaped


def plain_text(html: str) -> str:
    """The words of stored comment HTML, without its tags or entities (what snippets quote)."""
    return unescape(strip_tags(html or ""))


def _plain(text: str) -> str:
    return " ".join(_CONTROL.sub("", text or "").split())


def mark_words(text: str, words: list[str]) -> str:
    """Put START/STOP around each occurrence of `words` (ignoring case) in plain text."""
    words = [w for w in words if w]
    if not words:
        return text
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    return pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", text)


def python_snippet(text: str, words: list[str], length: int = SNIPPET_CHARS) -> str:
    """A marked excerpt of `text` around the first of `words` it contains (SQLite's snippets)."""
    text = _plain(text)
    lowered = text.lower()
    hits = [lowered.find(w.lower()) for w in words if w and w.lower() in lowered]
    start = max(min(hits) - length // 3, 0) if hits else 0
    excerpt = text[start : start + length]
    if start > 0:
        cut = excerpt.find(" ")
        excerpt = "… " + (excerpt[cut + 1 :] if 0 <= cut < 30 else excerpt)
    if start + length < len(text):
        excerpt = excerpt.rsplit(" ", 1)[0] + " …"
    return mark_words(excerpt, words)


def query_words(q: str) -> list[str]:
    """The words of a query for the SQLite fallback: quotes and a leading minus are ignored."""
    words = [w.strip("\"'").lstrip("-") for w in q.split()]
    return [w for w in words if w and w.lower() != "or"][:MAX_WORDS]


# The search form and the search itself -----------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search for",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="Words from a comment or from the title of a discussion.",
        error_messages={"max_length": f"Search for {MAX_QUERY_LENGTH} characters or fewer."},
    )
    theme = forms.ChoiceField(label="Theme", required=False)
    group = forms.ChoiceField(
        label="Stakeholder group of the writer",
        required=False,
        choices=[("", "All groups"), *StakeholderGroup.choices],
    )
    stance = forms.ChoiceField(label="Tag", required=False, choices=[("", "Any tag"), *Stance.choices])
    date_from = forms.DateField(
        label="Written on or after",
        required=False,
        help_text="For example, 27/03/2025.",
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the ‘written on or after’ date as a real date, like 27/03/2025."},
    )
    date_to = forms.DateField(
        label="Written on or before",
        required=False,
        help_text="For example, 30/04/2025.",
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the ‘written on or before’ date as a real date, like 30/04/2025."},
    )

    def __init__(self, *args, themes, **kwargs):
        super().__init__(*args, **kwargs)
        self.themes = {theme.slug: theme for theme in themes}
        self.fields["theme"].choices = [("", "All themes"), *((t.slug, t.title) for t in themes)]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The ‘written on or before’ date must be the same as or after the other date.")
        return cleaned

    def criteria(self) -> SearchCriteria:
        data = self.cleaned_data
        return SearchCriteria(
            q=" ".join(_CONTROL.sub("", data.get("q") or "").split()),
            theme=self.themes.get(data.get("theme") or ""),
            group=data.get("group") or "",
            stance=data.get("stance") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


@dataclass
class SearchCriteria:
    q: str = ""
    theme: Theme | None = None
    group: str = ""
    stance: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @property
    def filters_comments(self) -> bool:
        """Whether a filter other than the theme narrows the comments (threads ignore those)."""
        return bool(self.group or self.stance or self.date_from or self.date_to)

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.theme or self.filters_comments)


def searchable_comments(user, theme: Theme | None = None):
    """Comments the reader may see, never hidden or deleted ones, in discussions they may see
    (of `theme`, when given: through the comment's copy of its discussion's theme, which the
    search index holds beside the words)."""
    threads = Thread.objects.visible_to(user).filter(is_hidden=False)
    comments = Comment.objects.visible_to(user).filter(is_hidden=False, is_deleted=False).filter(thread__in=threads)
    if theme is not None:
        # As a bigint: the btree_gin index knows only `bigint = bigint`, and a plain number is an
        # integer, which would leave the theme out of the index condition.
        comments = comments.filter(thread_theme_id=Cast(Value(theme.pk), BigIntegerField()))
    return comments


def search_comments(user, criteria: SearchCriteria) -> ResultWindow:
    """The matching comments, best first: a window the caller paginates (its length is how many
    were found).

    At most the newest RESULT_WINDOW matches are ranked: they are found here (`newest_matches`),
    each with its rank, so their number is known without counting and ordering them needs no
    query of its own. With no words, the filters alone list comments newest first.
    """
    rank = None
    if criteria.q and full_text_available():
        rank = SearchRank(F("search_vector"), _query(criteria))
    found = newest_matches(
        matching_comments(user, criteria),
        since=_start_of(criteria.date_from) if criteria.date_from else None,
        until=_start_of(criteria.date_to + timedelta(days=1)) if criteria.date_to else None,
        few=bool(criteria.theme or criteria.group or criteria.stance),
        rank=rank,
    )
    if rank is not None:
        # Best first; the sort is stable, so equal ranks stay newest first, as found.
        found = sorted(found, key=lambda row: row[1], reverse=True)
    return ResultWindow([pk for pk, _rank in found], criteria)


class ResultWindow:
    """The ids of a search's results in order; a slice of it is those comments, fetched in one
    query with their discussion, theme, author and (with words) snippets.

    Only the page shown is read and joined: the window's ranks came with its ids.
    """

    def __init__(self, ids: list[int], criteria: SearchCriteria):
        self.ids = ids
        self.criteria = criteria

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 if index != -1 else None][0]
        ids = self.ids[index]
        if not ids:
            return []
        comments = Comment.objects.filter(pk__in=ids).select_related("thread__theme", "author")
        if self.criteria.q and full_text_available():
            query = _query(self.criteria)
            comments = comments.annotate(
                snippet_marked=SearchHeadline(
                    "body_html",
                    query,
                    config=CONFIG,
                    start_sel=START,
                    stop_sel=STOP,
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
                title_marked=SearchHeadline(
                    "thread__title", query, config=CONFIG, start_sel=START, stop_sel=STOP, highlight_all=True
                ),
            )
        by_id = {comment.pk: comment for comment in comments}
        return [by_id[pk] for pk in ids if pk in by_id]


def _query(criteria: SearchCriteria) -> SearchQuery:
    return SearchQuery(criteria.q, search_type="websearch", config=CONFIG)


def newest_ids(matches, **ranges) -> list[int]:
    """Ids of the newest RESULT_WINDOW comments of `matches`, newest first (`newest_matches`)."""
    return [pk for pk, _rank in newest_matches(matches, **ranges)]


def newest_matches(
    matches, *, since: datetime | None = None, until: datetime | None = None, few: bool = False, rank=None
) -> list[tuple[int, float]]:
    """(id, rank) of the newest RESULT_WINDOW comments of `matches`, newest first, looking in
    widening recent ranges. `rank` is an expression computed on the rows found (0 without one),
    so ordering them by rank needs no second read of the comments.

    The newest matches overall are the newest within a range as soon as the range holds enough of
    them, so a common word is answered from the newest comments and a rare one goes further back
    (where there are few matches to read anyway). Each range costs a query, so a range that holds
    too few sets the next one's length from the rate it found. `few` says filters other than
    dates leave few matches (the first range is then a span of days, not the newest comments).
    `since` and `until` are the date filters' bounds (already applied to `matches`): the ranges
    end at `until`, and the widening stops at `since`.
    """
    newest_first = (
        matches.annotate(found_rank=rank if rank is not None else Value(0.0, output_field=FloatField()))
        .order_by("-created_at", "-pk")
        .values_list("pk", "found_rank")
    )
    end = min(until, timezone.now()) if until is not None else timezone.now()
    if few:
        start = end - timedelta(days=FIRST_RANGE_DAYS)
    else:
        before_end = Comment.objects.filter(created_at__lt=end).order_by("-created_at", "-pk")
        start = before_end.values_list("created_at", flat=True)[FIRST_RANGE_COMMENTS - 1 : FIRST_RANGE_COMMENTS].first()
    first = True
    while start is not None and (since is None or start > since):
        recent = newest_first.filter(created_at__gte=start)[:RESULT_WINDOW]
        rows = _read_in_order(recent) if first and not few else list(recent)
        if len(rows) >= RESULT_WINDOW:
            return rows
        if not rows:
            break  # too rare to guess a length: all time, where there are few to read
        days = (end - start).total_seconds() / 86400
        days = max(2 * days, days * RESULT_WINDOW * RANGE_MARGIN / len(rows))
        start = end - timedelta(days=days) if days <= LONGEST_RANGE_DAYS else None
        first = False
    return list(newest_first[:RESULT_WINDOW])


def _read_in_order(queryset) -> list:
    """Run `queryset` reading comments newest first, one by one, never through a bitmap.

    For the first, short range. A common word is found in the first few hundred comments read,
    far sooner than a bitmap of its every match could be built (the planner underrates that cost
    and overrates how rare several words together are); a rare one costs one read of the range.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = off")  # for this one query
        try:
            found = list(queryset)
        except Exception:
            if not connection.in_atomic_block:  # in a transaction, its rollback undoes the SET
                cursor.execute("RESET enable_bitmapscan")
            raise
        cursor.execute("RESET enable_bitmapscan")
    return found


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def matching_comments(user, criteria: SearchCriteria):
    """Every comment the reader may see that matches the words and filters (lazy, unordered)."""
    comments = searchable_comments(user, criteria.theme)
    if criteria.group:
        comments = comments.filter(author_group=criteria.group)  # copied onto the comment: no join
    if criteria.stance:
        comments = comments.filter(stance=criteria.stance)
    if criteria.date_from:
        # Moments rather than `created_at__date`, so the newest-first index can be used.
        comments = comments.filter(created_at__gte=_start_of(criteria.date_from))
    if criteria.date_to:
        comments = comments.filter(created_at__lt=_start_of(criteria.date_to + timedelta(days=1)))
    if not criteria.q:
        return comments
    if full_text_available():
        return comments.filter(search_vector=SearchQuery(criteria.q, search_type="websearch", config=CONFIG))
    for word in query_words(criteria.q):
        comments = comments.filter(Q(body__icontains=word) | Q(position=1, thread__title__icontains=word))
    return comments


def matching_threads(user, criteria: SearchCriteria, limit: int = TITLE_MATCHES) -> list[Thread]:
    """Up to `limit` discussions whose titles match the words (only asked when there are words)."""
    if not criteria.q:
        return []
    threads = Thread.objects.visible_to(user).filter(is_hidden=False).select_related("theme")
    if criteria.theme is not None:
        threads = threads.filter(theme=criteria.theme)
    if full_text_available():
        query = SearchQuery(criteria.q, search_type="websearch", config=CONFIG)
        threads = (
            threads.filter(search_vector=query)
            .annotate(
                rank=SearchRank(F("search_vector"), query),
                title_marked=SearchHeadline(
                    "title", query, config=CONFIG, start_sel=START, stop_sel=STOP, highlight_all=True
                ),
            )
            .order_by("-rank", "-last_activity_at")
        )
        found = list(threads[:limit])
    else:
        words = query_words(criteria.q)
        for word in words:
            threads = threads.filter(title__icontains=word)
        found = list(threads.order_by("-last_activity_at")[:limit])
        for thread in found:
            thread.title_marked = mark_words(thread.title, words)
    for thread in found:
        thread.title_html = highlight(thread.title_marked)
    return found


def decorate(results, criteria: SearchCriteria) -> None:
    """Give each comment on the page `snippet_html` and `title_html`, safe to print."""
    words = query_words(criteria.q)
    for comment in results:
        if full_text_available() and criteria.q:
            # The headline drops the stored HTML's tags but keeps its entities: decode them, and
            # highlight() escapes the text again.
            snippet = " ".join(unescape(getattr(comment, "snippet_marked", "") or "").split())
            title = getattr(comment, "title_marked", "") or comment.thread.title
        else:
            snippet = python_snippet(plain_text(comment.body_html), words)
            title = mark_words(comment.thread.title, words)
        comment.snippet_html = highlight(snippet)
        comment.title_html = highlight(title)
