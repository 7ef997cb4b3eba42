"""Suspending members: who may, what a suspended member can and cannot do, and what they are told."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments


from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from forum import permissions, standing
from forum.models import Comment, Flag, ModerationLogEntry, Notification, Suspension, Thread
from forum.moderation import flow
from forum.moderation import members as member_actions
from forum.moderation.flow import carry_out
from tests.forum.conftest import reply
from tests.forum.moderation_support import (  # noqa: F401
    client_for,
    make_admin,
    mod_client,
    site_admin,
    suspend,
    totp_moderator,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def suspended(member, totp_moderator):
    suspend(member, totp_moderator, reason="Repeated personal attacks.", days=7)
    return member


class TestRules:
    def test_a_suspension_is_in_force_until_it_ends(self, member, totp_moderator):
        suspension = suspend(member, totp_moderator, days=1)
        assert standing.is_suspended(member)
        Suspension.objects.filter(pk=suspension.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
        standing.forget_suspension(member)
        assert not standing.is_suspended(member)

    def test_an_indefinite_suspension_lasts_until_lifted(self, member, totp_moderator):
        suspension = suspend(member, totp_moderator, days=None)
        assert suspension.ends_at is None
        carry_out(member_actions.Unsuspend(member, actor=totp_moderator, reason="Apologised."))
        assert not standing.is_suspended(member)
        assert ModerationLogEntry.objects.filter(action="unsuspend", target_id=member.pk).exists()

    def test_a_suspended_member_may_not_participate(self, suspended):
        assert not permissions.can_participate(suspended)
        assert "Repeated personal attacks." in permissions.participation_refusal(suspended)

    def test_a_moderator_cannot_suspend_themself(self, totp_moderator):
        with pytest.raises(flow.ModerationError, match="yourself"):
            suspend(totp_moderator, totp_moderator)

    def test_a_moderator_cannot_suspend_an_admin(self, totp_moderator, site_admin):
        with pytest.raises(flow.ModerationError, match="Administrators"):
            suspend(site_admin, totp_moderator)

    def test_a_reason_is_required(self, member, totp_moderator):
        with pytest.raises(flow.ModerationError):
            carry_out(member_actions.Suspend(member, actor=totp_moderator, reason="  ", days=1))

    def test_the_member_is_told_why_and_until_when(self, member, totp_moderator, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            suspend(member, totp_moderator, reason="Repeated personal attacks.", days=7)
        notice = Notification.objects.get(recipient=member, kind="moderation")
        assert "Repeated personal attacks." in notice.message and "until" in notice.message


class TestEveryWriteViewRefuses:
    def test_replying(self, suspended, thread):
        client = client_for(suspended)
        page = client.get(thread.get_absolute_url()).content.decode()
        assert "Your account is suspended until" in page and "Repeated personal attacks." in page
        response = client.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": "Let me in."})
        assert "suspended" in BeautifulSoup(response.content, "html.parser").select_one("#id_body-error").get_text()
        assert not Comment.objects.filter(body="Let me in.").exists()

    def test_starting_a_discussion(self, suspended, theme):
        client = client_for(suspended)
        url = reverse("forum:start_thread", args=[theme.slug])
        assert "Your account is suspended" in client.get(url).content.decode()
        client.post(url, {"action": "post", "title": "Mine", "body": "Words."})
        assert not Thread.objects.filter(title="Mine").exists()

    def test_discussing_a_paragraph(self, suspended, theme, source):
        client = client_for(suspended)
        url = reverse("forum:paragraph_discuss", args=[source.paragraphs[0].key])
        client.post(url, {"action": "post", "theme": theme.pk, "title": "Mine", "body": "Words."})
        assert not Thread.objects.filter(title="Mine").exists()

    def test_editing(self, suspended, thread):
        opening = thread.comments.get()
        client = client_for(suspended)
        assert client.get(reverse("forum:comment_edit", args=[opening.pk])).status_code == 403
        client.post(reverse("forum:comment_edit", args=[opening.pk]), {"action": "post", "body": "Changed."})
        assert Comment.objects.get(pk=opening.pk).body == "Opening comment."

    def test_reporting(self, suspended, thread, other_member):
        comment = reply(thread, other_member)
        client = client_for(suspended)
        assert client.post(reverse("forum:flag_comment", args=[comment.pk]), {"reason": "spam"}).status_code == 403
        assert not Flag.objects.exists()

    def test_but_they_can_still_read_and_download_their_data(self, suspended, thread):
        client = client_for(suspended)
        assert client.get(thread.get_absolute_url()).status_code == 200
        assert client.get(reverse("accounts:data_export")).status_code == 200

    def test_and_they_can_appeal(self, suspended):
        entry = ModerationLogEntry.objects.get(action="suspend")
        client = client_for(suspended)
        response = client.post(reverse("forum:appeal", args=[entry.pk]), {"text": "I was provoked."})
        assert response.status_code == 302
        assert entry.appeal.text == "I was provoked."


class TestPages:
    def test_a_moderator_suspends_through_the_page(self, mod_client, member):
        url = reverse("forum:moderation_member_suspend", args=[member.pk])
        response = mod_client.post(url, {"duration": "7", "reason": "Spam."})
        assert response.status_code == 302
        suspension = Suspension.objects.get(member=member)
        assert suspension.ends_at - suspension.starts_at == timedelta(days=7)

    def test_the_suspend_page_needs_duration_and_reason(self, mod_client, member):
        response = mod_client.post(reverse("forum:moderation_member_suspend", args=[member.pk]), {})
        text = response.content.decode()
        assert "Choose how long the suspension lasts." in text and "Give a reason for the suspension." in text

    def test_the_page_refuses_to_suspend_an_admin(self, mod_client, site_admin):
        response = mod_client.get(reverse("forum:moderation_member_suspend", args=[site_admin.pk]))
        assert response.status_code == 403

    def test_lifting_through_the_page(self, mod_client, suspended):
        url = reverse("forum:moderation_member_unsuspend", args=[suspended.pk])
        assert mod_client.post(url, {"reason": ""}).status_code == 302
        standing.forget_suspension(suspended)
        assert not standing.is_suspended(suspended)
