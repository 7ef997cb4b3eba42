"""Searching comments and discussion titles.

On PostgreSQL, comments and threads are matched against their stored vectors
(`forum.search.indexing`), ranked with SearchRank and shown with SearchHeadline snippets. On
SQLite (the embedded default) there is no vector: every word must appear in the comment or its
discussion's title, ignoring case, and results come newest first; snippets are cut in Python.
How the newest matches are found fast at a million comments: docs/performance.md.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from html import unescape

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import BigIntegerField, Exists, F, FloatField, Q, Value
from django.db.models.functions import Cast
from django.utils import timezone

from forum.models import Comment, Theme, Thread
from forum.search import recent, selectivity
from forum.search.forms import SearchCriteria
from forum.search.indexing import CONFIG, full_text_available
from forum.search.snippets import START, STOP, highlight, mark_words, plain_text, python_snippet, query_words
from forum.standing import is_moderator

RESULTS_PER_PAGE = 20
TITLE_MATCHES = 5
# The most matches a search ranks and shows: the newest this many. Ranking every match of a common
# word reads a large part of the comments table (a fifth of it, at a million comments, for "social
# care"); the newest 500 are found by walking an index and stopping (docs/performance.md).
RESULT_WINDOW = 500
# Where the newest matches are looked for (docs/performance.md, "Search at 1,000,000 comments"),
# by what the database's statistics say a search can match at most (`forum.search.selectivity`):
# - up to ALL_TIME_MATCHES comments: one query over all time, through the indexes, reading each
#   match once (ranges would each read the words' whole lists from the index again); but first
#   the comments the recent search index holds, when they are expected to hold RESULT_WINDOW
#   matches (that index's lists are the recent part of the words', so that range reads no more);
# - words alone, or filters that may leave SAMPLED_SHARE of the comments or more: the newest
#   FIRST_RANGE_COMMENTS comments are read one by one, newest first, stopping at RESULT_WINDOW
#   matches, and what they hold shows how often matches come. At that rate, when the rest are
#   expected within READ_ON_COMMENTS more comments, those are read on in the same way (to
#   RANGE_MARGIN times as far, stopping at the last match needed);
# - a theme, group or stance leaving fewer: the last FIRST_RANGE_DAYS days, through the indexes.
# Further back, the next range is searched through the indexes, long enough to hold the rest at
# the rate found times RANGE_MARGIN (and at least twice the length searched): each such search
# reads the words' whole lists from the index, whatever its length, so one should finish the
# window. Past LONGEST_RANGE_DAYS, all time is searched. A range within the recent comments reads
# only their part of the lists (`forum.search.recent`), at a million comments about what 2,000
# comments read one by one cost: hence a small sample, and no reading on past READ_ON_COMMENTS.
ALL_TIME_MATCHES = 8_000
FIRST_RANGE_COMMENTS = 1_000
READ_ON_COMMENTS = 3_000
SAMPLED_SHARE = RESULT_WINDOW / (FIRST_RANGE_COMMENTS + READ_ON_COMMENTS)
FIRST_RANGE_DAYS = 2
LONGEST_RANGE_DAYS = 128
RANGE_MARGIN = 1.5
NO_RANK = Value(0.0, output_field=FloatField())  # the rank of every match without words, or without full-text search


def searchable_threads(user):
    """Discussions search may show the reader: those they may see, never hidden ones."""
    return Thread.objects.visible_to(user).filter(is_hidden=False)


def searchable_comments(user, theme: Theme | None = None):
    """Comments the reader may see, never hidden or deleted ones, in discussions they may see
    (of `theme`, when given: through the comment's copy of its discussion's theme, which the
    search index holds beside the words). The discussions are checked against the few the reader
    may not see, as each comment is read: a join to the discussions they may see was planned as a
    hash of all of them (25 ms at 40,000) or a lookup for each match, before the newest were kept."""
    comments = Comment.objects.visible_to(user).filter(is_hidden=False, is_deleted=False)
    comments = comments.exclude(thread__in=Thread.objects.unshown_to(user))
    if theme is not None:
        # As a bigint: the btree_gin index knows only `bigint = bigint`, and a plain number is an
        # integer, which would leave the theme out of the index condition.
        comments = comments.filter(thread_theme_id=Cast(Value(theme.pk), BigIntegerField()))
    return comments


def readers_like(user, *, own_waiting=None) -> str | None:
    """Which readers are shown the same results as `user` for every search, so results may be
    shared among them: "public" for anonymous readers and for members with nothing of their own
    waiting for a moderator (all see only public comments), "moderators" (they also see what
    waits, but never what is hidden), or None for a member whose own waiting comments or
    discussion are shown to them alone. `own_waiting(user)` answers that (from the cache, say);
    by default `has_own_waiting` asks the database."""
    if user is None or not user.is_authenticated:
        return "public"
    if is_moderator(user):
        return "moderators"
    return None if (own_waiting or has_own_waiting)(user) else "public"


def has_own_waiting(user) -> bool:
    """Whether `user` wrote a comment or a discussion that waits for a moderator and is not hidden
    (`visible_to` shows those to their author). One query, on the waiting comments' index."""
    own = {"author": user, "needs_approval": True, "is_hidden": False}
    waiting = Exists(Comment.objects.filter(**own)) | Exists(Thread.objects.filter(**own))
    return get_user_model().objects.filter(pk=user.pk).filter(waiting).exists()


