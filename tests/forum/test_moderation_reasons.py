"""The reasons readers see: why a theme was closed or put under review, why a discussion was moved
here and why it is pinned."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse

from forum.models import ModerationLogEntry, Theme, ThemeStatus, Thread
from forum.moderation import themes as theme_actions
from forum.moderation import threads as thread_actions
from forum.moderation.flow import ModerationError, carry_out
from tests.forum.conftest import make_theme
from tests.forum.moderation_support import client_for, facilitator, mod_client, totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db


def reader_text(url: str) -> str:
    return BeautifulSoup(Client().get(url).content, "html.parser").get_text(" ", strip=True)


class TestClosingATheme:
    def test_closing_needs_a_reason(self, facilitator, theme):
        response = client_for(facilitator).post(reverse("forum:theme_status", args=[theme.slug]), {"status": "closed"})
        assert response.status_code == 200
        assert "Give a reason for closing the theme." in response.content.decode()
        assert Theme.objects.get(pk=theme.pk).status == ThemeStatus.OPEN
        with pytest.raises(ModerationError):
            carry_out(theme_actions.SetStatus(theme, actor=facilitator, status=ThemeStatus.CLOSED))

    def test_readers_see_why_it_was_closed(self, facilitator, theme):
        client_for(facilitator).post(reverse("forum:theme_status", args=[theme.slug]),
                                     {"status": "closed", "reason": "The consultation period has ended."})
        assert "Closed by the facilitators: The consultation period has ended." in reader_text(
            theme.get_absolute_url())

    def test_opening_it_again_takes_the_reason_away(self, facilitator, theme):
        carry_out(theme_actions.SetStatus(theme, actor=facilitator, status=ThemeStatus.CLOSED, reason="Ended."))
        carry_out(theme_actions.SetStatus(theme, actor=facilitator, status=ThemeStatus.OPEN))
        assert Theme.objects.get(pk=theme.pk).status_reason == ""
        assert "Closed by the facilitators" not in reader_text(theme.get_absolute_url())

    def test_readers_see_why_it_is_under_review(self, facilitator, theme):
        carry_out(theme_actions.SetStatus(theme, actor=facilitator, status=ThemeStatus.UNDER_REVIEW,
                                          reason="We are reading every comment."))
        assert "Under review: We are reading every comment." in reader_text(theme.get_absolute_url())


class TestMovingADiscussion:
    def test_moving_needs_a_reason(self, mod_client, thread):
        target = make_theme("elsewhere", title="Elsewhere", position=2)
        response = mod_client.post(reverse("forum:moderation_thread_move", args=[thread.pk]), {"theme": target.pk})
        assert response.status_code == 200
        assert "Give a reason for moving it." in response.content.decode()
        assert Thread.objects.get(pk=thread.pk).theme_id == thread.theme_id

    def test_readers_see_where_it_came_from_and_why(self, mod_client, thread):
        old_title = thread.theme.title
        target = make_theme("elsewhere", title="Elsewhere", position=2)
        mod_client.post(reverse("forum:moderation_thread_move", args=[thread.pk]),
                        {"theme": target.pk, "reason": "It is about community care."})
        text = reader_text(thread.get_absolute_url())
        assert f"Moved here from “{old_title}”: It is about community care." in text


class TestPinningADiscussion:
    def test_readers_see_why_it_is_pinned(self, mod_client, thread):
        url = reverse("forum:moderation_thread_action", args=[thread.pk, "pin"])
        mod_client.post(url, {"reason": "Read this first: how the theme works."})
        assert "Pinned: Read this first: how the theme works." in reader_text(thread.get_absolute_url())
        assert ModerationLogEntry.objects.get(action="pin").reason == "Read this first: how the theme works."

    def test_unpinning_takes_the_reason_away(self, totp_moderator, thread):
        carry_out(thread_actions.Pin(thread, actor=totp_moderator, reason="Start here."))
        carry_out(thread_actions.Unpin(thread, actor=totp_moderator))
        assert Thread.objects.get(pk=thread.pk).pin_reason == ""
        assert "Pinned:" not in reader_text(thread.get_absolute_url())

    def test_a_pin_without_a_reason_shows_only_the_tag(self, totp_moderator, thread):
        carry_out(thread_actions.Pin(thread, actor=totp_moderator))
        assert "Pinned:" not in reader_text(thread.get_absolute_url())
