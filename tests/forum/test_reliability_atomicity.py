"""All or nothing: a failure half-way through posting leaves no trace, notifications wait for the
commit, and a mail server that is down costs no comment and no email."""

from __future__ import annotations

import socket

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from forum import events
from forum.models import (
    Comment,
    CommentRevision,
    Draft,
    Notification,
    SubmissionKey,
    Theme,
    Thread,
    ThreadFollow,
)
from forum.posting import drafts, once, services
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db


class Broken(RuntimeError):
    pass


def fail(*args, **kwargs):
    raise Broken("a step failed half-way")


def snapshot(thread) -> dict:
    thread.refresh_from_db()
    theme = Theme.objects.get(pk=thread.theme_id)
    return {
        "comments": Comment.objects.count(),
        "revisions": CommentRevision.objects.count(),
        "follows": ThreadFollow.objects.count(),
        "keys": SubmissionKey.objects.count(),
        "notifications": Notification.objects.count(),
        "thread": (thread.comment_count, thread.last_position, thread.participant_groups, thread.last_activity_at),
        "theme": (theme.thread_count, theme.comment_count, theme.participant_groups, theme.last_activity_at),
    }


@pytest.fixture
def quiet_client(client, other_member):
    """A signed-in client that gets the 500 page instead of the exception."""
    client.raise_request_exception = False
    client.force_login(other_member)
    return client


def test_a_reply_that_fails_after_its_counters_leaves_nothing_behind(
    quiet_client, other_member, thread, monkeypatch, django_capture_on_commit_callbacks
):
    # Following is the last write of create_comment: the comment, its revision, its position and
    # the thread and theme counters are all written by then.
    monkeypatch.setattr(services, "follow_by_default", fail)
    drafts.save_draft(user=other_member, context=f"thread:{thread.pk}", body="Hoping this posts")
    before = snapshot(thread)
    key = once.new_submission_key()

    with django_capture_on_commit_callbacks() as callbacks:
        response = quiet_client.post(
            reverse("forum:reply", kwargs={"pk": thread.pk}),
            {"submission_key": key, "action": "post", "body": "Hoping this posts"},
        )

    assert response.status_code == 500
    assert snapshot(thread) == before
    assert callbacks == []  # no notification or email was queued for the comment that never was
    assert Draft.objects.get(user=other_member).body == "Hoping this posts"  # the text is still kept

    monkeypatch.undo()
    retried = quiet_client.post(
        reverse("forum:reply", kwargs={"pk": thread.pk}),
        {"submission_key": key, "action": "post", "body": "Hoping this posts"},
    )
    assert retried.status_code == 302  # the key was rolled back with the rest, so the retry posts
    assert Comment.objects.filter(body="Hoping this posts").count() == 1


def test_a_new_discussion_that_fails_after_its_first_comment_leaves_nothing_behind(
    quiet_client, theme, thread, monkeypatch
):
    # A handler that runs inside the posting transaction (the page cache's, for one) fails.
    monkeypatch.setattr(events.comment_posted, "handlers", [*events.comment_posted.handlers, fail])
    before = snapshot(thread)
    response = quiet_client.post(
        reverse("forum:start_thread", kwargs={"slug": theme.slug}),
        {"submission_key": once.new_submission_key(), "action": "post", "title": "Never", "body": "Lost?"},
    )
    assert response.status_code == 500
    assert not Thread.objects.filter(title="Never").exists()
    assert snapshot(thread) == before


def test_notifications_are_made_only_once_the_comment_is_committed(
    member, other_member, thread, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        comment = reply(thread, other_member, body="Tell the starter")
    assert not Notification.objects.filter(comment=comment).exists()
    assert callbacks
    for callback in callbacks:
        callback()
    assert Notification.objects.filter(comment=comment, recipient=member).exists()


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_broken_mail_server_costs_neither_the_comment_nor_the_email(
    client, member, other_member, thread, django_capture_on_commit_callbacks
):
    client.force_login(other_member)
    smtp_down = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=closed_port(),
        EMAIL_TIMEOUT=2,
    )
    with smtp_down, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("forum:reply", kwargs={"pk": thread.pk}),
                               {"action": "post", "body": "Posted while the mail server is down"})

    assert response.status_code == 302
    comment = Comment.objects.get(body="Posted while the mail server is down")
    notice = Notification.objects.get(comment=comment, recipient=member)
    assert notice.emailed_at is None  # not marked as sent: it was not
    assert mail.outbox == []

    # The mail server is back: the next scheduled run sends what failed, once.
    call_command("send_digests", "--frequency", "daily")
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    assert [message.to for message in mail.outbox] == [[member.email]]
    call_command("send_digests", "--frequency", "daily")
    assert len(mail.outbox) == 1