def bound_of(criteria: SearchCriteria) -> selectivity.Bound | None:
    """At most how many comments the words and the indexed filters can match, from the database's
    statistics (None: not known, or no full-text search)."""
    if not full_text_available():
        return None
    filters = {"stance": criteria.stance, "author_group": criteria.group,
               "thread_theme_id": criteria.theme.pk if criteria.theme is not None else None}
    return selectivity.bound(criteria.q, {column: value for column, value in filters.items() if value})


def rank_of(criteria: SearchCriteria):
    """How well a comment matches the words (None without words, or without full-text search)."""
    return SearchRank(F("search_vector"), _query(criteria)) if criteria.q and full_text_available() else None


def newest_first(matches, rank):
    """(id, rank, written at) of `matches`, newest first (rank 0 without a rank expression)."""
    return (
        matches.annotate(found_rank=rank if rank is not None else NO_RANK)
        .order_by("-created_at", "-pk")
        .values_list("pk", "found_rank", "created_at")
    )


# What a result shows (forum/includes/search_body.html): not the text, its vector or the author's row.
SHOWN_FIELDS = (
    "position", "author_name", "author_group", "created_at", "stance", "is_common_ground", "needs_approval",
    "thread", "thread__title", "thread__slug", "thread__theme", "thread__theme__title", "thread__theme__slug",
    "author", "author__deleted_at",
)


class ResultWindow:
    """The ids of a search's results in order; a slice of it is those comments, fetched in one
    query with their discussion, theme, author and (with words) snippets.

    Only the page shown is read and joined: the window's ranks came with its ids.
    """

    def __init__(self, ids: list[int], criteria: SearchCriteria, thread_ids: list[int] = (), *, reader=None):
        self.ids = ids
        self.criteria = criteria
        self.thread_ids = list(thread_ids)  # discussions whose titles match, best first
        self.reader = reader  # a comment they may no longer see is left out of the page

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 if index != -1 else None][0]
        ids = self.ids[index]
        if not ids:
            return []
        marked_by_the_database = bool(self.criteria.q) and full_text_available()
        shown = SHOWN_FIELDS if marked_by_the_database else (*SHOWN_FIELDS, "body_html")  # else cut in Python
        comments = searchable_comments(self.reader).filter(pk__in=ids).select_related("thread__theme", "author")
        comments = comments.only(*shown)
        if marked_by_the_database:
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
    return [row[0] for row in newest_matches(matches, **ranges)]


