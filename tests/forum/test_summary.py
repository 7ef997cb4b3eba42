"""A theme's summary page: who takes part, by stakeholder group, in a chart and in tables."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.models import StakeholderGroup
from forum.agreement import services as agreements
from forum.agreement.summary import theme_summary
from forum.models import Comment, Thread
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def summary_url(theme):
    return reverse("forum:theme_summary", kwargs={"slug": theme.slug})


def person(name, group, organisation=""):
    email = f"{name.lower().replace(' ', '.')}@example.org"
    return make_member(email, display_name=name, stakeholder_group=group, organisation_name=organisation)


@pytest.fixture
def people(db):
    return {
        "nhs1": person("Nia Trust", StakeholderGroup.NHS, "Northshire Hospitals"),
        "nhs2": person("Noel Trust", StakeholderGroup.NHS, "northshire hospitals"),
        "nhs3": person("Nadia Trust", StakeholderGroup.NHS, "Southshire Hospitals"),
        "icb": person("Ivan Board", StakeholderGroup.ICB, "North ICB"),
        "patient": person("Pat Public", StakeholderGroup.PATIENT_PUBLIC),
    }


@pytest.fixture
def discussed(theme, people):
    """Seven readable comments: NHS 4 (from 3 people, 2 organisations), ICB 2, patients 1."""
    thread = services.start_thread(
        theme=theme, author=people["nhs1"], title="Discharge", body="Opening", stance="question"
    )
    reply(thread, people["nhs1"], "More", stance="support")
    reply(thread, people["nhs2"], "Agree", stance="support")
    reply(thread, people["nhs3"], "Worried", stance="concern")
    reply(thread, people["icb"], "Data", stance="evidence")
    reply(thread, people["icb"], "And more")
    reply(thread, people["patient"], "From the ward", stance="concern")
    return thread


class TestThemeSummary:
    def test_it_counts_comments_people_and_organisations_per_group(self, theme, discussed):
        summary = theme_summary(theme)
        assert (summary.comments, summary.participants, summary.organisations) == (7, 5, 3)
        rows = {g.code: (g.comments, g.participants, g.organisations) for g in summary.groups}
        assert rows == {
            StakeholderGroup.NHS: (4, 3, 2),
            StakeholderGroup.ICB: (2, 1, 1),
            StakeholderGroup.PATIENT_PUBLIC: (1, 1, 0),
        }
        assert [g.code for g in summary.groups] == [
            StakeholderGroup.NHS,
            StakeholderGroup.ICB,
            StakeholderGroup.PATIENT_PUBLIC,
        ]

    def test_it_counts_stances_per_group(self, theme, discussed):
        summary = theme_summary(theme)
        nhs = next(g for g in summary.groups if g.code == StakeholderGroup.NHS)
        assert nhs.stances == {"question": 1, "support": 2, "concern": 1}
        # Columns: support, concern, question, evidence, no tag.
        assert nhs.stance_counts == [2, 1, 1, 0, 0]
        assert summary.stance_totals == [2, 2, 1, 1, 1]

    def test_a_group_with_more_than_half_the_comments_is_named(self, theme, discussed):
        summary = theme_summary(theme)
        assert summary.dominant is not None
        assert summary.dominant.code == StakeholderGroup.NHS
        assert summary.dominant.share == 57

    def test_exactly_half_is_not_dominance(self, theme, discussed, people):
        reply(discussed, people["patient"], "Balance")
        assert theme_summary(theme).comments == 8
        assert theme_summary(theme).dominant is None

    def test_hidden_deleted_and_pending_comments_and_threads_are_left_out(self, theme, discussed, people):
        extra = reply(discussed, people["icb"], "Hidden later")
        Comment.objects.filter(pk=extra.pk).update(is_hidden=True)
        deleted = reply(discussed, people["icb"], "Deleted later")
        services.delete_comment(comment=deleted, deleted_by=people["icb"])
        reply(discussed, people["icb"], "Waiting", needs_approval=True)
        hidden_thread = services.start_thread(theme=theme, author=people["icb"], title="Hidden", body="Gone")
        Thread.objects.filter(pk=hidden_thread.pk).update(is_hidden=True)
        assert theme_summary(theme).comments == 7

    def test_other_themes_do_not_count(self, theme, discussed, people):
        other = make_theme("other-theme", position=3)
        services.start_thread(theme=other, author=people["icb"], title="Elsewhere", body="Not here")
        assert theme_summary(theme).comments == 7

    def test_it_counts_common_ground(self, theme, discussed, people):
        comment = discussed.comments.get(position=7)
        for key in ("nhs1", "icb"):
            agreements.agree(comment=comment, member=people[key])
        agreements.agree(comment=comment, member=person("Val Sector", StakeholderGroup.VCSE))
        assert theme_summary(theme).common_ground == 1


class TestSummaryPage:
    def test_it_shows_the_same_numbers_in_the_chart_and_the_table(self, client, theme, discussed):
        soup = page(client.get(summary_url(theme)))
        chart = soup.select_one("main figure.cg-chart")
        assert chart.find("figcaption").get_text().startswith("Bar chart")
        groups = {
            group.find("dt").get_text(): [dd.get_text(strip=True) for dd in group.find_all("dd")]
            for group in chart.select("dl > div")
        }
        assert groups["NHS trust or NHS staff"] == ["4 comments", "3 people", "2 organisations"]
        assert ["1 comment", "1 person", "0 organisations"] in groups.values()
        # Bars share one scale, the largest figure (4 comments) filling its track; no bar for a zero.
        nhs_bars = [dd.find("rect") for dd in chart.select("dl > div")[0].find_all("dd")]
        assert [bar["width"] for bar in nhs_bars] == ["100%", "75%", "50%"]
        assert all(svg["aria-hidden"] == "true" for svg in chart.find_all("svg"))
        assert any(dd.find("svg").find("rect") is None for dd in chart.find_all("dd"))
        table = soup.select("main table")[0]
        rows = [[c.get_text(strip=True) for c in row.find_all(["th", "td"])] for row in table.select("tbody tr")]
        assert rows[0] == ["NHS trust or NHS staff", "4", "57%", "3", "2"]
        assert rows[-1] == ["All groups", "7", "100%", "5", "3"]

    def test_it_shows_stances_by_group(self, client, theme, discussed):
        table = page(client.get(summary_url(theme))).select("main table")[1]
        headers = [th.get_text(strip=True) for th in table.select("thead th")]
        assert headers == ["Stakeholder group", "Support", "Concern", "Question", "Evidence", "No tag"]
        first = [c.get_text(strip=True) for c in table.select("tbody tr")[0].find_all(["th", "td"])]
        assert first == ["NHS trust or NHS staff", "2", "1", "1", "0", "0"]

    def test_it_warns_when_one_group_wrote_more_than_half(self, client, theme, discussed):
        text = page(client.get(summary_url(theme))).get_text(" ", strip=True)
        assert "One group has written most of the comments" in text
        assert "NHS trust or NHS staff wrote 4 of the 7 comments (57%)" in text

    def test_no_warning_when_the_groups_are_balanced(self, client, theme, discussed, people):
        reply(discussed, people["patient"], "Balance")
        text = page(client.get(summary_url(theme))).get_text(" ", strip=True)
        assert "One group has written most" not in text

    def test_an_empty_theme_says_so(self, client, theme):
        soup = page(client.get(summary_url(theme)))
        assert "No one has commented in this theme yet" in soup.get_text()
        assert soup.select("main table") == []

    def test_download_links_are_shown_only_to_those_who_may_download(self, client, member, theme, discussed):
        export = reverse("forum:theme_export", kwargs={"slug": theme.slug, "fmt": "csv"})
        assert not page(client.get(summary_url(theme))).find("a", href=export)
        client.force_login(member)
        assert page(client.get(summary_url(theme))).find("a", href=export)

    @pytest.mark.parametrize("extra", [0, 30])
    def test_it_costs_the_same_whatever_the_size(
        self, client, member, theme, discussed, people, extra, django_assert_max_num_queries
    ):
        for number in range(extra):
            reply(discussed, person(f"Extra {number}", StakeholderGroup.SOCIAL_CARE, f"Home {number}"), "More")
        client.force_login(member)
        client.get(summary_url(theme))  # the first request also records the session
        with django_assert_max_num_queries(10):
            response = client.get(summary_url(theme))
        assert response.status_code == 200

    def test_it_answers_only_get(self, client, theme):
        assert client.post(summary_url(theme)).status_code == 405
        assert client.get(reverse("forum:theme_summary", kwargs={"slug": "nope"})).status_code == 404
