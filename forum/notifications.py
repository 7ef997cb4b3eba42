"""Notifications: who is told about what, in the app and by email.

The entry points at the top are what the rest of the forum calls. Each one only queues a task
for after the current transaction commits (`transaction.on_commit`), so posting a comment never
waits for the fan-out, and nothing is sent about a change that was rolled back. The worker then
runs the functions below them (through forum.tasks).

The rules, in one place:

- one notification per recipient per comment; when several reasons apply, the strongest wins:
  reply > quote > mention > new comment in a watched discussion (or new discussion in a watched
  theme);
- never about the recipient's own action, never about content they cannot see (hidden, deleted,
  waiting for a moderator), never to an inactive or deleted account;
- Muted (on the thread, or on the theme when the thread has no level of its own) silences
  everything about that thread except moderation notices, which always arrive;
- fan-out is idempotent: rows are inserted with `bulk_create(ignore_conflicts=True)` against
  the unique (recipient, comment, kind) constraint, and recipients who already have a
  notification for the comment are skipped, so a retried task adds nothing.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from config import versions
from forum.following import DIRECT_LEVELS, combine
from forum.models import (
    Comment,
    FollowLevel,
    Notification,
    NotificationKind,
    Theme,
    ThemeFollow,
    Thread,
    ThreadFollow,
)

log = logging.getLogger(__name__)

__all__ = [
    "fan_out_comment",
    "forget_unread",
    "listed_notifications",
    "mark_all_read",
    "mark_read",
    "mark_read_for_comments",
    "mark_read_on_page",
    "notify_moderation",
    "on_comment_published",
    "on_common_ground",
    "on_theme_response",
    "on_thread_published",
    "unread_count",
    "unread_positions",
    "visible_notifications",
]

BATCH_SIZE = 2_000
# Strongest first: a reply that also quotes and mentions the recipient is one reply.
KIND_PRIORITY = [
    NotificationKind.REPLY,
    NotificationKind.QUOTE,
    NotificationKind.MENTION,
    NotificationKind.NEW_THREAD,
    NotificationKind.WATCHED_COMMENT,
]


# --- Entry points: each queues a task once the current transaction commits -------------------


def _enqueue_on_commit(task, *args) -> None:
    transaction.on_commit(lambda: task.enqueue(*args))


def on_comment_published(comment: Comment) -> None:
    """A comment became public (posted, or approved by a moderator): tell who should know."""
    from forum import tasks

    _enqueue_on_commit(tasks.fan_out_comment_task, comment.pk)


def on_thread_published(thread: Thread) -> None:
    """A discussion became public; its opening comment is covered by this one event."""
    from forum import tasks

    _enqueue_on_commit(tasks.fan_out_thread_task, thread.pk)


def on_common_ground(comment: Comment) -> None:
    """A third stakeholder group agreed with `comment`: tell its author."""
    from forum import tasks

    _enqueue_on_commit(tasks.common_ground_task, comment.pk)


def on_theme_response(theme: Theme) -> None:
    """A facilitator responded to `theme`: tell everyone following it (not Muted)."""
    from forum import tasks

    _enqueue_on_commit(tasks.theme_response_task, theme.pk, timezone.now().isoformat())


def notify_moderation(member, *, message: str, comment: Comment | None = None, thread: Thread | None = None,
                      actor=None) -> None:
    """Tell `member` what a moderator did to their content or account, and why.

    The notice always arrives in the app, whatever the member follows or mutes, and by email as
    their preferences say. The moment of the action identifies the notice, so a retried task
    does not add a second one.
    """
    from forum import tasks

    if thread is None and comment is not None:
        thread = comment.thread
    _enqueue_on_commit(
        tasks.moderation_notice_task,
        member.pk,
        message,
        comment.pk if comment is not None else None,
        thread.pk if thread is not None else None,
        actor.pk if actor is not None else None,
        timezone.now().isoformat(),
    )


# --- The work the tasks do --------------------------------------------------------------------


def _comment_is_public(comment: Comment) -> bool:
    thread = comment.thread
    return comment.is_public and not comment.is_deleted and thread.is_public


def _muted(user_ids, thread: Thread) -> set[int]:
    """Those of `user_ids` for whom `thread` is Muted (two queries, however many users)."""
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    thread_levels = dict(
        ThreadFollow.objects.filter(thread=thread, user_id__in=user_ids).values_list("user_id", "level")
    )
    theme_levels = dict(
        ThemeFollow.objects.filter(theme_id=thread.theme_id, user_id__in=user_ids).values_list("user_id", "level")
    )
    return {
        user_id
        for user_id in user_ids
        if combine(thread_levels.get(user_id), theme_levels.get(user_id)) not in DIRECT_LEVELS
    }


def _direct_recipients(comment: Comment) -> dict[int, str]:
    """Members this comment addresses: the replied-to and quoted authors and those mentioned."""
    from accounts.models import User

    found: dict[int, str] = {}
    if comment.parent_id and comment.parent and comment.parent.author_id:
        found[comment.parent.author_id] = NotificationKind.REPLY
    if comment.quoted_comment_id and comment.quoted_comment and comment.quoted_comment.author_id:
        found.setdefault(comment.quoted_comment.author_id, NotificationKind.QUOTE)
    for member_id in comment.mentions.values_list("member_id", flat=True):
        found.setdefault(member_id, NotificationKind.MENTION)
    found.pop(comment.author_id, None)
    if found:
        active = set(User.objects.filter(pk__in=found, is_active=True).values_list("pk", flat=True))
        found = {user_id: kind for user_id, kind in found.items() if user_id in active}
    return found


def _watchers(comment: Comment) -> list[int]:
    """Everyone Watching the comment's thread: by their own thread level, or through the theme
    when the thread has no level of theirs. Worked out by the database, not member by member."""
    thread = comment.thread
    on_thread = ThreadFollow.objects.filter(thread=thread, level=FollowLevel.WATCHING, user__is_active=True)
    through_theme = (
        ThemeFollow.objects.filter(theme_id=thread.theme_id, level=FollowLevel.WATCHING, user__is_active=True)
        .exclude(user_id__in=ThreadFollow.objects.filter(thread=thread).values("user_id"))
    )
    ids = set(on_thread.values_list("user_id", flat=True))
    ids.update(through_theme.values_list("user_id", flat=True))
    ids.discard(comment.author_id)
    return sorted(ids)


def _insert(rows: list[Notification]) -> None:
    for start in range(0, len(rows), BATCH_SIZE):
        Notification.objects.bulk_create(rows[start : start + BATCH_SIZE], ignore_conflicts=True)
    forget_unread([row.recipient_id for row in rows])


def fan_out_comment(comment_id: int) -> int:
    """Create the notifications one public comment causes; returns how many were new.

    The opening comment of a discussion tells theme watchers about a new discussion; any later
    comment tells thread watchers about a new comment. Direct reasons (reply, quote, mention)
    win over watching. Safe to run again: those already notified are skipped.
    """
    comment = (
        Comment.objects.select_related("thread__theme", "parent", "quoted_comment").filter(pk=comment_id).first()
    )
    if comment is None or not _comment_is_public(comment):
        return 0
    thread = comment.thread
    watch_kind = NotificationKind.NEW_THREAD if comment.position == 1 else NotificationKind.WATCHED_COMMENT

    recipients: dict[int, str] = dict.fromkeys(_watchers(comment), watch_kind)
    direct = _direct_recipients(comment)
    for user_id in _muted(direct, thread):
        direct.pop(user_id)
    for user_id, kind in direct.items():
        current = recipients.get(user_id)
        if current is None or KIND_PRIORITY.index(kind) < KIND_PRIORITY.index(current):
            recipients[user_id] = kind
    already = set(Notification.objects.filter(comment=comment).values_list("recipient_id", flat=True))
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=user_id,
            kind=kind,
            actor_id=comment.author_id,
            theme_id=thread.theme_id,
            thread_id=thread.pk,
            comment_id=comment.pk,
            created_at=now,
        )
        for user_id, kind in recipients.items()
        if user_id not in already
    ]
    _insert(rows)
    return len(rows)


def fan_out_thread(thread_id: int) -> int:
    """A new discussion: the fan-out of its opening comment."""
    first = Comment.objects.filter(thread_id=thread_id, position=1).values_list("pk", flat=True).first()
    return fan_out_comment(first) if first else 0


def common_ground_notification(comment_id: int) -> int:
    """Tell a comment's author that it became common ground (unless they muted the thread)."""
    comment = Comment.objects.select_related("thread", "author").filter(pk=comment_id).first()
    if comment is None or not _comment_is_public(comment) or comment.author is None or not comment.author.is_active:
        return 0
    if _muted([comment.author_id], comment.thread):
        return 0
    row = Notification(
        recipient_id=comment.author_id,
        kind=NotificationKind.COMMON_GROUND,
        theme_id=comment.thread.theme_id,
        thread_id=comment.thread_id,
        comment_id=comment.pk,
    )
    _insert([row])
    return 1


