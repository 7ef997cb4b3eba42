"""Notification emails: one as each thing happens, or gathered into daily and weekly digests.

Every email has a plain-text and an HTML part, a subject that says what happened, a link to the
comment, and two signed links that work without signing in (`unsubscribe`): one stops following
the thread or theme the email is about, one stops all emails. What each kind of notification says,
where it leads and what its one-click unsubscribe stops is one row of KINDS.

Sending (once only, to whom, when) is `sending`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import unescape

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator

from config.text import one_line
from forum.models import EmailFrequency, Notification, NotificationKind, NotificationPreference, ThemeFollow
from forum.notifications.unsubscribe import SCOPE_ALL, SCOPE_THEME, SCOPE_THREAD, absolute, unsubscribe_url

SUBJECT_PREFIX = "[Common Ground] "
EXCERPT_CHARS = 400


@dataclass(frozen=True)
class Kind:
    """What one kind of notification says and does in an email (and in the app's list)."""

    headline: str  # with {actor}, {thread} (quoted, shortened) and {theme}
    unfollows: str = SCOPE_THREAD  # what its "stop following" link stops: the thread, or the theme
    one_click_unfollows: bool = False  # the mail program's unsubscribe button stops that following
    headline_without_thread: str = ""  # for a notice that is about no discussion


# Emails a member gets because they follow something stop that following at one click; the rest
# (replies, mentions, notices…) stop all email.
KINDS = {
    NotificationKind.REPLY: Kind("{actor} replied to your comment in {thread}"),
    NotificationKind.QUOTE: Kind("{actor} quoted your comment in {thread}"),
    NotificationKind.MENTION: Kind("{actor} mentioned you in {thread}"),
    NotificationKind.WATCHED_COMMENT: Kind("{actor} commented in {thread}", one_click_unfollows=True),
    NotificationKind.NEW_THREAD: Kind(
        "{actor} started a discussion in {theme}: {thread}", unfollows=SCOPE_THEME, one_click_unfollows=True
    ),
    NotificationKind.COMMON_GROUND: Kind("Your comment in {thread} became common ground"),
    NotificationKind.THEME_RESPONSE: Kind(
        "The facilitators responded to the theme “{theme}”", unfollows=SCOPE_THEME, one_click_unfollows=True
    ),
    NotificationKind.COMMITMENT: Kind(
        "A commitment on the theme “{theme}” has an update", unfollows=SCOPE_THEME, one_click_unfollows=True
    ),
    NotificationKind.MODERATION: Kind(
        "The moderators made a decision about your post in {thread}",
        headline_without_thread="A message from the moderators",
    ),
}
UNKNOWN_KIND = Kind("Something happened on Common Ground")


def preference_for(user) -> NotificationPreference:
    """The member's preference row, or an unsaved one with the defaults (immediately, all kinds)."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def wants_kind(preference: NotificationPreference, kind: str) -> bool:
    return not preference.email_kinds or kind in preference.email_kinds


# --- Building messages -----------------------------------------------------------------------


def excerpt(html: str, length: int = EXCERPT_CHARS) -> str:
    return Truncator(" ".join(unescape(strip_tags(html or "")).split())).chars(length)


def _short(title: str) -> str:
    return Truncator(title).chars(70)


def describe(notification: Notification) -> str:
    """One sentence saying what happened, used in subjects, the app and digests."""
    if notification.kind == NotificationKind.MODERATION and notification.message:
        return f"From the moderators: {first_sentence(notification.message)}"  # "Your comment in “…” was …"
    kind = KINDS.get(notification.kind, UNKNOWN_KIND)
    if not notification.thread and kind.headline_without_thread:
        return kind.headline_without_thread
    return kind.headline.format(
        actor=notification.actor.public_name if notification.actor else "Someone",
        thread=f"“{_short(notification.thread.title)}”" if notification.thread else "",
        theme=notification.theme.title if notification.theme else "",
    )


def first_sentence(text: str) -> str:
    """The first sentence of a notice, looking past a quoted title (which may hold a full stop)."""
    after_title = text.rfind("”", 0, 300) + 1
    end = text.find(". ", after_title)
    return text if end < 0 else text[: end + 1]


def target_url(notification: Notification) -> str:
    """Where the notification leads: the comment, else the thread, else the theme, else the list."""
    if notification.comment_id and notification.kind != NotificationKind.MODERATION:
        return notification.comment.get_absolute_url()
    if notification.comment_id and notification.comment.is_public and not notification.comment.is_deleted:
        return notification.comment.get_absolute_url()
    if notification.thread_id:
        return notification.thread.get_absolute_url()
    if notification.theme_id:
        return notification.theme.get_absolute_url()
    return reverse("forum:notifications")


def _unfollow(notification: Notification, recipient) -> dict | None:
    """The 'stop following' link an event email carries: the thread, or the theme it is about."""
    kind = KINDS.get(notification.kind, UNKNOWN_KIND)
    if kind.unfollows == SCOPE_THEME and notification.theme_id:
        return {
            "label": f"Stop following the theme “{notification.theme.title}”",
            "url": unsubscribe_url(recipient, SCOPE_THEME, notification.theme_id),
        }
    if notification.thread_id:
        return {
            "label": f"Stop following the discussion “{_short(notification.thread.title)}”",
            "url": unsubscribe_url(recipient, SCOPE_THREAD, notification.thread_id),
        }
    return None


def _message(recipient, subject: str, template: str, context: dict, one_click_url: str) -> EmailMultiAlternatives:
    context = {
        **context,
        "recipient": recipient,
        "site_url": settings.SITE_URL,
        "preferences_url": absolute(reverse("forum:notification_settings")),
        "notifications_url": absolute(reverse("forum:notifications")),
    }
    text = render_to_string(f"forum/emails/{template}.txt", context)
    html = render_to_string(f"forum/emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=one_line(SUBJECT_PREFIX + subject),  # a header never holds a line break
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "List-Unsubscribe": f"<{one_click_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def build_event_email(notification: Notification) -> EmailMultiAlternatives:
    """The email for one notification, sent as it happens."""
    recipient = notification.recipient
    unfollow = _unfollow(notification, recipient)
    stop_all = unsubscribe_url(recipient, SCOPE_ALL)
    follows = KINDS.get(notification.kind, UNKNOWN_KIND).one_click_unfollows
    one_click = unfollow["url"] if unfollow and follows else stop_all
    subject = describe(notification)
    context = {
        "notification": notification,
        "headline": subject,
        "text": excerpt(notification.comment.body_html) if notification.comment_id and notification.comment.is_public
        else "",
        "link": absolute(target_url(notification)),
        "link_label": "Read the comment" if notification.comment_id else "Open it on Common Ground",
        "unfollow": unfollow,
        "stop_all_url": stop_all,
    }
    return _message(recipient, subject, "event", context, one_click)


@dataclass
class DigestThread:
    thread: object
    unfollow_url: str = ""
    items: list = field(default_factory=list)


@dataclass
class DigestTheme:
    theme: object
    unfollow_url: str = ""
    threads: dict = field(default_factory=dict)
    items: list = field(default_factory=list)  # about the theme itself (official responses)


def digest_groups(notifications) -> tuple[list[DigestTheme], list]:
    """Group a member's notifications by theme and thread, each listed once; notices that belong
    to no theme (account-level moderation notices) come back separately."""
    themes: dict[int, DigestTheme] = {}
    loose = []
    seen = set()
    for notification in notifications:
        key = (notification.comment_id, notification.kind) if notification.comment_id else ("n", notification.pk)
        if key in seen:
            continue
        seen.add(key)
        notification.description = describe(notification)
        notification.link = absolute(target_url(notification))
        notification.text = (
            excerpt(notification.comment.body_html, 200)
            if notification.comment_id and notification.kind != NotificationKind.MODERATION
            else ""
        )
        if not notification.theme_id:
            loose.append(notification)
            continue
        group = themes.setdefault(notification.theme_id, DigestTheme(theme=notification.theme))
        if notification.thread_id:
            group.threads.setdefault(notification.thread_id, DigestThread(thread=notification.thread)).items.append(
                notification
            )
        else:
            group.items.append(notification)
    for group in themes.values():
        group.threads = list(group.threads.values())
    return list(themes.values()), loose


def build_digest_email(recipient, notifications, frequency: str, followed_theme_ids=None) -> EmailMultiAlternatives:
    """One digest email: what happened since the last one, by theme and thread.

    Each discussion gets a link to stop following it; each theme too, when the member follows it
    (`followed_theme_ids`; looked up when not given).
    """
    if followed_theme_ids is None:
        followed_theme_ids = set(ThemeFollow.objects.filter(user=recipient).values_list("theme_id", flat=True))
    themes, loose = digest_groups(notifications)
    count = sum(len(t.items) + sum(len(th.items) for th in t.threads) for t in themes) + len(loose)
    period = "today" if frequency == EmailFrequency.DAILY else "this week"
    subject = f"Your {'daily' if frequency == EmailFrequency.DAILY else 'weekly'} summary: " + (
        f"{count} update{'s' if count != 1 else ''}"
    )
    stop_all = unsubscribe_url(recipient, SCOPE_ALL)
    context = {"themes": themes, "loose": loose, "count": count, "period": period, "stop_all_url": stop_all,
               "headline": subject}
    for theme_group in themes:
        theme_group.unfollow_url = (
            unsubscribe_url(recipient, SCOPE_THEME, theme_group.theme.pk)
            if theme_group.theme.pk in followed_theme_ids
            else ""
        )
        for thread_group in theme_group.threads:
            thread_group.unfollow_url = unsubscribe_url(recipient, SCOPE_THREAD, thread_group.thread.pk)
    return _message(recipient, subject, "digest", context, stop_all)
