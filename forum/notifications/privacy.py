"""The notifications' part of a member's data: what they follow, their notifications and email
settings, for "download my data" and for erasing an account (called by forum.member_data)."""

from __future__ import annotations

from forum.models import Notification, NotificationPreference, ThemeFollow, ThreadFollow
from forum.notifications.inbox import forget_unread


def member_export(user) -> dict:
    """What the member follows, their notifications and email settings, for their data download.

    Notifications name what they are about, not who caused them: other people's names stay out.
    """
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
    ThemeFollow.objects.filter(user=user).delete()
    ThreadFollow.objects.filter(user=user).delete()
    Notification.objects.filter(recipient=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    forget_unread([user.pk])