def theme_response_notifications(theme_id: int, at: datetime) -> int:
    """Tell everyone Watching or Tracking a theme about its official response.

    `at` (the moment of the response) is every row's `created_at`, which is what lets a retry
    find the rows it already made.
    """
    followers = ThemeFollow.objects.filter(
        theme_id=theme_id, level__in=[FollowLevel.WATCHING, FollowLevel.TRACKING], user__is_active=True
    ).exclude(
        user_id__in=Notification.objects.filter(
            kind=NotificationKind.THEME_RESPONSE, theme_id=theme_id, created_at=at
        ).values("recipient_id")
    )
    rows = [
        Notification(recipient_id=user_id, kind=NotificationKind.THEME_RESPONSE, theme_id=theme_id, created_at=at)
        for user_id in followers.values_list("user_id", flat=True)
    ]
    _insert(rows)
    return len(rows)


def moderation_notification(
    member_id: int, message: str, comment_id: int | None, thread_id: int | None, actor_id: int | None, at: datetime
) -> Notification | None:
    """The moderation notice for one action, created once (a retry finds the first one)."""
    from accounts.models import User

    if not User.objects.filter(pk=member_id).exists():
        return None
    theme_id = Thread.objects.filter(pk=thread_id).values_list("theme_id", flat=True).first() if thread_id else None
    notice, _created = Notification.objects.get_or_create(
        recipient_id=member_id,
        kind=NotificationKind.MODERATION,
        created_at=at,
        message=message,
        defaults={"comment_id": comment_id, "thread_id": thread_id, "theme_id": theme_id, "actor_id": actor_id},
    )
    forget_unread([member_id])
    return notice


