"""Immediate emails go one at a time: one that fails is tried again later, the others still go,
and nothing is marked sent unless it was. Tested against a real SMTP server that drops the
connection in the middle of a run."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from forum.following import levels as following
from forum.models import FollowLevel, Notification
from forum.notifications import emails, fanout, sending
from tests.conftest import make_member
from tests.forum.conftest import reply
from tests.forum.moderation_support import client_for, site_admin  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def watchers(theme):
    """Four members watching the theme, who want every email at once."""
    members = [make_member(f"watcher{n}@example.org", display_name=f"Watcher {n}") for n in range(4)]
    for member in members:
        following.set_theme_follow_level(member, theme, FollowLevel.WATCHING)
    return members


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DroppingInbox:
    """Accepts messages, except that it drops the connection instead of answering the `drop_at`th."""

    def __init__(self, drop_at: int):
        self.drop_at = drop_at
        self.seen = 0
        self.delivered: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen == self.drop_at:
            server.transport.close()
            return "421 Closing connection"
        self.delivered.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_dropping_second():
    inbox = DroppingInbox(drop_at=2)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                               EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_USE_SSL=False, EMAIL_HOST_USER="",
                               EMAIL_HOST_PASSWORD="", EMAIL_TIMEOUT=5):
            yield inbox
    finally:
        controller.stop()


def emails_about(comment):
    return Notification.objects.filter(comment=comment).order_by("pk")


def test_a_connection_dropped_mid_run_loses_one_email_for_now_and_none_for_good(
    thread, other_member, watchers, smtp_dropping_second
):
    comment = reply(thread, other_member, "Theatre lists are now shared across the system.")
    fanout.fan_out_comment(comment.pk)
    rows = list(emails_about(comment))

    sent = sending.send_immediately(emails_about(comment))

    assert sent == len(rows) - 1
    unsent = [row for row in emails_about(comment) if row.emailed_at is None]
    assert len(unsent) == 1
    (failed,) = unsent
    assert failed.email_attempts == 1 and failed.email_retry_at > timezone.now() + timedelta(seconds=50)
    assert failed.recipient.email not in smtp_dropping_second.delivered
    assert sorted(smtp_dropping_second.delivered) == sorted(
        row.recipient.email for row in emails_about(comment) if row.emailed_at is not None)

    assert sending.send_due_retries() == 0  # not before its wait is over
    Notification.objects.filter(pk=failed.pk).update(email_retry_at=timezone.now() - timedelta(seconds=1))
    assert sending.send_due_retries() == 1
    assert failed.recipient.email in smtp_dropping_second.delivered
    assert not emails_about(comment).filter(emailed_at__isnull=True).exists()


def broken_for(recipient_email):
    build = emails.build_event_email

    def build_or_fail(notification):
        if notification.recipient.email == recipient_email:
            raise ValueError("this message cannot be built")
        return build(notification)

    return build_or_fail


@override_settings(EMAIL_RETRY_DELAYS=[60, 300])
def test_an_email_that_keeps_failing_is_given_up_after_the_last_wait_with_its_reason(
    thread, other_member, watchers, monkeypatch, site_admin
):
    monkeypatch.setattr(sending, "build_event_email", broken_for(watchers[1].email))
    comment = reply(thread, other_member, "A comment everyone watching hears about.")
    fanout.fan_out_comment(comment.pk)

    sending.send_immediately(emails_about(comment))
    for _ in range(2):
        emails_about(comment).filter(email_retry_at__isnull=False).update(
            email_retry_at=timezone.now() - timedelta(seconds=1))
        sending.send_due_retries()

    failed = Notification.objects.get(comment=comment, recipient=watchers[1])
    assert failed.emailed_at is None and failed.email_attempts == 3 and failed.email_failed_at is not None
    assert failed.email_error == "ValueError: this message cannot be built"
    assert {m.to[0] for m in mail.outbox} >= {w.email for w in watchers if w != watchers[1]}
    assert watchers[1].email not in {m.to[0] for m in mail.outbox}
    listing = client_for(site_admin).get(reverse("admin:forum_notification_changelist") + "?email=given_up")
    assert "this message cannot be built" in listing.content.decode()


def test_with_the_mail_server_down_the_run_stops_trying_and_every_email_waits_for_its_retry(
    thread, other_member, watchers
):
    comment = reply(thread, other_member, "Nobody can be emailed about this just now.")
    fanout.fan_out_comment(comment.pk)
    nothing_listens = free_port()

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                           EMAIL_PORT=nothing_listens, EMAIL_USE_TLS=False, EMAIL_USE_SSL=False,
                           EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="", EMAIL_TIMEOUT=5):
        assert sending.send_immediately(emails_about(comment)) == 0

    rows = list(emails_about(comment))
    assert len(rows) > sending.FAILURES_BEFORE_GIVING_UP_THE_RUN
    assert all(row.emailed_at is None and row.email_retry_at is not None and row.email_attempts == 1
               for row in rows)
    assert "ConnectionRefusedError" in rows[0].email_error
