"""The pages of votes: the Agree and Disagree buttons with and without htmx, the common-ground tab
ranked by consensus with its chart and table, contested points, common ground across all themes,
and the counts on the themes list and the home page."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import StakeholderGroup as G
from forum.agreement import services as votes
from forum.models import Agreement, Comment, VoteValue
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db

AGREE, DISAGREE = VoteValue.AGREE, VoteValue.DISAGREE


def voter(number: int, group=G.ICB, *, verified=False):
    return make_member(
        f"pagevoter{number}@example.org", display_name=f"Page Voter {number}", stakeholder_group=group,
        affiliation_verified=verified,
    )


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def text(response) -> str:
    return soup(response).get_text(" ", strip=True)


def common_ground(comment, groups, *, verified=()):
    """Members of `groups` agree with `comment` (those in `verified` with a verified group)."""
    for number, group in enumerate(groups):
        member = voter(comment.pk * 100 + number, group, verified=group in verified)
        votes.agree(comment=comment, member=member)


@pytest.fixture
def comment(thread, other_member):
    return reply(thread, other_member, "Plan discharge with social care from the first day.")


class TestButtons:
    def test_a_member_disagrees_changes_and_withdraws_without_javascript(self, client, comment):
        member = voter(1)
        client.force_login(member)
        back = comment.thread.get_absolute_url()

        response = client.post(reverse("forum:disagree", kwargs={"pk": comment.pk}), {"next": back}, follow=True)
        assert "You disagree with this comment." in text(response)
        block = soup(response).select_one(f"#agree-{comment.pk}").get_text(" ", strip=True)
        assert "1 member disagrees" in block and "including you" in block
        assert "Change to agree" in block and "Withdraw your disagreement" in block

        response = client.post(reverse("forum:agree", kwargs={"pk": comment.pk}), {"next": back}, follow=True)
        block = soup(response).select_one(f"#agree-{comment.pk}").get_text(" ", strip=True)
        assert "You agree." in block and "Change to disagree" in block
        assert Agreement.objects.get(member=member).vote == AGREE

        withdraw = reverse("forum:withdraw_agreement", kwargs={"pk": comment.pk})
        response = client.post(withdraw, {"next": back}, follow=True)
        assert "You have withdrawn your vote on this comment." in text(response)
        assert not Agreement.objects.filter(member=member).exists()

    def test_htmx_gets_the_block_with_the_button_pressed_as_its_undo(self, client, comment):
        client.force_login(voter(1))
        response = client.post(reverse("forum:disagree", kwargs={"pk": comment.pk}), HTTP_HX_REQUEST="true")
        block = soup(response)
        assert block.select_one(f"#disagree-button-{comment.pk}").get_text(" ", strip=True).startswith(
            "Withdraw your disagreement"
        )
        assert block.select_one(f"#agree-button-{comment.pk}").get_text(" ", strip=True).startswith("Change to agree")

    def test_disagreeing_with_ones_own_comment_is_refused_with_a_sentence(self, client, comment, other_member):
        client.force_login(other_member)
        response = client.post(reverse("forum:disagree", kwargs={"pk": comment.pk}))
        assert response.status_code == 403
        assert "You cannot disagree with your own comment." in response.content.decode()
        assert not Agreement.objects.exists()

    def test_a_vote_shows_at_once_on_the_cached_thread_page(self, client, settings, comment):
        settings.SHARED_CACHE = True
        member = voter(1)
        client.force_login(member)
        url = comment.thread.get_absolute_url()
        client.get(url)
        client.get(url)  # the fragments and the page's list are stored
        votes.vote(comment=comment, member=member, value=DISAGREE)
        block = soup(client.get(url)).select_one(f"#agree-{comment.pk}").get_text(" ", strip=True)
        assert "You disagree." in block and "1 member disagrees" in block
        votes.vote(comment=comment, member=member, value=AGREE)
        block = soup(client.get(url)).select_one(f"#agree-{comment.pk}").get_text(" ", strip=True)
        assert "You agree." in block and "disagrees" not in block


class TestCommonGroundTab:
    def test_it_ranks_by_consensus_not_by_the_number_of_agrees(self, client, theme, thread, other_member):
        loud = reply(thread, other_member, "Loud")
        common_ground(loud, [G.NHS, G.NHS, G.NHS, G.NHS, G.ICB, G.VCSE])
        votes.vote(comment=loud, member=voter(90, G.PATIENT_PUBLIC), value=DISAGREE)
        votes.vote(comment=loud, member=voter(91, G.PATIENT_PUBLIC), value=DISAGREE)
        shared = reply(thread, other_member, "Shared")
        common_ground(shared, [G.NHS, G.ICB, G.VCSE, G.PATIENT_PUBLIC])
        page = soup(client.get(reverse("forum:common_ground", kwargs={"slug": theme.slug})))
        order = [a["id"] for a in page.select("article.nhsuk-card")]
        assert order == [shared.anchor, loud.anchor]

    def test_each_comment_has_its_split_as_a_chart_and_a_table(self, client, theme, comment):
        common_ground(comment, [G.NHS, G.ICB, G.VCSE, G.OTHER], verified=(G.NHS,))
        votes.vote(comment=comment, member=voter(99, G.PATIENT_PUBLIC), value=DISAGREE)
        page = soup(client.get(reverse("forum:common_ground", kwargs={"slug": theme.slug})))
        assert page.select_one("figure.cg-chart--split svg rect") is not None
        rows = {
            row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
            for row in page.select(f"#{comment.anchor} table tbody tr")
        }
        assert rows["NHS trust or NHS staff"] == ["1", "1", "0", "0.67"]
        assert rows["Patient or public representative"] == ["0", "0", "1", "0.33"]
        assert rows["Other"][-1] == "not counted"
        assert "agreed by members of 3 stakeholder groups: 1 verified, 2 self-declared" in page.get_text(" ")


class TestContested:
    def test_the_contested_tab_lists_split_comments_with_a_count(self, client, theme, thread, other_member):
        split = reply(thread, other_member, "Split")
        votes.agree(comment=split, member=voter(1, G.NHS))
        votes.vote(comment=split, member=voter(2, G.PATIENT_PUBLIC), value=DISAGREE)
        agreed = reply(thread, other_member, "Agreed")
        votes.agree(comment=agreed, member=voter(3, G.NHS))
        response = client.get(reverse("forum:contested", kwargs={"slug": theme.slug}))
        page = soup(response)
        assert [a["id"] for a in page.select("article.nhsuk-card")] == [split.anchor]
        assert "1 comment in this theme is contested" in text(response)
        assert page.select_one('nav.nhsuk-tabs a[aria-current="page"]').get_text(strip=True) == "Contested points"

    def test_the_summary_links_to_the_contested_points(self, client, theme, comment):
        votes.agree(comment=comment, member=voter(1, G.NHS))
        votes.vote(comment=comment, member=voter(2, G.PATIENT_PUBLIC), value=DISAGREE)
        page = soup(client.get(reverse("forum:theme_summary", kwargs={"slug": theme.slug})))
        links = page.select(f'main p a[href="{reverse("forum:contested", kwargs={"slug": theme.slug})}"]')
        assert [link.get_text(strip=True) for link in links] == ["1 is contested"]

    def test_an_empty_contested_tab_says_so(self, client, theme):
        response = client.get(reverse("forum:contested", kwargs={"slug": theme.slug}))
        assert "No comment in this theme is contested yet." in text(response)


class TestAcrossThemes:
    def test_common_ground_from_every_theme_is_ranked_and_names_its_theme(self, client, theme, thread, member):
        other_theme = make_theme("care-homes", title="Care homes", position=2)
        elsewhere = services.start_thread(theme=other_theme, author=member, title="Elsewhere", body="Opening.")
        there = reply(elsewhere, make_member("writer@example.org", display_name="Writer"), "There")
        here = reply(thread, make_member("writer2@example.org", display_name="Writer Two"), "Here")
        common_ground(there, [G.NHS, G.ICB, G.VCSE, G.PATIENT_PUBLIC, G.SOCIAL_CARE])
        common_ground(here, [G.NHS, G.ICB, G.VCSE])
        response = client.get(reverse("forum:common_ground_all"))
        page = soup(response)
        assert [a["id"] for a in page.select("article.nhsuk-card")] == [there.anchor, here.anchor]
        assert "Theme: Care homes" in text(response) and f"Theme: {theme.title}" in text(response)
        assert client.get(reverse("forum:common_ground_all") + "?page=2").status_code == 404

    def test_the_themes_list_and_home_page_count_common_ground_and_contested(self, client, theme, thread, comment):
        common_ground(comment, [G.NHS, G.ICB, G.VCSE])
        votes.vote(comment=comment, member=voter(77, G.PATIENT_PUBLIC), value=DISAGREE)
        for url in (reverse("forum:theme_list"), reverse("home")):
            page = soup(client.get(url))
            headers = [th.get_text(strip=True) for th in page.select("table.cg-theme-table thead th")]
            first_row = page.select("table.cg-theme-table tbody tr")[0]
            cells = [td.get_text(" ", strip=True) for td in first_row.select("td")]
            assert headers[3:5] == ["Common ground", "Contested"]
            assert cells[3].endswith("1") and cells[4].endswith("1")


class TestQueryBudgets:
    @pytest.mark.parametrize("name", ["forum:common_ground", "forum:contested", "forum:common_ground_all"])
    def test_a_longer_list_costs_no_more_queries(self, client, settings, theme, thread, other_member, name):
        """Every comment on a page of votes brings its splits and badge with it: no query per row."""
        settings.SHARED_CACHE = False
        client.force_login(voter(999, G.SOCIAL_CARE))
        url = reverse(name, kwargs={"slug": theme.slug}) if name != "forum:common_ground_all" else reverse(name)

        def add(number: int) -> None:
            comment = reply(thread, other_member, f"Point {number}")
            common_ground(comment, [G.NHS, G.ICB, G.VCSE])
            votes.vote(comment=comment, member=voter(100_000 + number, G.PATIENT_PUBLIC), value=DISAGREE)

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        add(1)
        queries()  # the session and the reader's standing are read once, then kept
        small = queries()
        assert small <= 8  # count, page, the theme or none, and the signed-in page's own reads
        for number in range(2, 7):
            add(number)
        assert queries() == small


def test_downloads_carry_the_disagreements_consensus_and_contest(client, theme, comment):
    votes.agree(comment=comment, member=voter(1, G.NHS))
    votes.vote(comment=comment, member=voter(2, G.PATIENT_PUBLIC), value=DISAGREE)
    client.force_login(voter(3))
    response = client.get(reverse("forum:theme_export", kwargs={"slug": theme.slug, "fmt": "csv"}))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    row = next(r for r in rows if r["comment_id"] == str(comment.pk))
    assert (row["disagree_count"], row["disagree_patient_public"], row["contested"]) == ("1", "1", "yes")
    assert float(row["consensus"]) == pytest.approx(round(Comment.objects.get(pk=comment.pk).consensus, 6))
