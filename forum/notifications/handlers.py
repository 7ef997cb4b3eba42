"""The notifications' handlers of the forum's events (`connect()` is called by ForumConfig.ready).

The after-commit ones run in the task worker (`forum.events.deliver`), with ids and ISO timestamps:
each makes the notifications (idempotently: a retry adds none twice) and then emails those who
want them at once (only rows still unsent, each claimed before it goes). An email that fails is
tried again later on its own (`forum.notifications.sending`); the daily digest run also sends any due.
"""

from __future__ import annotations

from datetime import datetime

from forum import events
from forum.models import Notification, NotificationKind
from forum.notifications import fanout, inbox
from forum.notifications.sending import send_immediately


def comment_published(comment_id: int, opening: bool) -> int:
    """Tell who should know about a newly public comment (or discussion), then email them."""
    created = fanout.fan_out_comment(comment_id)
    send_immediately(Notification.objects.filter(comment_id=comment_id))
    return created


def common_ground_reached(comment_id: int) -> int:
    """Tell the comment's author it became common ground."""
    created = fanout.common_ground_notification(comment_id)
    send_immediately(Notification.objects.filter(comment_id=comment_id, kind=NotificationKind.COMMON_GROUND))
    return created


def theme_responded(theme_id: int, at: str) -> int:
    """Tell everyone following the theme (not Muted) about its official response."""
    moment = datetime.fromisoformat(at)
    created = fanout.theme_response_notifications(theme_id, moment)
    send_immediately(
        Notification.objects.filter(theme_id=theme_id, kind=NotificationKind.THEME_RESPONSE, created_at=moment)
    )
    return created


def commitment_changed(commitment_id: int, status: str, at: str) -> int:
    """Tell everyone following the theme (not Muted) that one of its commitments has an update."""
    moment = datetime.fromisoformat(at)
    created = fanout.commitment_notifications(commitment_id, status, moment)
    send_immediately(Notification.objects.filter(kind=NotificationKind.COMMITMENT, created_at=moment,
                                                 theme__commitments__pk=commitment_id))
    return created


def member_told(member_id: int, message: str, comment_id: int | None, thread_id: int | None,
                actor_id: int | None, at: str) -> int:
    """The moderation notice for one decision: in the app always, by email as the member chose."""
    notice = fanout.moderation_notification(
        member_id, message, comment_id, thread_id, actor_id, datetime.fromisoformat(at)
    )
    if notice is None:
        return 0
    return send_immediately(Notification.objects.filter(pk=notice.pk))


def page_read(reader, thread, page: int) -> None:
    """A member is shown a page of a discussion: what they were told about its comments is read
    (before the page renders, so the header's count is already right)."""
    inbox.mark_read_on_page(reader, thread, page)


def connect() -> None:
    events.comment_published.connect(comment_published)
    events.common_ground_reached.connect(common_ground_reached)
    events.theme_responded.connect(theme_responded)
    events.commitment_changed.connect(commitment_changed)
    events.member_told.connect(member_told)
    events.page_read.connect(page_read)
