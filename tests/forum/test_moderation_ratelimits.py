"""Rate limits on comments, new discussions and reports: stricter for new members, with a clear
time to wait, and the text kept."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments


from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from forum.following.levels import follow_by_default
from forum.models import Comment, FilterAction, Thread, WordFilter
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.posting import filters, ratelimits, services
from tests.conftest import make_member
from tests.forum.moderation_support import totp_moderator  # noqa: F401

# Posts count against the limits once they commit, so these tests commit (TransactionTestCase).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def limits(settings):
    settings.FORUM_RATE_LIMITS = {
        "comment": "3/10m",
        "comment_new": "2/10m",
        "thread": "2/h",
        "thread_new": "1/h",
        "flag": "5/h",
        "flag_new": "2/h",
    }
    return settings.FORUM_RATE_LIMITS


@pytest.fixture
def established(db):
    user = make_member("old@example.org", display_name="Olu Established")
    user.date_joined = timezone.now() - timedelta(days=30)
    user.save(update_fields=["date_joined"])
    return user


def post(client, thread, body):
    return client.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": body})


class TestParsing:
    @pytest.mark.parametrize(
        ("spec", "count", "seconds"),
        [("10/10m", 10, 600), ("1/h", 1, 3600), ("5/30s", 5, 30), ("2/d", 2, 86400)],
    )
    def test_specs(self, spec, count, seconds):
        assert ratelimits.parse_limit(spec) == ratelimits.Limit(count, seconds)

    @pytest.mark.parametrize("spec", ["", "ten/m", "10", "0/m", "10/0m", "10/w"])
    def test_bad_specs_are_refused(self, spec):
        with pytest.raises(ImproperlyConfigured):
            ratelimits.parse_limit(spec)


class TestComments:
    def test_a_new_member_waiting_for_approval_is_stopped_sooner_and_keeps_the_text(
        self, limits, settings, client, thread
    ):
        settings.PREMODERATE_FIRST_COMMENTS = 5  # nothing of theirs is published yet
        newcomer = make_member("new@example.org", display_name="Nia Newcomer")
        client.force_login(newcomer)
        assert post(client, thread, "One.").status_code == 302
        assert post(client, thread, "Two.").status_code == 302
        response = post(client, thread, "Three, which I would hate to lose.")
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        error = soup.select_one("#id_body-error").get_text()
        assert "You can post 2 comments every 10 minutes until a moderator has approved your first post." in error
        assert "Try again in 10 minutes." in error
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "Three, which I would hate to lose."
        assert Comment.objects.filter(author=newcomer).count() == 2

    def test_a_new_member_with_a_published_post_has_the_ordinary_limit(self, limits, client, thread, member):
        client.force_login(member)  # opened the discussion, published at once (no pre-moderation here)
        for body in ("One.", "Two.", "Three."):
            assert post(client, thread, body).status_code == 302

    def test_an_established_member_has_the_higher_limit(self, limits, client, thread, established):
        client.force_login(established)
        for body in ("One.", "Two.", "Three."):
            assert post(client, thread, body).status_code == 302
        assert post(client, thread, "Four.").status_code == 200

    def test_a_post_refused_by_a_filter_does_not_use_up_the_allowance(self, limits, client, thread, established):
        WordFilter.objects.create(pattern="forbidden", action=FilterAction.BLOCK)
        filters.forget()  # as adding one through the moderators' page does
        client.force_login(established)
        for _ in range(4):
            assert post(client, thread, "Something forbidden.").status_code == 200
        for body in ("One.", "Two.", "Three."):
            assert post(client, thread, body).status_code == 302

    def test_a_post_that_was_rolled_back_does_not_use_up_the_allowance(
        self, limits, client, thread, established, monkeypatch
    ):
        """Counted once the post commits: a post whose transaction failed half-way costs nothing."""
        def fail(*args, **kwargs):
            raise RuntimeError("a step failed half-way")

        client.raise_request_exception = False
        client.force_login(established)
        monkeypatch.setattr(services, "follow_by_default", fail)
        for _ in range(3):
            assert post(client, thread, "Lost in a rollback.").status_code == 500
        monkeypatch.setattr(services, "follow_by_default", follow_by_default)
        for body in ("One.", "Two.", "Three."):
            assert post(client, thread, body).status_code == 302
        assert post(client, thread, "Four.").status_code == 200  # and the limit still holds

    def test_previews_do_not_count(self, limits, client, thread, member):
        client.force_login(member)
        for _ in range(5):
            client.post(reverse("forum:reply", args=[thread.pk]), {"action": "preview", "body": "Draft."})
        assert post(client, thread, "Posted.").status_code == 302

    def test_the_wait_shrinks_as_time_passes(self, limits, member):
        start = 1_000_000.0
        with mock.patch("forum.posting.ratelimits.time.time", return_value=start):
            ratelimits.record(member, ratelimits.COMMENT)
            ratelimits.record(member, ratelimits.COMMENT)
        with mock.patch("forum.posting.ratelimits.time.time", return_value=start + 7 * 60):
            assert "Try again in 3 minutes." in ratelimits.refusal(member, ratelimits.COMMENT)
        with mock.patch("forum.posting.ratelimits.time.time", return_value=start + 10 * 60 + 1):
            assert ratelimits.refusal(member, ratelimits.COMMENT) is None

    def test_limits_are_per_member(self, limits, client, thread, member, other_member):
        client.force_login(member)
        post(client, thread, "One.")
        post(client, thread, "Two.")
        client.force_login(other_member)
        assert post(client, thread, "Mine.").status_code == 302

    def test_moderators_are_not_limited(self, limits, client, thread, totp_moderator):
        client.force_login(totp_moderator)
        for number in range(4):
            assert post(client, thread, f"Note {number}.").status_code == 302

    def test_the_switch_turns_limits_off(self, limits, settings, member):
        settings.FORUM_RATE_LIMITS_ENABLED = False
        for _ in range(5):
            ratelimits.record(member, ratelimits.COMMENT)
        assert ratelimits.refusal(member, ratelimits.COMMENT) is None


class TestNewDiscussions:
    def test_a_new_member_waiting_for_approval_may_start_one_discussion_an_hour(
        self, limits, settings, client, theme, member
    ):
        settings.PREMODERATE_FIRST_COMMENTS = 1
        client.force_login(member)
        url = reverse("forum:start_thread", args=[theme.slug])
        assert client.post(url, {"action": "post", "title": "First", "body": "Words."}).status_code == 302
        response = client.post(url, {"action": "post", "title": "Second", "body": "More words."})
        assert response.status_code == 200
        page = response.content.decode()
        assert "You can start 1 discussion every hour until a moderator has approved your first post" in page
        assert "Try again in 60 minutes." in page
        assert not Thread.objects.filter(title="Second").exists()

    def test_once_the_first_post_is_approved_a_new_member_may_start_another_at_once(
        self, limits, settings, client, theme, member, totp_moderator
    ):
        settings.PREMODERATE_FIRST_COMMENTS = 1
        client.force_login(member)
        url = reverse("forum:start_thread", args=[theme.slug])
        client.post(url, {"action": "post", "title": "First", "body": "Words."})
        first = Thread.objects.get(title="First")
        carry_out(comment_actions.Approve(first.comments.get(), actor=totp_moderator))
        response = client.post(url, {"action": "post", "title": "Second", "body": "More words."})
        assert response.status_code == 302
        assert Thread.objects.filter(title="Second").exists()

    def test_a_new_member_with_a_verified_group_has_the_ordinary_limits(self, limits, settings, client, theme, member):
        settings.PREMODERATE_FIRST_COMMENTS = 1
        type(member).objects.filter(pk=member.pk).update(affiliation_verified=True)
        member.refresh_from_db()
        client.force_login(member)
        url = reverse("forum:start_thread", args=[theme.slug])
        assert client.post(url, {"action": "post", "title": "First", "body": "Words."}).status_code == 302
        assert client.post(url, {"action": "post", "title": "Second", "body": "More."}).status_code == 302
