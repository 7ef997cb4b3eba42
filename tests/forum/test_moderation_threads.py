"""Locking, pinning, hiding and moving discussions; opening and closing themes; the official response."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments


from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from forum.models import ModerationLogEntry, Notification, Theme, ThemeFollow, ThemeResponse, ThemeStatus, Thread
from forum.moderation import themes as theme_actions
from forum.moderation import threads as thread_actions
from forum.moderation.flow import carry_out
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply
from tests.forum.moderation_support import (  # noqa: F401
    client_for,
    facilitator,
    mod_client,
    totp_moderator,
)

pytestmark = pytest.mark.django_db


def thread_action(thread, action):
    return reverse("forum:moderation_thread_action", args=[thread.pk, action])


class TestLock:
    def test_locking_needs_a_reason_and_shows_it(self, mod_client, thread, member_client):
        assert "Enter the reason." in mod_client.post(thread_action(thread, "lock"), {"reason": ""}).content.decode()
        assert mod_client.post(thread_action(thread, "lock"), {"reason": "Answered in full."}).status_code == 302
        thread.refresh_from_db()
        assert thread.is_locked and thread.lock_reason == "Answered in full."
        page = member_client.get(thread.get_absolute_url()).content.decode()
        assert "This discussion has been locked" in page and "Answered in full." in page

    def test_members_cannot_reply_to_a_locked_discussion(self, totp_moderator, thread, member_client):
        carry_out(thread_actions.Lock(thread, actor=totp_moderator, reason="Closed."))
        member_client.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": "More."})
        assert not thread.comments.filter(body="More.").exists()

    def test_unlocking(self, mod_client, totp_moderator, thread):
        carry_out(thread_actions.Lock(thread, actor=totp_moderator, reason="Closed."))
        assert mod_client.post(thread_action(thread, "unlock"), {"reason": ""}).status_code == 302
        thread.refresh_from_db()
        assert not thread.is_locked and thread.lock_reason == ""
        assert list(ModerationLogEntry.objects.values_list("action", flat=True)) == ["unlock", "lock"]


class TestPin:
    def test_pinning_lists_the_discussion_first(self, mod_client, theme, thread, other_member, client):
        later = services.start_thread(theme=theme, author=other_member, title="A newer discussion", body="Body.")
        page = client.get(theme.get_absolute_url()).content.decode()
        assert page.index("A newer discussion") < page.index(thread.title)
        mod_client.post(thread_action(thread, "pin"), {"reason": ""})
        page = client.get(theme.get_absolute_url()).content.decode()
        assert page.index(thread.title) < page.index(later.title)


class TestHideThread:
    def test_a_hidden_discussion_leaves_the_theme_and_its_counts(self, mod_client, theme, thread, client):
        reply(thread, make_member("x@example.org", display_name="Xavier"))
        assert mod_client.post(thread_action(thread, "hide"), {"reason": "Duplicate."}).status_code == 302
        theme.refresh_from_db()
        assert theme.thread_count == 0 and theme.comment_count == 0
        assert client.get(thread.get_absolute_url()).status_code == 404
        mod_client.post(thread_action(thread, "unhide"), {"reason": ""})
        theme.refresh_from_db()
        assert theme.thread_count == 1 and theme.comment_count == 2


class TestMove:
    def test_moving_fixes_the_counts_of_both_themes(self, mod_client, theme, thread, other_member):
        reply(thread, other_member)
        target = make_theme("social-care", title="Social care", position=2)
        response = mod_client.post(reverse("forum:moderation_thread_move", args=[thread.pk]),
                                   {"theme": target.pk, "reason": "A better fit."})
        assert response.status_code == 302
        theme.refresh_from_db()
        target.refresh_from_db()
        assert (theme.thread_count, theme.comment_count, theme.participant_groups) == (0, 0, [])
        assert (target.thread_count, target.comment_count) == (1, 2)
        assert sorted(target.participant_groups) == ["nhs", "social_care"]
        assert Thread.objects.get(pk=thread.pk).theme == target
        assert "Social care" in ModerationLogEntry.objects.get(action="move").reason

    def test_the_current_theme_is_not_offered(self, mod_client, theme, thread):
        make_theme("social-care", title="Social care", position=2)
        soup = BeautifulSoup(mod_client.get(reverse("forum:moderation_thread_move", args=[thread.pk])).content,
                             "html.parser")
        labels = [label.get_text(strip=True) for label in soup.select(".nhsuk-radios__label")]
        assert labels == ["Social care"]


class TestThemeStatus:
    def test_a_moderator_closes_a_theme_for_comment(self, mod_client, theme, thread, member_client):
        url = reverse("forum:theme_status", args=[theme.slug])
        assert mod_client.post(url, {"status": "closed", "reason": "Consultation ended."}).status_code == 302
        assert Theme.objects.get(pk=theme.pk).status == ThemeStatus.CLOSED
        member_client.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": "Late."})
        assert not thread.comments.filter(body="Late.").exists()
        mod_client.post(url, {"status": "open"})
        assert Theme.objects.get(pk=theme.pk).status == ThemeStatus.OPEN

    def test_members_cannot_change_the_status(self, member_client, theme):
        response = member_client.post(reverse("forum:theme_status", args=[theme.slug]), {"status": "closed"})
        assert response.status_code == 403


class TestFacilitatorResponse:
    def test_the_response_sits_at_the_top_and_the_status_moves_on(self, facilitator, theme, client):
        fac = client_for(facilitator)
        fac.post(reverse("forum:theme_status", args=[theme.slug]), {"status": "under_review"})
        assert Theme.objects.get(pk=theme.pk).status == ThemeStatus.UNDER_REVIEW
        response = fac.post(reverse("forum:theme_respond", args=[theme.slug]),
                            {"body": "You said **waits were too long**; we funded two clinics."})
        assert response.status_code == 302
        assert Theme.objects.get(pk=theme.pk).status == ThemeStatus.RESPONDED
        soup = BeautifulSoup(client.get(theme.get_absolute_url()).content, "html.parser")
        card = soup.select_one(".nhsuk-card--feature")
        assert "Official response" in card.get_text() and "Fran Facilitator" in card.get_text()
        assert card.select_one("strong").get_text() == "Facilitator"
        assert soup.find("h1").find_next(class_="nhsuk-card--feature") is not None

    def test_followers_of_the_theme_are_told(self, facilitator, theme, django_capture_on_commit_callbacks):
        follower = make_member("follower@example.org", display_name="Flo Follower")
        ThemeFollow.objects.create(user=follower, theme=theme, level="watching")
        with django_capture_on_commit_callbacks(execute=True):
            carry_out(theme_actions.Respond(theme, actor=facilitator, body="We listened."))
        assert Notification.objects.filter(recipient=follower, kind="theme_response", theme=theme).exists()

    def test_only_facilitators_may_respond(self, mod_client, member_client, theme):
        url = reverse("forum:theme_respond", args=[theme.slug])
        assert member_client.get(url).status_code == 403
        assert mod_client.post(url, {"body": "Not mine to say."}).status_code == 403
        assert not ThemeResponse.objects.exists()

    def test_a_facilitator_without_an_authenticator_is_asked_for_one(self, client, theme):
        from tests.forum.moderation_support import make_facilitator

        client.force_login(make_facilitator("nomfa@example.org", display_name="No Mfa", mfa=False))
        response = client.get(reverse("forum:theme_respond", args=[theme.slug]))
        assert response.status_code == 403 and "two-factor" in response.content.decode().lower()
