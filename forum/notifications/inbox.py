"""A member's notifications in the app: which they see, how many are unread, marking them read.

The header shows the unread count on every page, so it is cached per member, and every change to
a member's notifications drops it (through `config.versions`: at once and again after the commit).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Min, Q
from django.utils import timezone

from accounts.backends import take_read_with_member
from config import versions
from forum.models import Notification, NotificationKind, Thread

BATCH_SIZE = 2_000

# A notification is shown while what it points to is still public. Moderation notices are about
# the member's own content, often hidden by the very action they describe, so they always show.
VISIBLE = Q(kind=NotificationKind.MODERATION) | (
    (Q(comment__isnull=True) | Q(comment__is_hidden=False, comment__needs_approval=False, comment__is_deleted=False))
    & (Q(thread__isnull=True) | Q(thread__is_hidden=False, thread__needs_approval=False))
)


def visible_notifications(user):
    """`user`'s notifications about things they can still see, newest first, ready to list."""
    return (
        Notification.objects.filter(recipient=user)
        .filter(VISIBLE)
        .select_related("actor", "theme", "thread", "comment")
        .order_by("-created_at", "-pk")
    )


# The columns the notifications page shows: the rows it joins carry wide text (comment bodies,
# theme summaries) that it never reads.
LISTED_FIELDS = (
    "recipient_id", "kind", "message", "created_at", "read_at", "comment_id",
    "actor", "actor__display_name", "actor__deleted_at",
    "theme", "theme__title", "theme__slug",
    "thread", "thread__title", "thread__slug",
)


def listed_notifications(user):
    """`visible_notifications` for the notifications page: only the columns it shows."""
    return visible_notifications(user).select_related(None).select_related("actor", "theme", "thread").only(
        *LISTED_FIELDS
    )


# The header shows the unread count on every page, so it is cached; every change to a member's
# notifications deletes their entry. With the local-memory cache and several processes (no
# REDIS_URL), another process's entry can lag by up to this long.
UNREAD_CACHE_SECONDS = 60


def _unread_key(user_id: int) -> str:
    return f"forum:notifications:unread:{user_id}"


def _unread_positions_key(user_id: int) -> str:
    return f"forum:notifications:unread-positions:{user_id}"


def listing_version_key(user_id: int) -> str:
    """The version the member's notifications pages are kept under (`kept_pages`)."""
    return f"forum:v:notifications:{user_id}"


def forget_unread(user_ids) -> None:
    """Drop the cached unread counts of these members (their notifications changed): now, and
    again after the commit, so a count read just before the change committed is not kept. Their
    kept notifications pages are passed over from now on (a new version, settling)."""
    user_ids = list(user_ids)
    keys = [key for user_id in user_ids for key in (_unread_key(user_id), _unread_positions_key(user_id))]
    for start in range(0, len(keys), BATCH_SIZE):
        versions.drop(keys[start : start + BATCH_SIZE])
    for start in range(0, len(user_ids), BATCH_SIZE):
        versions.replace([listing_version_key(user_id) for user_id in user_ids[start : start + BATCH_SIZE]])


def _remember_unread(user, found: dict) -> None:
    """Keep the count from a read of `keys_for(user.pk)` on the user for this request."""
    count = found.get(_unread_key(user.pk))
    if count is not None:
        user._unread_notifications = count


def keys_for(user_id: int) -> list[str]:
    """What `_read_both` reads: registered to come with the member's row (`forum.apps`)."""
    return [_unread_key(user_id), _unread_positions_key(user_id)]


def unread_count(user) -> int:
    """How many unread notifications `user` has: from the cache (read with the member's row, as a
    rule), else one COUNT on the partial unread index. Remembered on the user object for the rest
    of the request."""
    if user is None or not user.is_authenticated:
        return 0
    _read_both(user)
    count = getattr(user, "_unread_notifications", None)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).filter(VISIBLE).count()
        cache.set(_unread_key(user.pk), count, UNREAD_CACHE_SECONDS)
    user._unread_notifications = count
    return count


def _read_both(user) -> None:
    """The unread count and positions (read with the member's row, or in one round trip),
    remembered for `unread_count` and `unread_positions` (each still reads the database when the
    cache has nothing)."""
    if getattr(user, "_unread_notifications", None) is not None:
        return
    found = take_read_with_member(user, keys_for(user.pk))
    if found is None:
        found = cache.get_many(keys_for(user.pk))
    _remember_unread(user, found)
    if (ranges := found.get(_unread_positions_key(user.pk))) is not None:
        user._unread_positions = ranges


def unread_positions(user) -> dict[int, tuple[int, int]]:
    """For each thread `user` has unread notifications about comments in (shown or not), the
    lowest and highest position of those comments: from the cache, else one query on the partial
    unread index. Forgotten with the count by `forget_unread`."""
    key = _unread_positions_key(user.pk)
    ranges = getattr(user, "_unread_positions", None)
    if ranges is None:
        ranges = cache.get(key)
    if ranges is None:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True, comment__isnull=False)
        rows = unread.values("thread_id").annotate(low=Min("comment__position"), high=Max("comment__position"))
        ranges = {row["thread_id"]: (row["low"], row["high"]) for row in rows}
        cache.set(key, ranges, UNREAD_CACHE_SECONDS)
    return ranges


def mark_read(user, notification_id: int) -> bool:
    """Mark one of `user`'s notifications read; False when it is not theirs or already read."""
    updated = Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _forget_count(user)
    return bool(updated)


def mark_all_read(user) -> int:
    updated = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    _forget_count(user)
    return updated


def mark_read_for_comments(user, comment_ids) -> int:
    """Mark read what `user` was told about these comments (the ones on the page they opened).

    One UPDATE, and none at all when the header already found nothing unread.
    """
    if user is None or not user.is_authenticated or not comment_ids:
        return 0
    if getattr(user, "_unread_notifications", None) == 0:
        return 0
    updated = Notification.objects.filter(
        recipient=user, read_at__isnull=True, comment_id__in=list(comment_ids)
    ).update(read_at=timezone.now())
    if updated:
        _forget_count(user)
    return updated


def mark_read_on_page(user, thread: Thread, page: int, per_page: int | None = None) -> int:
    """Mark read what `user` was told about the comments on this page of `thread`.

    Called by the thread page before it renders, so the header's count is already right. When
    nothing is unread, or nothing about this page of the thread (both cached until the member's
    notifications change), no UPDATE is run at all.
    """
    if user is None or not user.is_authenticated:
        return 0
    _read_both(user)
    if not unread_count(user):
        return 0
    per_page = per_page or settings.COMMENTS_PER_PAGE
    first = (page - 1) * per_page + 1
    low, high = unread_positions(user).get(thread.pk, (0, -1))
    if high < first or low >= first + per_page:
        return 0
    updated = Notification.objects.filter(
        recipient=user,
        read_at__isnull=True,
        thread=thread,
        comment__position__gte=first,
        comment__position__lt=first + per_page,
    ).update(read_at=timezone.now())
    if updated:
        _forget_count(user)
    return updated


def _forget_count(user) -> None:
    for remembered in ("_unread_notifications", "_unread_positions"):
        if hasattr(user, remembered):
            delattr(user, remembered)
    forget_unread([user.pk])
