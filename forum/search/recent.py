"""A second search index over the recent comments alone, renewed as time moves on.

A range of recent comments searched through the GIN index reads each of its words' lists whole,
whatever the range's length: at a million comments, 16 ms for three common words, when the range
holds 20,000 comments (docs/performance.md, "Seventh round"). This index holds the same columns
for the comments written since a moment (`WHERE created_at >= <moment>`), so its lists are the
recent part of them; PostgreSQL uses it on its own for any range that starts after that moment
(each range is planned for its bounds), and the whole index for the rest.

The moment is fixed in the index, so the index is renewed: built again CONCURRENTLY for the last
RECENT_DAYS days, then put in the old one's place, when its moment is more than RENEW_AFTER_DAYS
older than that. The search asks for it (`renew_if_due`, at most once every CHECK_SECONDS in
each process) and the task worker does it (`renew_recent_index`), so no cron is needed. Renewing
takes about 2 seconds at a million comments and blocks nothing; a failed one leaves the old index
in place. SQLite, the embedded default, has no such index.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

log = logging.getLogger(__name__)

INDEX = "forum_comment_recent_search_gin"
RECENT_DAYS = 14
RENEW_AFTER_DAYS = 7
CHECK_SECONDS = 600
# One renewal at a time (two workers, or a worker and `manage.py rebuild_search_index`): the others give way.
_LOCK = 7_314_020


def create_sql(name: str, since: datetime, *, concurrently: bool) -> str:
    """The statement building the index `name` over the comments written since `since`: the
    columns of forum_comment_search_gin (forum migration 0010), taking new rows at once (0022)."""
    how = "CONCURRENTLY " if concurrently else ""
    return (f"CREATE INDEX {how}{name} ON forum_comment USING gin (search_vector, stance, author_group, "
            f"thread_theme_id) WITH (fastupdate = off) WHERE created_at >= '{since.isoformat()}'::timestamptz")


# How long each process keeps what the index holds (`held`), and what it kept: (when read, held).
HELD_SECONDS = 60
_held: tuple[float, tuple[datetime, float] | None] | None = None


def since() -> datetime | None:
    """The moment from which the index holds the comments (None: no index, or not PostgreSQL)."""
    found = held(fresh=True)
    return found[0] if found is not None else None


def held(*, fresh: bool = False) -> tuple[datetime, float] | None:
    """The moment from which the index holds the comments and about how many it holds, as of its
    build or the table's last VACUUM or ANALYZE (fewer than now, never more), read at most once
    every HELD_SECONDS in each process unless `fresh` (None: no index, or not PostgreSQL). A
    moment read before a renewal only makes a search read the whole index for that range, never
    find less."""
    global _held
    now = time.monotonic()
    if fresh or _held is None or now - _held[0] > HELD_SECONDS:
        _held = (now, _read_held() if connection.vendor == "postgresql" else None)
    return _held[1]


def _read_held() -> tuple[datetime, float] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_expr(i.indpred, i.indrelid), c.reltuples FROM pg_index i "
                       "JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE i.indexrelid = to_regclass(%s) AND i.indisvalid", [INDEX])
        row = cursor.fetchone()
    if row is None:
        return None
    quoted = row[0].split("'")  # created_at >= '2026-11-22 00:00:00+00'::timestamp with time zone
    moment = parse_datetime(quoted[1]) if len(quoted) > 2 else None
    return (moment, max(row[1], 0.0)) if moment is not None else None  # (-1: never counted)


def is_due() -> bool:
    """Whether the index's moment is more than RENEW_AFTER_DAYS older than RECENT_DAYS ago (or
    the index is missing), on PostgreSQL."""
    if connection.vendor != "postgresql":
        return False
    held_since = since()
    return held_since is None or held_since < timezone.now() - timedelta(days=RECENT_DAYS + RENEW_AFTER_DAYS)


def renew() -> bool:
    """Build the index again for the last RECENT_DAYS days and put it in the old one's place;
    False when that could not be done here (not PostgreSQL, inside a transaction, or another
    renewal under way). A build that fails leaves the old index as it was."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    fresh = f"{INDEX}_new"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK])
        if not cursor.fetchone()[0]:
            return False
        try:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {fresh}")  # left by a build that failed
            cursor.execute(create_sql(fresh, timezone.now() - timedelta(days=RECENT_DAYS), concurrently=True))
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
            cursor.execute(f"ALTER INDEX {fresh} RENAME TO {INDEX}")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK])
    return True


@task()
def renew_recent_index() -> bool:
    """The task worker's renewal (`renew`)."""
    return renew()


_checked_at: float | None = None


def renew_if_due() -> None:
    """Queue a renewal when one is due, asking at most once every CHECK_SECONDS in this process;
    a search is never held up or failed by it."""
    global _checked_at
    now = time.monotonic()
    if _checked_at is not None and now - _checked_at < CHECK_SECONDS:
        return
    _checked_at = now
    try:
        if is_due():
            renew_recent_index.enqueue()
    except DatabaseError:
        log.warning("Could not check or queue the renewal of the recent search index.", exc_info=True)
