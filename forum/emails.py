"""Notification emails: one at a time as things happen, or gathered into daily and weekly digests.

Every email has a plain-text and an HTML part, a subject that says what happened, a link to the
comment, and two signed links that work without signing in: one stops following the thread or
theme the email is about, one stops all emails. The `List-Unsubscribe` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` headers (RFC 8058) point at one of them, so
mail programs can offer their own unsubscribe button.

Nothing is sent twice. `Notification.emailed_at` is set by a conditional UPDATE
(`... WHERE emailed_at IS NULL`) *before* the message goes out, so a retried or concurrent run
finds the row already claimed; if sending fails the claim is released for the next attempt.
Digests only gather rows that are still unsent, so they never repeat an immediate email or an
earlier digest.

Nobody is emailed at an address they have not confirmed, nor while suspended (except the
moderation notice that tells them about it), nor after deleting their account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from forum.models import (
    EmailFrequency,
    FollowLevel,
    Notification,
    NotificationKind,
    NotificationPreference,
    ThemeFollow,
)
from forum.notifications import VISIBLE

log = logging.getLogger(__name__)

__all__ = [
    "UNSUBSCRIBE_MAX_AGE",
    "build_digest_email",
    "build_event_email",
    "preference_for",
    "read_unsubscribe_token",
    "retry_unsent",
    "send_digests",
    "send_immediately",
    "unsubscribe_token",
    "unsubscribe_url",
]

SUBJECT_PREFIX = "[Common Ground] "
UNSUBSCRIBE_SALT = "forum.emails.unsubscribe"
# Links in old emails keep working for three months; after that the page asks the member to
# sign in and change their settings there.
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 90
# A digest gathers unsent notifications from at most this far back, so switching from "never"
# to a digest does not deliver months of backlog at once.
DIGEST_LOOKBACK = timedelta(days=14)
BATCH_SIZE = 500
EXCERPT_CHARS = 400


# --- Signed links ----------------------------------------------------------------------------

SCOPE_THREAD = "thread"
SCOPE_THEME = "theme"
SCOPE_ALL = "all"
SCOPES = {SCOPE_THREAD, SCOPE_THEME, SCOPE_ALL}


def unsubscribe_token(user, scope: str, target_id: int | None = None) -> str:
    """A signed, timestamped token saying: `user` wants to stop `scope` (a thread, a theme, all)."""
    if scope not in SCOPES:
        raise ValueError(f"Unknown unsubscribe scope {scope!r}.")
    return signing.dumps({"u": user.pk, "s": scope, "o": target_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> dict:
    """The token's content; raises signing.SignatureExpired or signing.BadSignature."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    if not isinstance(data, dict) or data.get("s") not in SCOPES or not isinstance(data.get("u"), int):
        raise signing.BadSignature("Unexpected token content.")
    return data


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def unsubscribe_url(user, scope: str, target_id: int | None = None) -> str:
    return absolute(reverse("forum:unsubscribe", kwargs={"token": unsubscribe_token(user, scope, target_id)}))


# --- Preferences -----------------------------------------------------------------------------


