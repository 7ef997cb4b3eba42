"""Titles stay on one line: a line break sent in a title cannot reach an email header."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from forum.following import levels as following
from forum.models import FollowLevel, Theme, Thread
from forum.posting import services
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = "Waiting lists\r\nBcc: someone@example.invalid"


def test_a_title_sent_with_a_line_break_is_stored_on_one_line(member_client, theme):
    response = member_client.post(reverse("forum:start_thread", kwargs={"slug": theme.slug}),
                                  {"action": "post", "stance": "", "title": HOSTILE_TITLE, "body": "Opening."})

    thread = Thread.objects.get()
    assert response.status_code == 302
    assert thread.title == "Waiting lists Bcc: someone@example.invalid"


def test_a_preview_shows_the_title_on_one_line_and_keeps_the_words(member_client, theme):
    response = member_client.post(reverse("forum:start_thread", kwargs={"slug": theme.slug}),
                                  {"action": "preview", "stance": "", "title": "Beds\nand\tstaff", "body": "Text"})

    assert 'value="Beds and staff"' in response.content.decode()
    assert not Thread.objects.exists()


def test_emails_about_a_discussion_whose_title_had_a_line_break_are_sent(theme, member, recipient, other_member,
                                                                         run_tasks):
    thread = services.start_thread(theme=theme, author=member, title=HOSTILE_TITLE, body="Opening.")
    following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)

    run_tasks(lambda: reply(thread, other_member, body="A reply everyone watching hears about."))

    (message,) = [m for m in mail.outbox if m.to == [recipient.email]]
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.message()["Bcc"] is None
    assert "Waiting lists Bcc: someone@example.invalid" in message.subject


def test_a_theme_title_saved_with_control_characters_is_kept_on_one_line(theme):
    theme.title = "Beds\x00 and\u2028staff "
    theme.save(update_fields=["title"])

    assert Theme.objects.get(pk=theme.pk).title == "Beds and staff"