# --- Reading them in the app ------------------------------------------------------------------

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


def forget_unread(user_ids) -> None:
    """Drop the cached unread counts of these members (their notifications changed): now, and
    again after the commit, so a count read just before the change committed is not kept."""
    keys = [key for user_id in user_ids for key in (_unread_key(user_id), _unread_positions_key(user_id))]
    for start in range(0, len(keys), BATCH_SIZE):
        versions.drop(keys[start : start + BATCH_SIZE])


def unread_count(user) -> int:
    """How many unread notifications `user` has: from the cache, else one COUNT on the partial
    unread index. Remembered on the user object for the rest of the request."""
    if user is None or not user.is_authenticated:
        return 0
    count = getattr(user, "_unread_notifications", None)
    if count is None:
        count = cache.get(_unread_key(user.pk))
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).filter(VISIBLE).count()
        cache.set(_unread_key(user.pk), count, UNREAD_CACHE_SECONDS)
    user._unread_notifications = count
    return count


def unread_positions(user) -> dict[int, tuple[int, int]]:
    """For each thread `user` has unread notifications about comments in (shown or not), the
    lowest and highest position of those comments: from the cache, else one query on the partial
    unread index. Forgotten with the count by `forget_unread`."""
    key = _unread_positions_key(user.pk)
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
    from django.conf import settings

    if user is None or not user.is_authenticated or not unread_count(user):
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
    if hasattr(user, "_unread_notifications"):
        del user._unread_notifications
    forget_unread([user.pk])


def group_by_thread(notifications) -> list[dict]:
    """Notifications (newest first) as groups: those about one thread together, each group where
    its newest notification falls; notifications without a thread stand alone."""
    groups: OrderedDict = OrderedDict()
    for notification in notifications:
        key = ("thread", notification.thread_id) if notification.thread_id else ("single", notification.pk)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"thread": notification.thread, "theme": notification.theme, "items": []}
        group["items"].append(notification)
    for group in groups.values():
        group["unread"] = sum(1 for item in group["items"] if item.read_at is None)
    return list(groups.values())


# --- The member's own data (called by forum.member_data) --------------------------------------


def member_export(user) -> dict:
    """What the member follows, their notifications and email settings, for their data download.

    Notifications name what they are about, not who caused them: other people's names stay out.
    """
    from forum.models import NotificationPreference

    def iso(value):
        return value.isoformat() if value else None

    preference = NotificationPreference.objects.filter(user=user).first()
    return {
        "followed_themes": [
            {"theme": follow.theme.title, "level": follow.level, "changed_at": iso(follow.updated_at)}
            for follow in ThemeFollow.objects.filter(user=user).select_related("theme").order_by("pk")
        ],
        "followed_threads": [
            {"thread_id": follow.thread_id, "thread_title": follow.thread.title, "level": follow.level,
             "changed_at": iso(follow.updated_at)}
            for follow in ThreadFollow.objects.filter(user=user).select_related("thread").order_by("pk")
        ],
        "notifications": [
            {
                "kind": notification.get_kind_display(),
                "thread_title": notification.thread.title if notification.thread else None,
                "theme_title": notification.theme.title if notification.theme else None,
                "comment_url": notification.comment.get_absolute_url() if notification.comment_id else None,
                "message": notification.message or None,
                "created_at": iso(notification.created_at),
                "read_at": iso(notification.read_at),
                "emailed_at": iso(notification.emailed_at),
            }
            for notification in Notification.objects.filter(recipient=user)
            .select_related("thread", "theme", "comment")
            .order_by("created_at", "pk")
        ],
        "email_settings": {
            "frequency": preference.email_frequency if preference else "immediately",
            "kinds": (preference.email_kinds or "all") if preference else "all",
            "last_digest_at": iso(preference.last_digest_at) if preference else None,
        },
    }


def member_erase(user) -> None:
    """Remove what is private to the member: follows, notifications, email settings."""
    from forum.models import NotificationPreference

    ThemeFollow.objects.filter(user=user).delete()
    ThreadFollow.objects.filter(user=user).delete()
    Notification.objects.filter(recipient=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    forget_unread([user.pk])