def newest_matches(
    matches, *, since: datetime | None = None, until: datetime | None = None, few: bool = False, rank=None,
    bound: selectivity.Bound | None = None,
) -> list[tuple[int, float, datetime]]:
    """(id, rank, written at) of the newest RESULT_WINDOW comments of `matches`, newest first, looking in
    ranges further and further back. `rank` is an expression computed on the rows found (0 without
    one), so ordering them by rank needs no second read of the comments.

    The newest matches overall are the newest within a range as soon as the range holds enough of
    them, so a common word is answered from the newest comments and a rare one goes further back
    (where there are few matches to read anyway). Each range costs a query, and goes on from where
    the one before began, so no comment is read (and ranked) twice; how the next is chosen from the
    rate found so far: the comment above FIRST_RANGE_COMMENTS. `few` says filters other than dates
    leave few matches: the first range is then the last FIRST_RANGE_DAYS days, through the indexes.
    `since` and `until` are the date filters' bounds (already applied to `matches`): the ranges end
    at `until`, and stop at `since`. `bound` is at most how many comments `matches` holds (None:
    not known): up to ALL_TIME_MATCHES, all time is read at once, or first the comments the recent
    search index holds when they are expected to hold the window (`_recent_range`); and filters
    that may leave SAMPLED_SHARE of the comments are read like words alone.
    """
    found_first = matches.order_by("-created_at", "-pk")
    end = min(until, timezone.now()) if until is not None else timezone.now()
    # Rates are per day from the newest comment, not from `end`: no comment since is not a low rate.
    newest = cache(lambda: _nth_newest_before(end, 1))
    found: list = []
    searched_from = None  # each range ends where the ranges searched before it begin
    if bound is not None and bound.matches <= ALL_TIME_MATCHES:
        next_range = _recent_range(bound, end)
    elif not few or (bound is not None and bound.share >= SAMPLED_SHARE):
        next_range = _Range(start=_nth_newest_before(end, FIRST_RANGE_COMMENTS), comments=FIRST_RANGE_COMMENTS)
    else:
        next_range = _Range(start=newest() - timedelta(days=FIRST_RANGE_DAYS) if newest() is not None else None)
    with _planned_for_each(rank) as read:
        while next_range is not None and next_range.start is not None and (since is None or next_range.start > since):
            found += read(_in_range(found_first, next_range.start, searched_from, RESULT_WINDOW - len(found)),
                          in_order=next_range.comments is not None)
            searched_from = next_range.start
            if len(found) >= RESULT_WINDOW:
                break
            next_range = _range_after(next_range, found, newest)
        if len(found) < RESULT_WINDOW:  # all the time before the ranges searched
            found += read(_in_range(found_first, None, searched_from, RESULT_WINDOW - len(found)), in_order=False)
    return found


@dataclass(frozen=True)
class _Range:
    """Where a range of comments begins (None: all time), and how many comments it holds when it
    is read one by one, newest first (None: searched through the indexes)."""

    start: datetime | None
    comments: int | None = None
    read: int = 0  # comments read one by one before it
    then_all_time: bool = False  # no range after it: all the time before it is next


def _recent_range(bound: selectivity.Bound, end: datetime) -> _Range | None:
    """For a search that can match only a few thousand comments: the comments the recent search
    index holds (`forum.search.recent`), when as many of its matches as a window holds are expected
    among them (that share of them), since that index's lists are the recent part of the words'
    (at a million comments, the newest 500 of "social care" by patients and the public voicing a
    concern took 5 ms there, against 22 over all time). When they hold fewer, all the time before
    them is searched next, as it would have been at once. None: all time at once."""
    held = recent.held()
    if held is None:
        return None
    held_since, comments = held
    if end <= held_since or bound.share * comments < RESULT_WINDOW:
        return None
    return _Range(start=held_since, then_all_time=True)


