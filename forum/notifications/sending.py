"""Sending notification emails: at once, or in daily and weekly digests, never twice.

`Notification.emailed_at` is set by a conditional UPDATE (`... WHERE emailed_at IS NULL`)
*before* the message goes out, so a retried or concurrent run finds the row already claimed; if
sending fails the claim is released. An immediate email is claimed and sent one at a time, and a
failed one is tried again after 1 minute, 5, 30, 2 hours and 12 hours (settings.EMAIL_RETRY_DELAYS),
then given up with its reason (shown in the admin); a digest that fails waits for the next run.
Digests only gather rows that are still unsent, so they never repeat an immediate email or an
earlier digest.

Nobody is emailed at an address they have not confirmed, nor while suspended (except the
moderation notice that tells them about it), nor after deleting their account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from forum import events
from forum.models import EmailFrequency, Notification, NotificationKind, NotificationPreference, Suspension, ThemeFollow
from forum.notifications.emails import build_digest_email, build_event_email, preference_for, wants_kind
from forum.notifications.inbox import VISIBLE

log = logging.getLogger(__name__)

# A digest gathers unsent notifications from at most this far back, so switching from "never"
# to a digest does not deliver months of backlog at once.
DIGEST_LOOKBACK = timedelta(days=14)
BATCH_SIZE = 500
# After this many failures in a row the mail server is taken to be down: the rest of the run is
# put off with the same wait rather than each waiting for its own connection to time out.
FAILURES_BEFORE_GIVING_UP_THE_RUN = 3


def _verified_address(user_ref: str, email_ref: str) -> Exists:
    return Exists(EmailAddress.objects.filter(user_id=OuterRef(user_ref), email__iexact=OuterRef(email_ref),
                                              verified=True))


def _suspended(member_ref: str) -> Exists:
    """An active suspension: not lifted, and open-ended or ending in the future."""
    now = timezone.now()
    return Exists(
        Suspension.objects.filter(member_id=OuterRef(member_ref), lifted_at__isnull=True).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )
    )


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
    """A digest failed: let the next run pick these up."""
    Notification.objects.filter(pk__in=list(ids)).update(emailed_at=None)


def _due(queryset, now):
    """Rows not waiting for their next attempt."""
    return queryset.exclude(Q(email_retry_at__isnull=False) & Q(email_retry_at__gt=now))


def _failed(notification: Notification, error: Exception):
    """Release a claimed row whose email failed: try again after the next wait in
    settings.EMAIL_RETRY_DELAYS (returned), or give it up, with the reason, after the last."""
    delays = settings.EMAIL_RETRY_DELAYS
    attempts = notification.email_attempts + 1
    reason = f"{type(error).__name__}: {error}"[:300]
    now = timezone.now()
    row = Notification.objects.filter(pk=notification.pk)
    if attempts > len(delays):
        row.update(emailed_at=None, email_attempts=attempts, email_retry_at=None, email_failed_at=now,
                   email_error=reason)
        log.error("email for notification %s given up after %s attempts: %s", notification.pk, attempts, reason)
        return None
    retry_at = now + timedelta(seconds=delays[attempts - 1])
    row.update(emailed_at=None, email_attempts=attempts, email_retry_at=retry_at, email_error=reason)
    log.warning("email for notification %s failed (attempt %s), next at %s: %s", notification.pk, attempts,
                retry_at.isoformat(), reason)
    return retry_at


def send_immediately(notifications, *, before_their_wait: bool = False) -> int:
    """Email, one at a time, the notifications in `notifications` that their recipients want now.

    Only rows still unsent (and not waiting for a retry) are considered. Each is claimed just
    before its message goes out and keeps its mark only if the message went: a failure (a row
    that cannot be built, the mail server dropping the connection) releases that one for a later
    attempt (`_failed`), and the others still go, over a fresh connection. After
    FAILURES_BEFORE_GIVING_UP_THE_RUN failures in a row the rest wait too, untried. One task is
    queued for the earliest retry still waiting. With `before_their_wait`, rows waiting for a
    retry are tried now too (the daily catch-up). Returns how many went.
    """
    immediate = Q(recipient__notification_preference__isnull=True) | Q(
        recipient__notification_preference__email_frequency=EmailFrequency.IMMEDIATELY
    )
    unsent = notifications.filter(emailed_at__isnull=True, email_failed_at__isnull=True)
    if not before_their_wait:
        unsent = _due(unsent, timezone.now())
    queryset = (
        _deliverable(unsent.filter(immediate).filter(VISIBLE))
        .select_related("recipient__notification_preference", "actor", "theme", "thread", "comment")
        .order_by("pk")
    )
    sent = in_a_row = 0
    last = 0
    error = None
    retries = []
    connection = get_connection()
    opened = False  # opened before the first message, so a refused connection is that message's failure
    try:
        while True:
            batch = list(queryset.filter(pk__gt=last)[:BATCH_SIZE])
            if not batch:
                break
            last = batch[-1].pk
            for notification in batch:
                if not wants_kind(preference_for(notification.recipient), notification.kind):
                    continue
                if in_a_row >= FAILURES_BEFORE_GIVING_UP_THE_RUN:
                    retries.append(_failed(notification, error))  # the server is down: wait, untried
                    continue
                if not _claim([notification.pk]):
                    continue  # another run took it
                try:
                    if not opened:
                        connection.open()  # kept open for the run's next messages
                        opened = True
                    connection.send_messages([build_event_email(notification)])
                except Exception as failure:
                    error, in_a_row = failure, in_a_row + 1
                    retries.append(_failed(notification, error))
                    connection.close()  # the next message opens a fresh connection
                    opened = False
                    continue
                sent, in_a_row = sent + 1, 0
    finally:
        connection.close()
    if retries:
        _schedule_next_retry()
    return sent


def _schedule_next_retry() -> None:
    """Queue one run of `send_due_retries` for the earliest email still waiting for its retry."""
    waiting = Notification.objects.filter(emailed_at__isnull=True, email_failed_at__isnull=True,
                                          email_retry_at__gt=timezone.now())
    if next_at := waiting.aggregate(Min("email_retry_at"))["email_retry_at__min"]:
        events.run_later("forum.notifications.sending.send_due_retries", {}, at=next_at)


def send_due_retries() -> int:
    """Send the immediate emails whose wait after a failure is over, then queue the next run for
    any still waiting (so each wait in EMAIL_RETRY_DELAYS is kept without a scheduler)."""
    sent = send_immediately(Notification.objects.filter(email_retry_at__isnull=False))
    _schedule_next_retry()
    return sent


def retry_unsent(*, now=None) -> int:
    """Send the immediate emails still unsent and not given up, once each, whether or not their
    retry is due yet, and any whose first attempt never ran (the task queue was down). The daily
    digest run (the scheduled one, and `send_digests`) calls it, as a catch-up beside the retries
    the worker runs; it looks back DIGEST_LOOKBACK at unread ones."""
    now = now or timezone.now()
    return send_immediately(Notification.objects.filter(created_at__gte=now - DIGEST_LOOKBACK, read_at__isnull=True),
                            before_their_wait=True)


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
