"""The review queue: what waits for a moderator (reported comments and discussions, comments
waiting for approval, appeals), oldest first, and how many, for the header."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, F, Func, IntegerField, Min, Prefetch, Q, Subquery

from accounts.backends import take_read_with_member
from accounts.models import User
from config import versions
from forum.models import Appeal, AppealStatus, Comment, Flag, FlagStatus, Thread

QUEUE_SECTION_SIZE = 50


def _open_flags_shown():
    return Flag.objects.filter(status=FlagStatus.OPEN).select_related("flagger").order_by("created_at", "pk")


def _matching_flags(*, reason: str = "", flagger_id: int | None = None):
    flags = Flag.objects.filter(status=FlagStatus.OPEN)
    if reason:
        flags = flags.filter(reason=reason)
    if flagger_id:
        flags = flags.filter(flagger_id=flagger_id)
    return flags


def reported_comments(*, reason: str = "", flagger_id: int | None = None):
    """Comments with open reports, oldest report first, each with every open report and who made it.

    Filtering by reason or reporter chooses which comments are listed; each still shows all its
    open reports so the moderator sees the whole picture.
    """
    matching = _matching_flags(reason=reason, flagger_id=flagger_id).filter(comment__isnull=False)
    return (
        Comment.objects.filter(pk__in=matching.values("comment_id"))
        .annotate(first_flagged_at=Min("flags__created_at", filter=Q(flags__status=FlagStatus.OPEN)))
        .select_related("author", "thread__theme", "hidden_by")
        .prefetch_related(Prefetch("flags", queryset=_open_flags_shown(), to_attr="open_flags"))
        .order_by("first_flagged_at", "pk")
    )


def reported_threads(*, reason: str = "", flagger_id: int | None = None):
    matching = _matching_flags(reason=reason, flagger_id=flagger_id).filter(thread__isnull=False)
    return (
        Thread.objects.filter(pk__in=matching.values("thread_id"))
        .annotate(first_flagged_at=Min("flags__created_at", filter=Q(flags__status=FlagStatus.OPEN)))
        .select_related("author", "theme")
        .prefetch_related(Prefetch("flags", queryset=_open_flags_shown(), to_attr="open_flags"))
        .order_by("first_flagged_at", "pk")
    )


def pending_comments():
    """Comments waiting for approval, oldest first."""
    return (
        Comment.objects.filter(needs_approval=True, is_hidden=False, is_deleted=False)
        .select_related("author", "thread__theme")
        .order_by("created_at", "pk")
    )


def open_appeals():
    return Appeal.objects.filter(status=AppealStatus.OPEN).select_related("log_entry", "member").order_by(
        "created_at", "pk"
    )


def flaggers_with_open_reports():
    return User.objects.filter(flags__status=FlagStatus.OPEN).distinct().order_by("display_name", "pk")


QUEUE_COUNT_KEY = "forum:moderation-queue-count"
QUEUE_COUNT_SECONDS = 30


def keys_for(user_id: int) -> list[str]:
    """The header's count, read with every member's row (a small entry: fetched for everyone,
    used for moderators), so a moderator's page makes no round trip of its own for it."""
    return [QUEUE_COUNT_KEY]


def header_queue_count(user) -> int:
    """`queue_count()` for the header, kept for half a minute and dropped whenever a report, an
    appeal or a moderation action changes the queue, so most pages cost moderators no query (and,
    read with their row, no round trip)."""
    found = take_read_with_member(user, [QUEUE_COUNT_KEY])
    if found and found.get(QUEUE_COUNT_KEY) is not None:
        return found[QUEUE_COUNT_KEY]
    return cache.get_or_set(QUEUE_COUNT_KEY, queue_count, QUEUE_COUNT_SECONDS)


def forget_queue_count() -> None:
    """The queue changed: drop the header's count (now, and again after the commit)."""
    versions.drop([QUEUE_COUNT_KEY])


def queue_count() -> int:
    """Everything waiting for a moderator (reported comments and discussions, comments waiting for
    approval, appeals), counted in one query for the header."""
    pending = (
        Comment.objects.filter(needs_approval=True, is_hidden=False, is_deleted=False)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    appeals = Appeal.objects.filter(status=AppealStatus.OPEN).order_by().annotate(n=Func(F("pk"), function="COUNT"))
    totals = Flag.objects.filter(status=FlagStatus.OPEN).aggregate(
        total=Count("comment", distinct=True)
        + Count("thread", distinct=True)
        + Subquery(pending, output_field=IntegerField())
        + Subquery(appeals.values("n"), output_field=IntegerField())
    )
    return totals["total"] or 0
