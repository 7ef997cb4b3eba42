"""The whole first session on a fresh install, through the real views: a moderator made with the
one command signs in with a code, approves a newcomer's first discussion, and the newcomer starts
a discussion about a paragraph straight after, in the same session."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from forum.models import Thread
from tests.accounts.helpers import confirmation_path, totp_code

pytestmark = pytest.mark.django_db(transaction=True)  # posts count against the limits once they commit

PASSWORD = "a-long-test-password-42"


@pytest.fixture
def fresh_install(settings, source, theme):
    settings.PREMODERATE_FIRST_COMMENTS = 1
    settings.FORUM_RATE_LIMITS = {**settings.FORUM_RATE_LIMITS, "thread_new": "1/h"}
    settings.FORUM_RATE_LIMITS_ENABLED = True
    return source, theme


def make_moderator_with_the_command(monkeypatch) -> Client:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-moderator-password-42\n"))
    out = io.StringIO()
    call_command("create_moderator", "--email", "lead@example.org", "--name", "Lee Lead", "--password-stdin",
                 stdout=out)
    secret = re.search(r"Or type the secret: (\S+)", out.getvalue()).group(1)
    moderator = Client()
    moderator.post(reverse("account_login"), {"login": "lead@example.org", "password": "a-long-moderator-password-42"})
    moderator.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    return moderator


def sign_up(client: Client, mailoutbox, email: str) -> None:
    client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    client.post(confirmation_path(mailoutbox[-1]))
    client.post(reverse("accounts:onboarding"), {"display_name": "Priya Planner", "stakeholder_group": "independent"})


def test_a_newcomer_posts_is_approved_and_starts_a_paragraph_discussion_in_one_session(
    fresh_install, monkeypatch, mailoutbox
):
    source, theme = fresh_install
    newcomer = Client()
    sign_up(newcomer, mailoutbox, "priya@provider.example")

    first = newcomer.post(reverse("forum:start_thread", args=[theme.slug]),
                          {"action": "post", "title": "Theatre capacity", "body": "We have spare lists."}, follow=True)
    assert "Your discussion is saved." in first.content.decode()
    waiting = Thread.objects.get(title="Theatre capacity")
    assert waiting.needs_approval

    moderator = make_moderator_with_the_command(monkeypatch)
    assert "We have spare lists." in moderator.get(reverse("forum:moderation_queue")).content.decode()
    opening = waiting.comments.get()
    response = moderator.post(reverse("forum:moderation_comment_action", args=[opening.pk, "approve"]), {"reason": ""})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert not waiting.needs_approval

    paragraph = source.paragraphs[0]
    second = newcomer.post(reverse("forum:paragraph_discuss", kwargs={"key": paragraph.key}),
                           {"action": "post", "stance": "", "theme": theme.pk, "title": "Diagnostics hubs",
                            "body": "Where would a hub help most?"})
    assert second.status_code == 302, second.content.decode()[:2000]
    started = Thread.objects.get(title="Diagnostics hubs")
    assert started.anchor_paragraph_id == paragraph.pk and not started.needs_approval
    assert "Diagnostics hubs" in Client().get(theme.get_absolute_url()).content.decode()