def _range_after(searched: _Range, found: list, newest) -> _Range | None:
    """The range to search after `searched`, `found` being the matches from the end to its start
    and `newest()` when the newest comment there was written (None: no range, all time is next)."""
    if searched.then_all_time:
        return None
    if searched.comments is not None and found:  # read one by one: the rate is per comment
        read = searched.read + searched.comments
        rest = (RESULT_WINDOW - len(found)) * read / len(found)
        if rest <= READ_ON_COMMENTS:  # reading stops at the last match needed
            comments = max(int(rest * RANGE_MARGIN), FIRST_RANGE_COMMENTS)
            return _Range(start=_nth_newest_before(searched.start, comments), comments=comments, read=read)
    elif not found and searched.comments is None:
        return None  # too rare to guess a length: all time, where there are few to read
    days = (newest() - searched.start).total_seconds() / 86400
    # (none among the newest comments: at least FIRST_RANGE_DAYS)
    days = max(2 * days, days * RESULT_WINDOW * RANGE_MARGIN / len(found) if found else FIRST_RANGE_DAYS)
    start = newest() - timedelta(days=days)
    return _Range(start=start if days <= LONGEST_RANGE_DAYS and start < searched.start else None)


def _nth_newest_before(moment: datetime, n: int) -> datetime | None:
    """When the `n`th newest comment written before `moment` was written (None: fewer were)."""
    before = Comment.objects.filter(created_at__lt=moment).order_by("-created_at", "-pk")
    return before.values_list("created_at", flat=True)[n - 1 : n].first()


def _in_range(newest_first, start: datetime | None, end: datetime | None, limit: int):
    """The newest `limit` rows of `newest_first` written from `start` to before `end` (None: no
    bound but the date filters')."""
    recent = newest_first if end is None else newest_first.filter(created_at__lt=end)
    if start is not None:
        recent = recent.filter(created_at__gte=start)
    return recent[:limit]


# What the ranges' queries are planned with (`_planned_for_each`), then given back as RESET would.
_PLANNER_SETTINGS = ("plan_cache_mode", "enable_bitmapscan", "enable_sort")


def _ranked_rows(newest, rank) -> list[tuple[int, float, datetime]]:
    """(id, rank, written at) of the comments `newest` (newest first, sliced), ranked by `rank`
    (0 when None) once they are chosen: in one query, PostgreSQL would rank every comment of a
    range before keeping the newest of them (it puts off until after the sort only what it takes
    to be costly, and takes ts_rank to be cheap), which, over a few thousand, cost more than
    finding them."""
    if rank is None:
        return list(newest.annotate(found_rank=NO_RANK).values_list("pk", "found_rank", "created_at"))
    chosen, chosen_params = newest.values_list("id", "search_vector", "created_at").query.sql_with_params()
    ranking = Comment.objects.annotate(found_rank=rank).query
    rank_sql, rank_params = ranking.get_compiler(connection.alias).compile(ranking.annotations["found_rank"])
    with connection.cursor() as cursor:  # both parts compiled by Django, their values as parameters
        cursor.execute(
            f'SELECT "forum_comment"."id", {rank_sql}, {_MICROSECONDS} FROM ({chosen}) "forum_comment" '  # noqa: S608
            'ORDER BY "forum_comment"."created_at" DESC, "forum_comment"."id" DESC',
            [*rank_params, *chosen_params],
        )
        return [(pk, found_rank, _EPOCH + timedelta(microseconds=written)) for pk, found_rank, written in cursor]


