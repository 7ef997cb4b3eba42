"""A search's window: the newest matches it ranks and the discussions whose titles match, kept
for all its pages and brought up to date with what was written since it was found.

A new comment or discussion only adds to what a search finds, and only the ones written since the
window was found need reading to add it; everything that changes what was written before (an
edit, a deletion, a new code, a moderator's action) makes the window be found afresh. The search
page keeps windows in the cache (`forum.cache.rows.shared_search_window`), under a version those
changes renew (docs/performance.md, "Search at 1,000,000 comments").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from forum.search import query, recent
from forum.search.forms import SearchCriteria
from forum.search.indexing import full_text_available
from forum.search.query import ResultWindow

# How long before a window was found a comment it could not see may have been written: a comment's
# moment is set when it is saved and its transaction commits right after, so a window found while
# that transaction was open misses it, and the next `brought_up_to_date` reads it by its moment.
LATE_COMMIT_SECONDS = 60
# However often it is brought up to date, a window is found afresh this long after it last was, so
# a comment missed all the same (a transaction held up for longer, web servers' clocks apart) is
# found within this time.
FIND_AFRESH_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class FoundWindow:
    """What a search found at `taken_at` (before its queries ran): `rows`, the newest
    RESULT_WINDOW matching comments, newest first, as (id, rank, written at); `threads`, the best
    TITLE_MATCHES discussions whose titles match, as (id, rank, last activity), best first (none
    when the search has no words or filters the comments, as the page then shows none)."""

    rows: tuple[tuple[int, float, datetime], ...]
    threads: tuple[tuple[int, float, datetime], ...]
    taken_at: datetime
    found_at: datetime  # when it was last found afresh

    def results(self, criteria: SearchCriteria, reader) -> ResultWindow:
        """The comments best first (the sort is stable: equal ranks stay newest first, as found),
        shown to `reader` only where they may still see them."""
        rows = self.rows
        if criteria.q and full_text_available():
            rows = sorted(rows, key=lambda row: row[1], reverse=True)
        return ResultWindow([row[0] for row in rows], criteria, [row[0] for row in self.threads], reader=reader)


def search_comments(user, criteria: SearchCriteria) -> ResultWindow:
    """The matching comments, best first: a window the caller paginates (its length is how many
    were found), worked out afresh."""
    return find_window(user, criteria).results(criteria, user)


def find_window(user, criteria: SearchCriteria) -> FoundWindow:
    """The window found afresh: the newest matches (`newest_matches`), each with its rank, so their
    number is known without counting and ordering them needs no query of its own (with no words,
    the filters alone list comments newest first); and the discussions whose titles match."""
    taken_at = timezone.now()
    recent.renew_if_due()
    since, until = query.date_bounds(criteria)
    found = query.newest_matches(
        query.matching_comments(user, criteria),
        since=since,
        until=until,
        few=bool(criteria.theme or criteria.group or criteria.stance),
        rank=query.rank_of(criteria),
        bound=query.bound_of(criteria),
    )
    threads = list(query.title_matches(user, criteria)[: query.TITLE_MATCHES]) if _shows_titles(criteria) else []
    return FoundWindow(tuple(found), tuple(threads), taken_at, taken_at)


def brought_up_to_date(window: FoundWindow, user, criteria: SearchCriteria) -> FoundWindow:
    """`window` with what was written since it was found (and LATE_COMMIT_SECONDS before), read in
    one query over those comments alone (and one over the discussions active since): the newest
    RESULT_WINDOW of the window's and the new matches are the newest of all, and a discussion's
    place among the title matches only rises with new activity, as long as nothing written before
    changed. Returns `window` itself when nothing changed, and a window found afresh when it was
    last found more than FIND_AFRESH_AFTER ago."""
    taken_at = timezone.now()
    if taken_at - window.found_at > FIND_AFRESH_AFTER:
        return find_window(user, criteria)
    written_since = window.taken_at - timedelta(seconds=LATE_COMMIT_SECONDS)
    matches = query.matching_comments(user, criteria)
    newer = query.newest_first(matches, query.rank_of(criteria)).filter(created_at__gte=written_since)
    rows = _merged(window.rows, list(newer[: query.RESULT_WINDOW]), query.RESULT_WINDOW,
                   order=lambda row: (row[2], row[0]))
    threads = window.threads
    if _shows_titles(criteria):
        active = query.title_matches(user, criteria).filter(last_activity_at__gte=written_since)
        threads = _merged(window.threads, list(active[: query.TITLE_MATCHES]), query.TITLE_MATCHES,
                          order=lambda row: (row[1], row[2], row[0]))
    if rows == window.rows and threads == window.threads:
        return window
    return FoundWindow(rows, threads, taken_at, window.found_at)


def _merged(kept: tuple, newer: list, limit: int, *, order) -> tuple:
    """The first `limit` of `kept` and `newer` together in `order` (highest first), a row of
    `newer` replacing the kept row of the same id."""
    if not newer:
        return kept
    renewed = {row[0] for row in newer}
    rows = sorted([*newer, *(row for row in kept if row[0] not in renewed)], key=order, reverse=True)
    return tuple(rows[:limit])


def _shows_titles(criteria: SearchCriteria) -> bool:
    """Whether the results' first page lists the discussions whose titles match."""
    return bool(criteria.q) and not criteria.filters_comments
