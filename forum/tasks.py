"""Background tasks (django-tasks): fan-out of notifications and the emails that follow.

In development and tests the immediate backend runs these inside the request, once the
transaction commits; in production `manage.py db_worker` runs them from the database queue
(django-tasks-db). Each task is safe to run twice: see forum.notifications and forum.emails.

Arguments are ids and ISO timestamps, never model instances, so they survive the queue.
"""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from forum import emails, notifications
from forum.models import Comment, Notification, NotificationKind


@task()
def fan_out_comment_task(comment_id: int) -> int:
    """Notify everyone a new public comment concerns, then email those who want it now."""
    created = notifications.fan_out_comment(comment_id)
    send_comment_emails_task.enqueue(comment_id)
    return created


@task()
def fan_out_thread_task(thread_id: int) -> int:
    """Notify theme watchers (and anyone mentioned) about a new discussion."""
    created = notifications.fan_out_thread(thread_id)
    comment_id = Comment.objects.filter(thread_id=thread_id, position=1).values_list("pk", flat=True).first()
    if comment_id:
        send_comment_emails_task.enqueue(comment_id)
    return created


@task()
def send_comment_emails_task(comment_id: int) -> int:
    """Immediate emails for one comment's notifications (only those not sent yet)."""
    return emails.send_immediately(Notification.objects.filter(comment_id=comment_id))


@task()
def common_ground_task(comment_id: int) -> int:
    created = notifications.common_ground_notification(comment_id)
    emails.send_immediately(
        Notification.objects.filter(comment_id=comment_id, kind=NotificationKind.COMMON_GROUND)
    )
    return created


@task()
def theme_response_task(theme_id: int, at: str) -> int:
    moment = datetime.fromisoformat(at)
    created = notifications.theme_response_notifications(theme_id, moment)
    emails.send_immediately(
        Notification.objects.filter(theme_id=theme_id, kind=NotificationKind.THEME_RESPONSE, created_at=moment)
    )
    return created


@task()
def moderation_notice_task(
    member_id: int, message: str, comment_id: int | None, thread_id: int | None, actor_id: int | None, at: str
) -> int:
    notice = notifications.moderation_notification(
        member_id, message, comment_id, thread_id, actor_id, datetime.fromisoformat(at)
    )
    if notice is None:
        return 0
    return emails.send_immediately(Notification.objects.filter(pk=notice.pk))