# When a comment was written, as whole microseconds since 1970 (exact: EXTRACT gives a numeric):
# a number is read from the database about twenty times faster than a moment with its time zone,
# which each search read 500 of (3 ms of a fresh search at a million comments).
_MICROSECONDS = '(EXTRACT(EPOCH FROM "forum_comment"."created_at") * 1000000)::bigint'
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@contextmanager
def _planned_for_each(rank):
    """A function running one range's queryset (`_ranked_rows`), planned for its own bounds, and with `in_order`
    reading comments newest first, one by one, on the newest-first index (never through a bitmap,
    nor another index and a sort); the settings are given back at the end.

    Planned for its bounds: the ranges' queries differ only in their bounds, and a prepared
    statement's generic plan, made for one range (or while bitmaps were off), would serve all.
    Read in order, for the ranges of newest comments: a common word is found in the first few
    hundred comments read, far sooner than a bitmap of its every match could be built (the planner
    underrates that cost and overrates how rare several words together are); a rarer one costs one
    read of the range. Without a sort, the planner also cannot take the range through the index of
    each discussion's comments, whose order on disk it takes to be cheaper (the seeded comments lie
    discussion by discussion), and read all of the range (75 ms for 14,000 comments) where the
    newest-first index stops at the last match needed.
    """
    if connection.vendor != "postgresql":
        yield lambda queryset, *, in_order: _ranked_rows(queryset, rank)
        return
    bitmaps_on = None  # as set for the last range (None: nothing set yet)

    def read(queryset, *, in_order: bool) -> list:
        nonlocal bitmaps_on
        if bitmaps_on != (not in_order):
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('plan_cache_mode', 'force_custom_plan', false), "
                               "set_config('enable_bitmapscan', %s, false), set_config('enable_sort', %s, false)",
                               ["off" if in_order else "on"] * 2)
            bitmaps_on = not in_order
        return _ranked_rows(queryset, rank)

    try:
        yield read
    except Exception:
        if bitmaps_on is not None and not connection.in_atomic_block:  # else the rollback undoes the SET
            _reset()
        raise
    if bitmaps_on is not None:
        _reset()


def _reset() -> None:
    with connection.cursor() as cursor:  # one round trip (reading pg_settings for it took 1 ms)
        cursor.execute("; ".join(f"RESET {name}" for name in _PLANNER_SETTINGS))


def date_bounds(criteria: SearchCriteria) -> tuple[datetime | None, datetime | None]:
    """The moments the date filters bound the comments by: from the start of the first day, and
    before the start of the day after the last (None: not bounded)."""
    since = _start_of(criteria.date_from) if criteria.date_from else None
    until = _start_of(criteria.date_to + timedelta(days=1)) if criteria.date_to else None
    return since, until


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


def title_matches(user, criteria: SearchCriteria):
    """(id, rank, last activity) of the discussions the reader may see whose titles match the
    words, best first (lazy; only asked when there are words). Without full-text search, every
    word must be in the title, and the rank is 0."""
    threads = searchable_threads(user)
    if criteria.theme is not None:
        threads = threads.filter(theme=criteria.theme)
    if full_text_available():
        query = _query(criteria)
        threads = threads.filter(search_vector=query).annotate(found_rank=SearchRank(F("search_vector"), query))
    else:
        for word in query_words(criteria.q):
            threads = threads.filter(title__icontains=word)
        threads = threads.annotate(found_rank=NO_RANK)
    return threads.order_by("-found_rank", "-last_activity_at", "-pk").values_list("pk", "found_rank",
                                                                                  "last_activity_at")


def titled_threads(ids: list[int], criteria: SearchCriteria, reader) -> list[Thread]:
    """The discussions `ids` that `reader` may see, in that order, with their theme and
    `title_html` (the words marked)."""
    if not ids:
        return []
    threads = searchable_threads(reader).filter(pk__in=ids).select_related("theme").defer("search_vector")
    if full_text_available():
        threads = threads.annotate(title_marked=SearchHeadline(
            "title", _query(criteria), config=CONFIG, start_sel=START, stop_sel=STOP, highlight_all=True
        ))
    by_id = {thread.pk: thread for thread in threads}
    found = [by_id[pk] for pk in ids if pk in by_id]
    words = query_words(criteria.q)
    for thread in found:
        marked = getattr(thread, "title_marked", None)
        thread.title_html = highlight(marked if marked is not None else mark_words(thread.title, words))
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
