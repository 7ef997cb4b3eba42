"""Who is told about what: the notifications one event causes, made idempotently.

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

These run in the task worker, from the handlers of the forum's events (`handlers`).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from forum.following.levels import DIRECT_LEVELS, combine
from forum.models import (
    Comment,
    Commitment,
    CommitmentStatus,
    FollowLevel,
    Notification,
    NotificationKind,
    ThemeFollow,
    Thread,
    ThreadFollow,
)
from forum.notifications.inbox import forget_unread

BATCH_SIZE = 2_000
# Strongest first: a reply that also quotes and mentions the recipient is one reply.
KIND_PRIORITY = [
    NotificationKind.REPLY,
    NotificationKind.QUOTE,
    NotificationKind.MENTION,
    NotificationKind.NEW_THREAD,
    NotificationKind.WATCHED_COMMENT,
]


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


def commitment_notifications(commitment_id: int, status: str, at: datetime) -> int:
    """Tell everyone Watching or Tracking a theme that one of its commitments has an update: its
    status from `at` on, with the note (the reason, when it was dropped).

    `at` (the moment of the update) is every row's `created_at`, so a retry finds the rows it made.
    """
    commitment = Commitment.objects.filter(pk=commitment_id).first()
    if commitment is None:
        return 0
    update = commitment.updates.filter(created_at=at).first()
    message = commitment_message(commitment, status, update.note if update is not None else "")
    followers = ThemeFollow.objects.filter(
        theme_id=commitment.theme_id, level__in=[FollowLevel.WATCHING, FollowLevel.TRACKING], user__is_active=True
    ).exclude(
        user_id__in=Notification.objects.filter(
            kind=NotificationKind.COMMITMENT, theme_id=commitment.theme_id, created_at=at
        ).values("recipient_id")
    )
    rows = [
        Notification(recipient_id=user_id, kind=NotificationKind.COMMITMENT, theme_id=commitment.theme_id,
                     created_at=at, message=message)
        for user_id in followers.values_list("user_id", flat=True)
    ]
    _insert(rows)
    return len(rows)


def commitment_message(commitment: Commitment, status: str, note: str) -> str:
    """What the update says, in one or two sentences: “…” (organisation) is now done. The reason: …"""
    label = dict(CommitmentStatus.choices).get(status, status).lower()
    said = f"“{commitment.what}” ({commitment.owner_organisation}) is now {label}."
    if not note:
        return said
    return f"{said} The reason: {note}" if status == CommitmentStatus.DROPPED else f"{said} {note}"


def moderation_notification(
    member_id: int, message: str, comment_id: int | None, thread_id: int | None, actor_id: int | None, at: datetime
) -> Notification | None:
    """The moderation notice for one action, created once (a retry finds the first one)."""
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
