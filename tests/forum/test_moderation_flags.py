"""Reporting comments and discussions, and hiding a comment automatically when reports say so."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments


from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from forum.models import Comment, Flag, FlagReason, FlagStatus, ModerationLogEntry, Notification, Theme, Thread
from forum.moderation import comments as comment_actions
from forum.moderation import flow, reports
from forum.moderation import log as moderation_log
from forum.moderation.flow import carry_out
from tests.conftest import make_member
from tests.forum.conftest import reply
from tests.forum.moderation_support import mod_client, suspend, totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db


def members(count: int):
    return [make_member(f"reader{n}@example.org", display_name=f"Reader {n}") for n in range(count)]


@pytest.fixture
def comment(thread, other_member):
    return reply(thread, other_member, "Something people may object to.")


def flag(comment, who, reason=FlagReason.ABUSIVE, detail=""):
    return reports.flag_comment(comment=comment, flagger=who, reason=reason, detail=detail)


class TestAutoHide:
    def test_a_comment_is_hidden_when_the_threshold_of_distinct_members_is_reached(self, comment, settings):
        settings.FLAG_HIDE_THRESHOLD = 3
        first, second, third = members(3)
        flag(comment, first)
        flag(comment, second)
        comment.refresh_from_db()
        assert not comment.is_hidden
        flag(comment, third, FlagReason.SPAM)
        comment.refresh_from_db()
        assert comment.is_hidden and comment.hidden_automatically
        assert comment.hidden_by is None
        assert comment.hidden_reason == reports.AUTO_HIDE_REASON

    def test_the_same_member_reporting_twice_counts_once(self, comment, settings):
        settings.FLAG_HIDE_THRESHOLD = 2
        (reader,) = members(1)
        flag(comment, reader)
        with pytest.raises(flow.ModerationError, match="already reported"):
            flag(comment, reader, FlagReason.SPAM)
        comment.refresh_from_db()
        assert not comment.is_hidden
        assert Flag.objects.filter(comment=comment).count() == 1

    def test_one_report_of_patient_information_hides_at_once(self, comment, settings):
        settings.FLAG_HIDE_THRESHOLD = 5
        (reader,) = members(1)
        flag(comment, reader, FlagReason.PATIENT_INFORMATION)
        comment.refresh_from_db()
        assert comment.is_hidden and comment.hidden_automatically
        assert "patient-identifiable" in comment.hidden_reason

    def test_auto_hiding_takes_the_comment_out_of_the_counts_and_is_logged_as_automatic(self, comment, thread):
        before_thread = Thread.objects.get(pk=thread.pk).comment_count
        before_theme = Theme.objects.get(pk=thread.theme_id).comment_count
        (reader,) = members(1)
        flag(comment, reader, FlagReason.PATIENT_INFORMATION)
        assert Thread.objects.get(pk=thread.pk).comment_count == before_thread - 1
        assert Theme.objects.get(pk=thread.theme_id).comment_count == before_theme - 1
        entry = ModerationLogEntry.objects.get(action=moderation_log.Action.FLAG_AUTO_HIDE)
        assert entry.automatic and entry.actor is None and entry.target_id == comment.pk

    def test_the_author_is_told_with_the_reason(self, comment, other_member, django_capture_on_commit_callbacks):
        (reader,) = members(1)
        with django_capture_on_commit_callbacks(execute=True):
            flag(comment, reader, FlagReason.PATIENT_INFORMATION)
        notice = Notification.objects.get(recipient=other_member, kind="moderation")
        assert "patient-identifiable" in notice.message
        assert "appeal" in notice.message

    def test_reports_a_moderator_kept_no_longer_count(self, comment, settings, totp_moderator):
        settings.FLAG_HIDE_THRESHOLD = 2
        first, second, third = members(3)
        flag(comment, first)
        carry_out(comment_actions.Keep(comment, actor=totp_moderator))
        flag(comment, second)
        comment.refresh_from_db()
        assert not comment.is_hidden
        flag(comment, third)
        comment.refresh_from_db()
        assert comment.is_hidden


class TestReportingPage:
    def url(self, comment):
        return reverse("forum:flag_comment", args=[comment.pk])

    def test_a_member_sees_the_reasons(self, member_client, comment):
        soup = BeautifulSoup(member_client.get(self.url(comment)).content, "html.parser")
        labels = [label.get_text(strip=True) for label in soup.select(".nhsuk-radios__label")]
        assert labels == [label for _value, label in FlagReason.choices]

    def test_the_reporter_is_told_the_report_was_received(self, member_client, comment):
        response = member_client.post(self.url(comment), {"reason": FlagReason.SPAM}, follow=True)
        assert "We have received your report" in response.content.decode()
        assert Flag.objects.get(comment=comment).reason == FlagReason.SPAM
        again = member_client.get(self.url(comment)).content.decode()
        assert "We have received your report" in again and "Send report" not in again

    def test_other_needs_words(self, member_client, comment):
        response = member_client.post(self.url(comment), {"reason": FlagReason.OTHER, "detail": " "})
        assert "Tell the moderators what is wrong with it." in response.content.decode()
        assert not Flag.objects.exists()

    def test_authors_cannot_report_their_own_comment(self, client, comment, other_member):
        client.force_login(other_member)
        response = client.post(self.url(comment), {"reason": FlagReason.SPAM})
        assert response.status_code == 403
        assert not Flag.objects.exists()

    def test_an_unverified_member_cannot_report(self, client, comment, unverified_member):
        client.force_login(unverified_member)
        assert client.post(self.url(comment), {"reason": FlagReason.SPAM}).status_code == 403

    def test_a_suspended_member_cannot_report(self, member_client, member, comment, totp_moderator):
        suspend(member, totp_moderator)
        response = member_client.post(self.url(comment), {"reason": FlagReason.SPAM})
        assert response.status_code == 403
        assert "suspended" in response.content.decode()

    def test_anonymous_readers_are_sent_to_sign_in(self, client, comment):
        response = client.get(self.url(comment))
        assert response.status_code == 302 and reverse("account_login") in response["Location"]

    def test_reporting_is_rate_limited_with_a_time_to_wait(self, member_client, thread, other_member, settings):
        settings.FORUM_RATE_LIMITS = {**settings.FORUM_RATE_LIMITS, "flag": "1/h", "flag_new": "1/h"}
        first = reply(thread, other_member, "One.")
        second = reply(thread, other_member, "Two.")
        assert member_client.post(self.url(first), {"reason": FlagReason.SPAM}).status_code == 302
        response = member_client.post(self.url(second), {"reason": FlagReason.SPAM})
        assert response.status_code == 200
        assert "Try again in" in response.content.decode()
        assert not Flag.objects.filter(comment=second).exists()

    def test_a_discussion_can_be_reported(self, client, thread, other_member):
        client.force_login(other_member)
        url = reverse("forum:flag_thread", args=[thread.pk])
        assert client.post(url, {"reason": FlagReason.OFF_TOPIC}).status_code == 302
        assert Flag.objects.get(thread=thread).reason == FlagReason.OFF_TOPIC

    def test_hidden_comments_stay_hidden_from_the_reporter_after_auto_hide(self, member_client, comment):
        member_client.post(self.url(comment), {"reason": FlagReason.PATIENT_INFORMATION})
        assert Comment.objects.get(pk=comment.pk).is_hidden
        page = member_client.get(comment.thread.get_absolute_url()).content.decode()
        assert "Something people may object to." not in page


class TestQueueShowsReports:
    def test_reports_are_grouped_per_comment_with_every_reason(self, mod_client, comment):
        first, second = members(2)
        flag(comment, first, FlagReason.OFF_TOPIC)
        flag(comment, second, FlagReason.OTHER, detail="Names a colleague.")
        soup = BeautifulSoup(mod_client.get(reverse("forum:moderation_queue")).content, "html.parser")
        cards = soup.select("#reported-comments ~ section")
        assert len([c for c in cards if "queue-comment-" in (c.get("aria-labelledby") or "")]) == 1
        text = soup.get_text()
        assert "Off-topic" in text and "Names a colleague." in text
        assert "Reader 0" in text and "Reader 1" in text

    def test_the_queue_filters_by_reason_and_by_reporter(self, mod_client, thread, other_member):
        one = reply(thread, other_member, "First reported.")
        two = reply(thread, other_member, "Second reported.")
        first, second = members(2)
        flag(one, first, FlagReason.SPAM)
        flag(two, second, FlagReason.ABUSIVE)
        by_reason = mod_client.get(reverse("forum:moderation_queue"), {"reason": FlagReason.SPAM}).content.decode()
        assert "First reported." in by_reason and "Second reported." not in by_reason
        by_who = mod_client.get(reverse("forum:moderation_queue"), {"flagger": second.pk}).content.decode()
        assert "Second reported." in by_who and "First reported." not in by_who

    def test_oldest_reports_come_first(self, mod_client, thread, other_member):
        newer = reply(thread, other_member, "Reported second.")
        older = reply(thread, other_member, "Reported first.")
        first, second = members(2)
        flag(older, first)
        flag(newer, second)
        page = mod_client.get(reverse("forum:moderation_queue")).content.decode()
        assert page.index("Reported first.") < page.index("Reported second.")

    def test_resolved_reports_leave_the_queue(self, mod_client, comment, totp_moderator):
        (reader,) = members(1)
        flag(comment, reader)
        carry_out(comment_actions.Keep(comment, actor=totp_moderator))
        assert Flag.objects.get().status == FlagStatus.KEPT
        queue = mod_client.get(reverse("forum:moderation_queue")).content.decode()
        assert "Something people may object to." not in queue