def preference_for(user) -> NotificationPreference:
    """The member's preference row, or an unsaved one with the defaults (immediately, all kinds)."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def wants_kind(preference: NotificationPreference, kind: str) -> bool:
    return not preference.email_kinds or kind in preference.email_kinds


def _verified_address(user_ref: str, email_ref: str) -> Exists:
    from allauth.account.models import EmailAddress

    return Exists(EmailAddress.objects.filter(user_id=OuterRef(user_ref), email__iexact=OuterRef(email_ref),
                                              verified=True))


def _suspended(member_ref: str) -> Exists:
    """An active suspension: not lifted, and open-ended or ending in the future."""
    from forum.models import Suspension

    now = timezone.now()
    return Exists(
        Suspension.objects.filter(member_id=OuterRef(member_ref), lifted_at__isnull=True).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )
    )


# --- Building messages -----------------------------------------------------------------------


def excerpt(html: str, length: int = EXCERPT_CHARS) -> str:
    return Truncator(" ".join(unescape(strip_tags(html or "")).split())).chars(length)


def _short(title: str) -> str:
    return Truncator(title).chars(70)


def describe(notification: Notification) -> str:
    """One sentence saying what happened, used in subjects, the app and digests."""
    actor = notification.actor.public_name if notification.actor else "Someone"
    thread = f"“{_short(notification.thread.title)}”" if notification.thread else ""
    theme = notification.theme.title if notification.theme else ""
    kind = notification.kind
    if kind == NotificationKind.REPLY:
        return f"{actor} replied to your comment in {thread}"
    if kind == NotificationKind.QUOTE:
        return f"{actor} quoted your comment in {thread}"
    if kind == NotificationKind.MENTION:
        return f"{actor} mentioned you in {thread}"
    if kind == NotificationKind.WATCHED_COMMENT:
        return f"{actor} commented in {thread}"
    if kind == NotificationKind.NEW_THREAD:
        return f"{actor} started a discussion in {theme}: {thread}"
    if kind == NotificationKind.COMMON_GROUND:
        return f"Your comment in {thread} became common ground"
    if kind == NotificationKind.THEME_RESPONSE:
        return f"The facilitators responded to the theme “{theme}”"
    if kind == NotificationKind.MODERATION:
        return f"A moderator acted on your content in {thread}" if thread else "A message from the moderators"
    return "Something happened on Common Ground"


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
    if notification.kind in {NotificationKind.NEW_THREAD, NotificationKind.THEME_RESPONSE} and notification.theme_id:
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


# Emails a member gets because they follow something: the mail program's unsubscribe button
# stops that following. Everything else (replies, mentions, digests…) stops all email.
_FOLLOW_KINDS = {NotificationKind.WATCHED_COMMENT, NotificationKind.NEW_THREAD, NotificationKind.THEME_RESPONSE}


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
        subject=SUBJECT_PREFIX + subject,
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
    one_click = unfollow["url"] if unfollow and notification.kind in _FOLLOW_KINDS else stop_all
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


# --- Sending ---------------------------------------------------------------------------------


def _deliverable(queryset):
    """Notifications whose recipient may be emailed now: active, not deleted, a confirmed
    address, and not suspended (the moderation notice itself still goes)."""
    return (
        queryset.filter(recipient__is_active=True, recipient__deleted_at__isnull=True)
        .filter(_verified_address("recipient_id", "recipient__email"))
        .filter(Q(kind=NotificationKind.MODERATION) | ~_suspended("recipient_id"))
    )


def _claim(ids: list[int]) -> set[int]:
    """Mark these unsent notifications as sent; return the ones this call claimed.

    The UPDATE only touches rows still unsent, so two runs never claim the same row. When it
    claimed fewer than asked, another run took the rest: re-read which ones carry our mark.
    """
    if not ids:
        return set()
    mark = timezone.now()
    claimed = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=mark)
    if claimed == len(ids):
        return set(ids)
    if claimed == 0:
        return set()
    return set(Notification.objects.filter(pk__in=ids, emailed_at=mark).values_list("pk", flat=True))


def _release(ids) -> None:
    """Sending failed: let the next attempt (a task retry or the next digest) pick these up."""
    Notification.objects.filter(pk__in=list(ids)).update(emailed_at=None)


def send_immediately(notifications) -> int:
    """Email, one by one, the notifications in `notifications` that their recipients want now.

    Only rows still unsent are considered, each is claimed before its message goes out, and
    one SMTP connection serves the whole run. Returns how many emails were sent.
    """
    immediate = Q(recipient__notification_preference__isnull=True) | Q(
        recipient__notification_preference__email_frequency=EmailFrequency.IMMEDIATELY
    )
    queryset = (
        _deliverable(notifications.filter(emailed_at__isnull=True).filter(immediate).filter(VISIBLE))
        .select_related("recipient__notification_preference", "actor", "theme", "thread", "comment")
        .order_by("pk")
    )
    sent = 0
    last = 0
    with get_connection() as connection:
        while True:
            batch = list(queryset.filter(pk__gt=last)[:BATCH_SIZE])
            if not batch:
                break
            last = batch[-1].pk
            wanted = [n for n in batch if wants_kind(preference_for(n.recipient), n.kind)]
            claimed = _claim([n.pk for n in wanted])
            for notification in wanted:
                if notification.pk not in claimed:
                    continue
                try:
                    connection.send_messages([build_event_email(notification)])
                except Exception:
                    _release([notification.pk])
                    raise
                sent += 1
    return sent


def retry_unsent(*, now=None) -> int:
    """Send the immediate emails that failed earlier (the mail server was down), once each.

    A failed send leaves `emailed_at` empty; this picks up every such notification from the last
    DIGEST_LOOKBACK that is still unread, for members who want emails at once. The daily
    `send_digests` run calls it. Raises, like `send_immediately`, if sending still fails.
    """
    now = now or timezone.now()
    return send_immediately(Notification.objects.filter(created_at__gte=now - DIGEST_LOOKBACK, read_at__isnull=True))


@dataclass
class DigestRun:
    members: int = 0
    emails: int = 0
    items: int = 0
    failures: int = 0


def send_digests(frequency: str, *, now=None, batch_size: int = BATCH_SIZE) -> DigestRun:
    """Send the daily or weekly digest to every member who chose it and has something unsent.

    Members are read in batches of `batch_size` by primary key, with their notifications, so
    memory stays flat however many there are. Safe to run twice: the second run finds nothing
    unsent. A failure for one member releases their items and the run goes on.
    """
    from accounts.models import User

    if frequency not in {EmailFrequency.DAILY, EmailFrequency.WEEKLY}:
        raise ValueError("Digests are daily or weekly.")
    now = now or timezone.now()
    since = now - DIGEST_LOOKBACK
    pending = Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True,
                                          created_at__gte=since, created_at__lte=now)
    members = (
        User.objects.filter(
            notification_preference__email_frequency=frequency, is_active=True, deleted_at__isnull=True
        )
        .filter(Exists(pending.filter(recipient_id=OuterRef("pk"))))
        .filter(_verified_address("pk", "email"))
        .annotate(suspended=_suspended("pk"))
        .select_related("notification_preference")
        .order_by("pk")
    )
    run = DigestRun()
    last = 0
    with get_connection() as connection:
        while True:
            batch = list(members.filter(pk__gt=last)[:batch_size])
            if not batch:
                break
            last = batch[-1].pk
            run.members += len(batch)
            by_member: dict[int, list] = {}
            rows = (
                pending.filter(recipient_id__in=[m.pk for m in batch])
                .filter(VISIBLE)
                .select_related("actor", "theme", "thread", "comment")
                .order_by("recipient_id", "created_at", "pk")
            )
            for notification in rows:
                by_member.setdefault(notification.recipient_id, []).append(notification)
            followed: dict[int, set] = {}
            for user_id, theme_id in ThemeFollow.objects.filter(user_id__in=[m.pk for m in batch]).values_list(
                "user_id", "theme_id"
            ):
                followed.setdefault(user_id, set()).add(theme_id)
            chosen: dict[int, list] = {}
            for member in batch:
                preference = member.notification_preference
                items = [
                    n
                    for n in by_member.get(member.pk, [])
                    if wants_kind(preference, n.kind)
                    and (not member.suspended or n.kind == NotificationKind.MODERATION)
                ]
                if items:
                    chosen[member.pk] = items
            claimed = _claim([n.pk for items in chosen.values() for n in items])
            sent_to = []
            for member in batch:
                items = [n for n in chosen.get(member.pk, []) if n.pk in claimed]
                if not items:
                    continue
                for item in items:
                    item.recipient = member
                try:
                    connection.send_messages(
                        [build_digest_email(member, items, frequency, followed.get(member.pk, set()))]
                    )
                except Exception:
                    log.exception("Digest for member %s failed; its items stay unsent", member.pk)
                    _release(n.pk for n in items)
                    run.failures += 1
                    continue
                sent_to.append(member.pk)
                run.emails += 1
                run.items += len(items)
            if sent_to:
                NotificationPreference.objects.filter(user_id__in=sent_to).update(last_digest_at=now)
    return run


# --- Unsubscribing ---------------------------------------------------------------------------


def describe_unsubscribe(data: dict) -> dict | None:
    """What a token would do, for the confirmation page; None when its target no longer exists."""
    from accounts.models import User
    from forum.models import Theme, Thread

    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None:
        return None
    scope, target_id = data["s"], data.get("o")
    if scope == SCOPE_ALL:
        return {"user": user, "scope": scope, "target": None,
                "question": "Stop all emails from Common Ground?",
                "action": "Stop all emails",
                "done": "You will not get any more emails about discussions. Notifications still appear "
                        "on the site when you sign in."}
    model = Thread if scope == SCOPE_THREAD else Theme
    target = model.objects.filter(pk=target_id).first()
    if target is None:
        return None
    noun = "discussion" if scope == SCOPE_THREAD else "theme"
    return {"user": user, "scope": scope, "target": target,
            "question": f"Stop following the {noun} “{target.title}”?",
            "action": f"Stop following this {noun}",
            "done": f"You no longer follow the {noun} “{target.title}”. You will still hear about "
                    "replies to your comments and mentions of you."}


def apply_unsubscribe(data: dict) -> dict | None:
    """Carry out what the token says (idempotent); returns the description, None if nothing to do."""
    from forum.following import set_theme_follow_level, set_thread_follow_level

    described = describe_unsubscribe(data)
    if described is None:
        return None
    user, scope, target = described["user"], described["scope"], described["target"]
    if scope == SCOPE_ALL:
        NotificationPreference.objects.update_or_create(
            user=user, defaults={"email_frequency": EmailFrequency.NEVER}
        )
    elif scope == SCOPE_THREAD:
        set_thread_follow_level(user, target, FollowLevel.NORMAL)
    else:
        set_theme_follow_level(user, target, FollowLevel.NORMAL)
    return described
