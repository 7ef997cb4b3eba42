"""Agreeing with comments: counts by stakeholder group, common ground, the rules, the buttons,
the theme's common-ground tab, and the query cost of pages that show them."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import StakeholderGroup
from forum import events, standing
from forum.agreement import services as agreements
from forum.models import Agreement, Comment, Thread
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db

GROUPS = [
    StakeholderGroup.INDEPENDENT_PROVIDER,
    StakeholderGroup.ICB,
    StakeholderGroup.PATIENT_PUBLIC,
    StakeholderGroup.VCSE,
    StakeholderGroup.LOCAL_AUTHORITY,
]


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def agreer(number: int, group=StakeholderGroup.ICB):
    return make_member(f"agreer{number}@example.org", display_name=f"Agreer {number}", stakeholder_group=group)


@pytest.fixture
def comment(thread, other_member):
    """A reply by Priya (social care) in a thread started by Alex (NHS)."""
    return reply(thread, other_member, "We should plan discharge together.")


@pytest.fixture
def announced(monkeypatch):
    """Record the comments announced as common ground instead of queueing the notification."""
    calls = []
    monkeypatch.setattr(events.common_ground_reached, "send", lambda comment_id: calls.append(comment_id))
    return calls


def fresh(comment) -> Comment:
    return Comment.objects.get(pk=comment.pk)


def agree_url(comment):
    return reverse("forum:agree", kwargs={"pk": comment.pk})


def withdraw_url(comment):
    return reverse("forum:withdraw_agreement", kwargs={"pk": comment.pk})


class TestAgreeService:
    def test_it_counts_the_agreement_under_the_members_group(self, comment, member):
        agreements.agree(comment=comment, member=member)
        saved = fresh(comment)
        assert saved.agree_count == 1
        assert saved.agree_groups == {StakeholderGroup.NHS: 1}
        assert Agreement.objects.get(comment=comment, member=member).stakeholder_group == StakeholderGroup.NHS
        assert comment.agree_count == 1 and comment.my_vote == 1

    def test_agreeing_twice_changes_nothing(self, comment, member):
        first = agreements.agree(comment=comment, member=member)
        second = agreements.agree(comment=comment, member=member)
        assert first.pk == second.pk
        assert fresh(comment).agree_count == 1
        assert Agreement.objects.count() == 1

    def test_withdrawing_takes_back_the_group_counted_when_agreeing(self, comment, member):
        agreements.agree(comment=comment, member=member)
        member.stakeholder_group = StakeholderGroup.VCSE
        member.save()
        assert agreements.withdraw_agreement(comment=comment, member=member) is True
        saved = fresh(comment)
        assert saved.agree_count == 0
        assert saved.agree_groups == {}
        assert not Agreement.objects.exists()

    def test_withdrawing_without_an_agreement_changes_nothing(self, comment, member):
        assert agreements.withdraw_agreement(comment=comment, member=member) is False
        assert fresh(comment).agree_count == 0

    def test_the_breakdown_adds_up_to_the_count(self, comment):
        for number, group in enumerate([GROUPS[0], GROUPS[0], GROUPS[1]]):
            agreements.agree(comment=comment, member=agreer(number, group))
        saved = fresh(comment)
        assert saved.agree_count == 3
        assert saved.agree_groups == {GROUPS[0]: 2, GROUPS[1]: 1}
        assert agreements.group_breakdown(saved.agree_groups) == [
            ("Independent sector provider", 2),
            ("Integrated care board (commissioner)", 1),
        ]


class TestCommonGround:
    def test_two_groups_are_not_common_ground(self, comment, announced):
        agreements.agree(comment=comment, member=agreer(1, GROUPS[0]))
        agreements.agree(comment=comment, member=agreer(2, GROUPS[1]))
        agreements.agree(comment=comment, member=agreer(3, GROUPS[1]))
        assert fresh(comment).is_common_ground is False
        assert announced == []

    def test_a_third_group_makes_it_common_ground_and_tells_the_author_once(self, comment, announced):
        for number, group in enumerate(GROUPS[:3]):
            agreements.agree(comment=comment, member=agreer(number, group))
        saved = fresh(comment)
        assert saved.is_common_ground is True
        assert saved.common_ground_at is not None
        assert announced == [comment.pk]
        agreements.agree(comment=comment, member=agreer(10, GROUPS[3]))
        assert announced == [comment.pk]

    def test_it_stops_being_common_ground_below_three_groups_and_is_not_announced_again(self, comment, announced):
        members = [agreer(number, group) for number, group in enumerate(GROUPS[:3])]
        for person in members:
            agreements.agree(comment=comment, member=person)
        first_moment = fresh(comment).common_ground_at
        agreements.withdraw_agreement(comment=comment, member=members[2])
        assert fresh(comment).is_common_ground is False
        agreements.agree(comment=comment, member=members[2])
        saved = fresh(comment)
        assert saved.is_common_ground is True
        assert saved.common_ground_at == first_moment
        assert announced == [comment.pk]

    def test_the_author_is_notified_through_the_notifications_feature(
        self, comment, other_member, django_capture_on_commit_callbacks
    ):
        from forum.models import Notification

        with django_capture_on_commit_callbacks(execute=True):
            for number, group in enumerate(GROUPS[:3]):
                agreements.agree(comment=comment, member=agreer(number, group))
        assert Notification.objects.filter(recipient=other_member, comment=comment, kind="common_ground").count() == 1


class TestWhoMayAgree:
    def test_members_cannot_agree_with_their_own_comment(self, comment, other_member):
        with pytest.raises(PermissionDenied, match="your own comment"):
            agreements.agree(comment=comment, member=other_member)

    def test_an_unverified_member_cannot_agree(self, comment, unverified_member):
        with pytest.raises(PermissionDenied, match="Confirm your email address"):
            agreements.agree(comment=comment, member=unverified_member)

    def test_a_member_with_an_incomplete_profile_cannot_agree(self, comment):
        person = make_member("nogroup@example.org", display_name="No Group", stakeholder_group="")
        with pytest.raises(PermissionDenied, match="stakeholder group"):
            agreements.agree(comment=comment, member=person)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"is_hidden": True}, "not published"),
            ({"needs_approval": True}, "not published"),
            ({"is_deleted": True}, "deleted"),
        ],
    )
    def test_nobody_agrees_with_a_hidden_pending_or_deleted_comment(self, comment, member, change, message):
        Comment.objects.filter(pk=comment.pk).update(**change)
        with pytest.raises(PermissionDenied, match=message):
            agreements.agree(comment=comment, member=member)
        assert fresh(comment).agree_count == 0

    def test_agreements_do_not_change_in_a_closed_theme(self, comment, member):
        agreements.agree(comment=comment, member=member)
        theme = comment.thread.theme
        theme.status = "closed"
        theme.save()
        with pytest.raises(PermissionDenied, match="no longer open"):
            agreements.withdraw_agreement(comment=comment, member=member)
        assert fresh(comment).agree_count == 1

    def test_a_suspended_member_cannot_agree(self, comment, member, moderator):
        from forum.models import Suspension

        Suspension.objects.create(member=member, reason="Testing", suspended_by=moderator)
        assert standing.is_suspended(member)
        with pytest.raises(PermissionDenied):
            agreements.agree(comment=comment, member=member)


class TestAgreeViews:
    def test_it_rejects_get(self, member_client, comment):
        assert member_client.get(agree_url(comment)).status_code == 405
        assert member_client.get(withdraw_url(comment)).status_code == 405

    def test_anonymous_readers_are_sent_to_sign_in(self, client, comment):
        response = client.post(agree_url(comment))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
        assert fresh(comment).agree_count == 0

    def test_a_member_agrees_and_comes_back_to_the_comment(self, member_client, comment):
        response = member_client.post(agree_url(comment), {"next": comment.thread.get_absolute_url()})
        assert response.status_code == 302
        assert response["Location"] == f"{comment.thread.get_absolute_url()}#{comment.anchor}"
        assert fresh(comment).agree_count == 1
        followed = member_client.get(response["Location"])
        assert "You agree with this comment." in followed.content.decode()

    def test_an_address_on_another_site_is_not_followed(self, member_client, comment):
        response = member_client.post(agree_url(comment), {"next": "https://example.com/elsewhere"})
        assert response["Location"].startswith(comment.thread.get_absolute_url())

    def test_htmx_gets_only_the_updated_block(self, member_client, comment):
        response = member_client.post(
            agree_url(comment), {"next": comment.thread.get_absolute_url()}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        soup = page(response)
        block = soup.find(id=f"agree-{comment.pk}")
        assert "1 member agrees, including you" in " ".join(block.get_text().split())
        assert block.find("form")["action"] == withdraw_url(comment)
        assert block.find("input", attrs={"name": "next"})["value"] == comment.thread.get_absolute_url()
        assert soup.find("html") is None

    def test_a_member_withdraws_their_agreement(self, member_client, member, comment):
        agreements.agree(comment=comment, member=member)
        response = member_client.post(withdraw_url(comment))
        assert response.status_code == 302
        assert fresh(comment).agree_count == 0

    def test_agreeing_with_your_own_comment_is_refused_with_a_reason(self, client, comment, other_member):
        client.force_login(other_member)
        response = client.post(agree_url(comment))
        assert response.status_code == 403
        assert "You cannot agree with your own comment." in response.content.decode()

    def test_a_hidden_comment_is_not_found(self, member_client, comment):
        Comment.objects.filter(pk=comment.pk).update(is_hidden=True)
        assert member_client.post(agree_url(comment)).status_code == 404


class TestThreadPageShowsAgreement:
    def test_each_comment_shows_its_count_breakdown_and_a_button(self, member_client, thread, comment):
        agreements.agree(comment=comment, member=agreer(1, GROUPS[0]))
        agreements.agree(comment=comment, member=agreer(2, GROUPS[2]))
        soup = page(member_client.get(thread.get_absolute_url()))
        block = soup.find(id=f"agree-{comment.pk}")
        text = " ".join(block.get_text().split())
        assert "2 members agree" in text
        assert "Independent sector provider 1" in text and "Patient or public representative 1" in text
        button = block.find("button")
        assert button.get_text(" ", strip=True).startswith("Agree")
        assert block.find("form")["method"] == "post"

    def test_a_member_sees_withdraw_on_what_they_agreed_with(self, member_client, member, thread, comment):
        agreements.agree(comment=comment, member=member)
        block = page(member_client.get(thread.get_absolute_url())).find(id=f"agree-{comment.pk}")
        assert "including you" in block.get_text()
        assert "Withdraw your agreement" in block.find("button").get_text()

    def test_no_button_on_your_own_comment_or_for_anonymous_readers(self, client, member, thread):
        opening = thread.comments.get()
        client.force_login(member)
        own = page(client.get(thread.get_absolute_url())).find(id=f"agree-{opening.pk}")
        assert own is not None and own.find("button") is None
        client.logout()
        anonymous = page(client.get(thread.get_absolute_url())).find(id=f"agree-{opening.pk}")
        assert anonymous.find("button") is None

    def test_common_ground_is_tagged_on_the_comment(self, client, thread, comment):
        for number, group in enumerate(GROUPS[:3]):
            agreements.agree(comment=comment, member=agreer(number, group))
        block = page(client.get(thread.get_absolute_url())).find(id=f"agree-{comment.pk}")
        assert "Common ground" in block.get_text()


def _fill_thread(thread, authors, count):
    for number in range(count):
        comment = reply(thread, authors[number % len(authors)], f"Reply {number}")
        for voter in authors[:3]:
            if voter.pk != comment.author_id:
                agreements.agree(comment=comment, member=voter)


class TestQueryBudgets:
    @pytest.mark.parametrize("replies", [2, 25])
    def test_the_thread_page_costs_the_same_whatever_its_size(
        self, client, member, thread, replies, django_assert_max_num_queries
    ):
        authors = [agreer(number, group) for number, group in enumerate(GROUPS)]
        _fill_thread(thread, authors, replies)
        client.force_login(member)
        client.get(thread.get_absolute_url())  # the first request also records the session and reading
        with django_assert_max_num_queries(10):
            response = client.get(thread.get_absolute_url())
        assert response.content.decode().count('class="cg-agree"') == replies + 1

    def test_the_theme_page_with_its_tabs_costs_the_same_whatever_its_size(self, client, member, theme):
        """The tabs are plain links (no query); the page's own budget is forum core's test."""
        authors = [agreer(number, group) for number, group in enumerate(GROUPS)]
        client.force_login(member)
        client.get(theme.get_absolute_url())  # the first request also records the session
        counts = []
        for threads in (1, 12):
            for number in range(threads - theme.threads.count()):
                started = services.start_thread(theme=theme, author=authors[number % 5], title=f"T {number}", body="B")
                _fill_thread(started, authors, 2)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(theme.get_absolute_url()).status_code == 200
            counts.append(len(queries.captured_queries))
        assert counts[0] == counts[1]

    @pytest.mark.parametrize("count", [1, 15])
    def test_the_common_ground_tab_costs_the_same_whatever_its_size(
        self, client, member, thread, count, django_assert_max_num_queries
    ):
        authors = [agreer(number, group) for number, group in enumerate(GROUPS)]
        for number in range(count):
            comment = reply(thread, authors[4], f"Shared point {number}")
            for voter in authors[:3]:
                agreements.agree(comment=comment, member=voter)
        client.force_login(member)
        url = reverse("forum:common_ground", kwargs={"slug": thread.theme.slug})
        client.get(url)  # the first request also records the session
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.content.decode().count('class="cg-agree"') == count


class TestCommonGroundTab:
    def url(self, theme):
        return reverse("forum:common_ground", kwargs={"slug": theme.slug})

    def test_it_lists_only_common_ground_comments_of_the_theme(self, client, theme, thread, comment, member):
        ordinary = reply(thread, member, "Just a remark.")
        elsewhere = services.start_thread(
            theme=make_theme("other-theme", position=5), author=member, title="Other", body="Elsewhere"
        ).comments.get()
        for target in (comment, elsewhere):
            for number, group in enumerate(GROUPS[:3]):
                agreements.agree(comment=target, member=agreer(number + 10 * target.pk, group))
        soup = page(client.get(self.url(theme)))
        articles = soup.select("main article")
        assert [a["id"] for a in articles] == [comment.anchor]
        assert "We should plan discharge together." in articles[0].get_text()
        assert ordinary.anchor not in str(soup)

    def test_hidden_and_deleted_common_ground_is_not_listed(self, client, theme, thread, comment, member):
        for number, group in enumerate(GROUPS[:3]):
            agreements.agree(comment=comment, member=agreer(number, group))
        Comment.objects.filter(pk=comment.pk).update(is_hidden=True)
        assert not page(client.get(self.url(theme))).select("main article")
        Comment.objects.filter(pk=comment.pk).update(is_hidden=False, is_deleted=True)
        assert not page(client.get(self.url(theme))).select("main article")
        Comment.objects.filter(pk=comment.pk).update(is_deleted=False)
        Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
        assert not page(client.get(self.url(theme))).select("main article")

    def test_the_tabs_are_links_marking_the_current_page(self, client, theme):
        soup = page(client.get(self.url(theme)))
        tabs = soup.select("nav.nhsuk-tabs a")
        names = ["Discussions", "Common ground", "Contested points", "Who is taking part", "Brief", "Codes"]
        assert [a.get_text(strip=True) for a in tabs] == names
        current = soup.select('nav.nhsuk-tabs a[aria-current="page"]')
        assert [a["href"] for a in current] == [self.url(theme)]
        theme_page = page(client.get(theme.get_absolute_url()))
        assert theme_page.select_one('nav.nhsuk-tabs a[aria-current="page"]')["href"] == theme.get_absolute_url()

    def test_an_empty_tab_says_how_common_ground_is_made(self, client, theme):
        text = page(client.get(self.url(theme))).get_text(" ", strip=True)
        assert "No comment in this theme is common ground yet." in text

    def test_it_answers_only_get_and_404s_for_unknown_themes_and_pages(self, client, theme):
        assert client.post(self.url(theme)).status_code == 405
        assert client.get(reverse("forum:common_ground", kwargs={"slug": "nope"})).status_code == 404
        assert client.get(self.url(theme) + "?page=2").status_code == 404
