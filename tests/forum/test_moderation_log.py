"""The moderation log: append-only everywhere, filterable, downloadable; queue and log query budgets."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments


from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from forum.models import FlagReason, ModerationLogEntry
from forum.moderation import appeals, reports
from forum.moderation import comments as comment_actions
from forum.moderation import threads as thread_actions
from forum.moderation.flow import carry_out
from tests.conftest import make_member
from tests.forum.conftest import reply
from tests.forum.moderation_support import (  # noqa: F401
    client_for,
    mod_client,
    site_admin,
    totp_moderator,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(thread, totp_moderator):
    carry_out(thread_actions.Lock(thread, actor=totp_moderator, reason="Off the rails."))
    return ModerationLogEntry.objects.get()


class TestAppendOnly:
    def test_an_entry_cannot_be_changed(self, entry):
        entry.reason = "Rewritten history."
        with pytest.raises(PermissionDenied, match="append-only"):
            entry.save()
        assert ModerationLogEntry.objects.get().reason == "Off the rails."

    def test_an_entry_cannot_be_deleted(self, entry):
        with pytest.raises(PermissionDenied, match="append-only"):
            entry.delete()
        assert ModerationLogEntry.objects.count() == 1

    def test_entries_cannot_be_changed_in_bulk(self, entry):
        with pytest.raises(PermissionDenied, match="append-only"):
            ModerationLogEntry.objects.filter(pk=entry.pk).update(reason="Rewritten history.")
        entry.reason = "Rewritten history."
        with pytest.raises(PermissionDenied, match="append-only"):
            ModerationLogEntry.objects.bulk_update([entry], ["reason"])
        assert ModerationLogEntry.objects.get().reason == "Off the rails."

    def test_entries_cannot_be_deleted_in_bulk(self, entry):
        with pytest.raises(PermissionDenied, match="append-only"):
            ModerationLogEntry.objects.all().delete()
        assert ModerationLogEntry.objects.count() == 1

    def test_a_departed_moderators_entries_stay(self, entry, totp_moderator):
        totp_moderator.delete()
        kept = ModerationLogEntry.objects.get()
        assert (kept.actor, kept.reason) == (None, "Off the rails.")

    def test_the_admin_offers_no_add_change_or_delete(self, entry, site_admin):
        admin = client_for(site_admin)
        base = "admin:forum_moderationlogentry"
        assert admin.get(reverse(f"{base}_changelist")).status_code == 200
        assert admin.get(reverse(f"{base}_add")).status_code == 403
        assert admin.get(reverse(f"{base}_delete", args=[entry.pk])).status_code == 403
        assert admin.post(reverse(f"{base}_change", args=[entry.pk]), {"reason": "Changed."}).status_code == 403
        page = admin.get(reverse(f"{base}_change", args=[entry.pk])).content.decode()
        assert 'name="_save"' not in page
        response = admin.post(
            reverse(f"{base}_changelist"), {"action": "delete_selected", "_selected_action": [entry.pk]}
        )
        assert ModerationLogEntry.objects.filter(pk=entry.pk).exists()
        assert response.status_code in {200, 302}


class TestLogPage:
    def test_every_action_is_listed_with_who_what_why_and_whether_automatic(self, mod_client, thread, other_member,
                                                                             totp_moderator):
        comment = reply(thread, other_member, "Contains a patient's name.")
        reports.flag_comment(comment=comment, flagger=make_member("r@example.org", display_name="R"),
                                reason=FlagReason.PATIENT_INFORMATION)
        carry_out(comment_actions.Delete(comment, actor=totp_moderator, reason="Patient named."))
        page = mod_client.get(reverse("forum:moderation_log")).content.decode()
        assert "Hidden automatically after reports" in page and "Automatic" in page
        assert "Deleted" in page and "Dana Moderator" in page and "Patient named." in page

    def test_filters(self, mod_client, thread, totp_moderator):
        carry_out(thread_actions.Lock(thread, actor=totp_moderator, reason="Locked for a reason."))
        carry_out(thread_actions.Pin(thread, actor=totp_moderator))
        page = mod_client.get(reverse("forum:moderation_log"), {"action": "pin"}).content.decode()
        assert "Discussion pinned" in page and "Locked for a reason." not in page
        page = mod_client.get(reverse("forum:moderation_log"), {"automatic": "yes"}).content.decode()
        assert "No entries match these filters." in page
        page = mod_client.get(reverse("forum:moderation_log"), {"actor": "dana"}).content.decode()
        assert "Locked for a reason." in page

    def test_csv_export_follows_the_filters(self, mod_client, thread, totp_moderator):
        carry_out(thread_actions.Lock(thread, actor=totp_moderator, reason="=HYPERLINK(\"x\")"))
        carry_out(thread_actions.Pin(thread, actor=totp_moderator))
        response = mod_client.get(reverse("forum:moderation_log_csv"), {"action": "lock"})
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:4] == ["when", "who", "automatic", "action"]
        assert len(rows) == 2
        assert rows[1][3] == "Discussion locked" and rows[1][7] == "'=HYPERLINK(\"x\")"

    def test_members_cannot_read_the_log(self, member_client):
        assert member_client.get(reverse("forum:moderation_log")).status_code == 403
        assert member_client.get(reverse("forum:moderation_log_csv")).status_code == 403


def make_queue(thread, count: int):
    """`count` reported comments, each with two reports, `count` waiting comments and appeals."""
    readers = [make_member(f"q{n}@example.org", display_name=f"Queue Reader {n}") for n in range(2)]
    author = make_member("author@example.org", display_name="Ann Author")
    moderator = make_member("m2@example.org", display_name="Another Mod")
    for number in range(count):
        comment = reply(thread, author, f"Reported {number}.")
        for reader in readers:
            reports.flag_comment(comment=comment, flagger=reader, reason=FlagReason.OFF_TOPIC)
        waiting = reply(thread, author, f"Waiting {number}.", needs_approval=True)
        carry_out(comment_actions.Reject(waiting, actor=moderator, reason="No."))
        entry = ModerationLogEntry.objects.filter(action="reject").order_by("-pk").first()
        appeals.submit_appeal(entry=entry, member=author, text=f"Appeal {number}.")
        reply(thread, author, f"Pending {number}.", needs_approval=True)
    reports.flag_thread(thread=thread, flagger=readers[0], reason=FlagReason.SPAM)


class TestQueryBudgets:
    """Budgets after a first request (which also records the session). Queue: the user, the
    moderator check, MFA, reporters, reported comments and their reports, reported discussions
    and their reports, waiting comments, appeals, the two header counts, the session save."""

    QUEUE_BUDGET = 14
    LOG_BUDGET = 9

    def test_the_queue_costs_the_same_for_one_item_or_many(self, mod_client, thread, django_assert_max_num_queries):
        make_queue(thread, 1)
        url = reverse("forum:moderation_queue")
        mod_client.get(url)
        with django_assert_max_num_queries(self.QUEUE_BUDGET):
            assert mod_client.get(url).status_code == 200
        for number in range(8):
            comment = reply(thread, make_member(f"extra{number}@example.org", display_name=f"Extra {number}"),
                            f"More {number}.")
            reports.flag_comment(comment=comment, flagger=make_member(f"f{number}@example.org",
                                                                         display_name=f"Flagger {number}"),
                                    reason=FlagReason.SPAM)
        with django_assert_max_num_queries(self.QUEUE_BUDGET):
            response = mod_client.get(url)
        assert "More 7." in response.content.decode()
        with django_assert_max_num_queries(self.QUEUE_BUDGET):
            assert mod_client.get(url, {"reason": FlagReason.SPAM}).status_code == 200

    def test_the_log_costs_the_same_for_one_page_of_any_size(self, mod_client, thread, totp_moderator,
                                                            django_assert_max_num_queries):
        carry_out(thread_actions.Pin(thread, actor=totp_moderator))
        url = reverse("forum:moderation_log")
        mod_client.get(url)
        with django_assert_max_num_queries(self.LOG_BUDGET):
            mod_client.get(url)
        for _ in range(60):
            carry_out(thread_actions.Unpin(thread, actor=totp_moderator))
        with django_assert_max_num_queries(self.LOG_BUDGET):
            assert "Discussion unpinned" in mod_client.get(url).content.decode()
        with django_assert_max_num_queries(self.LOG_BUDGET):
            assert mod_client.get(url, {"page": 2, "action": "unpin"}).status_code == 200

    def test_the_header_count_is_one_query_for_moderators_only(self, thread, totp_moderator, member,
                                                               django_assert_num_queries):
        from django.template import Context, Template

        make_queue(thread, 2)
        template = Template("{% load moderation_tags %}{% moderation_queue_count as n %}{{ n }}")
        totp_moderator._forum_is_moderator = True
        with django_assert_num_queries(1):
            # 2 reported comments + 1 reported discussion + 2 waiting + 2 appeals
            assert template.render(Context({"user": totp_moderator})) == "7"
        member._forum_is_moderator = False
        with django_assert_num_queries(0):
            assert template.render(Context({"user": member})) == "None"
