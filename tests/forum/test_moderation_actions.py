"""Keep, hide, show, delete, edit and warn: what readers, authors and moderators then see."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments


from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from forum.models import (
    Appeal,
    AppealStatus,
    Comment,
    Flag,
    FlagReason,
    FlagStatus,
    ModerationLogEntry,
    Notification,
    Theme,
    Thread,
)
from forum.moderation import appeals, reports
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from tests.conftest import make_member
from tests.forum.conftest import reply
from tests.forum.moderation_support import client_for, mod_client, totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment(thread, other_member):
    return reply(thread, other_member, "A **sharp** remark about a named ward.")


def action_url(comment, action):
    return reverse("forum:moderation_comment_action", args=[comment.pk, action])


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


class TestHide:
    def test_a_reason_is_required(self, mod_client, comment):
        response = mod_client.post(action_url(comment, "hide"), {"reason": ""})
        assert response.status_code == 200
        assert "Enter the reason." in soup_of(response).select_one(".nhsuk-error-summary").get_text()
        assert not Comment.objects.get(pk=comment.pk).is_hidden

    def test_hiding_shows_readers_the_placeholder_with_the_reason(self, mod_client, comment, thread, client):
        response = mod_client.post(action_url(comment, "hide"), {"reason": "Names a member of staff."})
        assert response.status_code == 302
        page = client.get(thread.get_absolute_url()).content.decode()
        assert "Hidden by moderators: Names a member of staff." in page
        assert "sharp" not in page

    def test_moderators_still_see_the_text_and_its_history(self, mod_client, comment, totp_moderator):
        carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="Names a member of staff."))
        review = mod_client.get(reverse("forum:moderation_comment", args=[comment.pk])).content.decode()
        assert "<strong>sharp</strong>" in review and "Current version" in review
        thread_page = mod_client.get(comment.thread.get_absolute_url()).content.decode()
        assert "<strong>sharp</strong>" in thread_page

    def test_the_author_is_told_the_reason_and_may_appeal(
        self, comment, other_member, totp_moderator, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="Names a member of staff."))
        notice = Notification.objects.get(recipient=other_member, kind="moderation")
        assert "Names a member of staff." in notice.message
        author = client_for(other_member)
        notices = author.get(reverse("forum:moderation_notices")).content.decode()
        assert "Names a member of staff." in notices and "Appeal this decision" in notices

    def test_hiding_updates_the_counts_and_closes_the_reports(self, comment, thread, totp_moderator):
        reader = make_member("reader@example.org", display_name="Reader")
        reports.flag_comment(comment=comment, flagger=reader, reason=FlagReason.ABUSIVE)
        before = Thread.objects.get(pk=thread.pk).comment_count
        carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="Abusive."))
        assert Thread.objects.get(pk=thread.pk).comment_count == before - 1
        assert Flag.objects.get().status == FlagStatus.ACTIONED
        entry = ModerationLogEntry.objects.get(action="hide")
        assert entry.actor == totp_moderator and entry.reason == "Abusive." and not entry.automatic

    def test_showing_again_restores_the_counts(self, comment, thread, totp_moderator):
        before = Thread.objects.get(pk=thread.pk).comment_count
        carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="Abusive."))
        carry_out(comment_actions.Unhide(comment, actor=totp_moderator))
        assert Thread.objects.get(pk=thread.pk).comment_count == before
        assert Theme.objects.get(pk=thread.theme_id).comment_count == 2


class TestKeep:
    def test_keeping_an_auto_hidden_comment_shows_it_again(self, mod_client, comment, thread):
        reader = make_member("reader@example.org", display_name="Reader")
        reports.flag_comment(comment=comment, flagger=reader, reason=FlagReason.PATIENT_INFORMATION)
        assert mod_client.post(action_url(comment, "keep"), {"reason": ""}).status_code == 302
        comment.refresh_from_db()
        assert not comment.is_hidden
        assert Flag.objects.get().status == FlagStatus.KEPT
        assert Thread.objects.get(pk=thread.pk).comment_count == 2


class TestDelete:
    def test_deleting_purges_the_text_and_keeps_a_tombstone_with_the_reason(self, mod_client, comment, client):
        assert mod_client.post(action_url(comment, "delete"), {"reason": "Advertising."}).status_code == 302
        comment.refresh_from_db()
        assert comment.is_deleted and comment.body == "" and not comment.revisions.exists()
        page = client.get(comment.thread.get_absolute_url()).content.decode()
        assert "Deleted by moderators: Advertising." in page
        assert "sharp" not in page

    def test_deleting_a_public_comment_updates_the_counts_once(self, comment, thread, totp_moderator):
        before = Thread.objects.get(pk=thread.pk).comment_count
        carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="First hidden."))
        carry_out(comment_actions.Delete(comment, actor=totp_moderator, reason="Then deleted."))
        assert Thread.objects.get(pk=thread.pk).comment_count == before - 1


class TestEdit:
    def test_an_edit_is_a_revision_by_the_moderator(self, mod_client, comment, totp_moderator, client):
        url = reverse("forum:moderation_comment_edit", args=[comment.pk])
        response = mod_client.post(url, {"body": "A remark about a ward.", "reason": "Removed a name."})
        assert response.status_code == 302
        comment.refresh_from_db()
        assert comment.body == "A remark about a ward."
        newest = comment.revisions.order_by("-created_at", "-pk").first()
        assert newest.edited_by == totp_moderator
        history = client.get(reverse("forum:comment_history", args=[comment.pk])).content.decode()
        assert "A remark about a ward." in history and "sharp" not in history and "Removed a name." in history
        review = mod_client.get(reverse("forum:moderation_comment", args=[comment.pk])).content.decode()
        assert "sharp" in review

    def test_an_edit_needs_a_reason(self, mod_client, comment):
        url = reverse("forum:moderation_comment_edit", args=[comment.pk])
        response = mod_client.post(url, {"body": "Changed.", "reason": ""})
        assert "Say why you changed it." in response.content.decode()
        assert Comment.objects.get(pk=comment.pk).body != "Changed."


class TestWarn:
    def test_the_author_gets_a_private_notice_and_nothing_changes(
        self, mod_client, comment, other_member, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = mod_client.post(action_url(comment, "warn"), {"reason": "Please keep it civil."})
        assert response.status_code == 302
        notice = Notification.objects.get(recipient=other_member, kind="moderation")
        assert "Please keep it civil." in notice.message
        assert Comment.objects.get(pk=comment.pk).is_public
        assert Notification.objects.filter(kind="moderation").count() == 1


class TestAppeals:
    def test_the_author_appeals_once_and_the_appeal_reaches_the_queue(
        self, comment, other_member, totp_moderator, mod_client
    ):
        carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="Off-topic."))
        entry = ModerationLogEntry.objects.get(action="hide")
        author = client_for(other_member)
        url = reverse("forum:appeal", args=[entry.pk])
        assert author.post(url, {"text": "It answers the question asked."}).status_code == 302
        assert author.get(url).status_code == 403
        assert author.post(url, {"text": "Again."}).status_code == 403
        assert Appeal.objects.count() == 1
        queue = mod_client.get(reverse("forum:moderation_queue")).content.decode()
        assert "It answers the question asked." in queue

    def test_someone_else_cannot_appeal(self, comment, totp_moderator, member_client):
        carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="Off-topic."))
        entry = ModerationLogEntry.objects.get(action="hide")
        assert member_client.get(reverse("forum:appeal", args=[entry.pk])).status_code == 404

    def test_upholding_an_appeal_shows_the_comment_again(self, comment, other_member, totp_moderator, mod_client):
        carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="Off-topic."))
        entry = ModerationLogEntry.objects.get(action="hide")
        appeal = appeals.submit_appeal(entry=entry, member=other_member, text="It is on topic.")
        url = reverse("forum:moderation_appeal", args=[appeal.pk])
        response = mod_client.post(url, {"decision": "uphold", "reason": "On reflection it is relevant."})
        assert response.status_code == 302
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.UPHELD and appeal.decided_by == totp_moderator
        assert Comment.objects.get(pk=comment.pk).is_public
        assert ModerationLogEntry.objects.filter(action="appeal_upheld").exists()

    def test_turning_an_appeal_down_leaves_the_decision(self, comment, other_member, totp_moderator):
        carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="Off-topic."))
        entry = ModerationLogEntry.objects.get(action="hide")
        appeal = appeals.submit_appeal(entry=entry, member=other_member, text="Please.")
        carry_out(appeals.Decide(appeal, actor=totp_moderator, uphold=False, reason="It stays hidden."))
        assert Appeal.objects.get().status == AppealStatus.REJECTED
        assert Comment.objects.get(pk=comment.pk).is_hidden

    def test_warnings_cannot_be_appealed(self, comment, other_member, totp_moderator):
        entry = carry_out(comment_actions.Warn(comment, actor=totp_moderator, reason="Be kind.")).entry
        response = client_for(other_member).get(reverse("forum:appeal", args=[entry.pk]))
        assert response.status_code == 403


class TestModeratorPagesNeedMfa:
    def test_a_moderator_without_an_authenticator_is_asked_to_set_one_up(self, client, moderator):
        client.force_login(moderator)
        response = client.get(reverse("forum:moderation_queue"))
        assert response.status_code == 403
        assert reverse("mfa_activate_totp") in response.content.decode()

    def test_a_member_is_refused_with_a_reason(self, member_client):
        response = member_client.get(reverse("forum:moderation_queue"))
        assert response.status_code == 403
        assert "Only moderators" in response.content.decode()

    def test_anonymous_readers_are_sent_to_sign_in(self, client):
        response = client.get(reverse("forum:moderation_queue"))
        assert response.status_code == 302 and reverse("account_login") in response["Location"]

    def test_actions_do_not_answer_unknown_names(self, mod_client, comment):
        assert mod_client.get(action_url(comment, "obliterate")).status_code == 404

    def test_delete_filter_refuses_get(self, mod_client):
        from forum.models import WordFilter

        word_filter = WordFilter.objects.create(pattern="spam", action="block")
        assert mod_client.get(reverse("forum:moderation_filter_delete", args=[word_filter.pk])).status_code == 405


class TestPostingAsModerator:
    def test_a_moderator_can_post_with_the_moderator_tag(self, mod_client, thread, totp_moderator):
        form = soup_of(mod_client.get(thread.get_absolute_url()))
        labels = [label.get_text(strip=True) for label in form.select("#reply-form ~ form .nhsuk-radios__label")]
        assert "As a moderator (shown with a Moderator tag)" in labels
        response = mod_client.post(reverse("forum:reply", args=[thread.pk]),
                                   {"action": "post", "body": "Please keep to the theme.", "posted_as": "moderator"})
        assert response.status_code == 302
        comment = Comment.objects.get(author=totp_moderator)
        assert comment.posted_as == "moderator"
        article = soup_of(mod_client.get(thread.get_absolute_url())).find(id=comment.anchor)
        tags = [tag.get_text(strip=True) for tag in article.select(".nhsuk-tag")]
        assert "Moderator" in tags
        assert "Self-declared" not in tags and "Other" not in tags  # the role speaks, not a group

    def test_members_are_not_offered_the_choice_and_cannot_forge_it(self, member_client, member, thread):
        page = member_client.get(thread.get_absolute_url()).content.decode()
        assert "As a moderator" not in page
        member_client.post(reverse("forum:reply", args=[thread.pk]),
                           {"action": "post", "body": "Pretending.", "posted_as": "moderator"})
        assert Comment.objects.get(body="Pretending.").posted_as == "member"


class TestEachDecisionIsItsOwnNotice:
    def test_two_decisions_about_one_comment_are_two_notices(
        self, comment, other_member, totp_moderator, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            carry_out(comment_actions.Hide(comment, actor=totp_moderator, reason="First."))
        with django_capture_on_commit_callbacks(execute=True):
            carry_out(comment_actions.Unhide(comment, actor=totp_moderator, reason="Second."))
        messages = list(
            Notification.objects.filter(recipient=other_member, kind="moderation").values_list("message", flat=True)
        )
        assert len(messages) == 2
        assert any("First." in m for m in messages) and any("Second." in m for m in messages)
