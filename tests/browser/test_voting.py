"""Voting in a real browser: a member agrees, changes to disagree and withdraws, with JavaScript on
(htmx swaps the block in place, focus stays on the button pressed) and off (plain forms that come
back to the comment); and the common-ground tab, contested points and common ground across all
themes pass axe and the HTML checker at 1280 and 375 pixels."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import StakeholderGroup as G
from forum.agreement import services as votes
from forum.models import VoteValue
from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 375]


@pytest.fixture
def theme(transactional_db):
    return make_theme("hospital-discharge", title="Hospital discharge")


@pytest.fixture
def writer(transactional_db):
    return make_member("writer@example.org", display_name="Wren Writer", stakeholder_group=G.ICB)


@pytest.fixture
def voter(transactional_db):
    return make_member("voter@example.org", display_name="Vera Voter", stakeholder_group=G.NHS)


@pytest.fixture
def thread(theme, writer):
    return services.start_thread(
        theme=theme, author=writer, title="Planning discharge together",
        body="Shared discharge plans with social care would free beds sooner.",
    )


@pytest.fixture
def voted(thread):
    """The opening comment is common ground (four named groups, one verified) and contested
    (patients disagree)."""
    comment = thread.comments.get()
    for number, group in enumerate([G.SOCIAL_CARE, G.VCSE, G.LOCAL_AUTHORITY, G.NHS]):
        person = make_member(
            f"agree{number}@example.org", display_name=f"Agreer {number}", stakeholder_group=group,
            affiliation_verified=number == 0,
        )
        votes.agree(comment=comment, member=person)
    for number in range(2):
        person = make_member(
            f"against{number}@example.org", display_name=f"Against {number}", stakeholder_group=G.PATIENT_PUBLIC
        )
        votes.vote(comment=comment, member=person, value=VoteValue.DISAGREE)
    return comment


def url(live_server, path: str) -> str:
    return live_server.url + path


def test_a_member_agrees_changes_to_disagree_and_withdraws_with_javascript(page, live_server, login, thread, voter):
    comment = thread.comments.get()
    login(page, voter)
    page.goto(url(live_server, thread.get_absolute_url()))
    block = page.locator(f"#agree-{comment.pk}")

    block.get_by_role("button", name=re.compile(r"^Agree with comment 1")).click()
    expect(block).to_contain_text("You agree.")
    expect(block).to_contain_text("1 member agrees, including you")
    expect(block.get_by_role("button", name=re.compile("^Withdraw your agreement"))).to_be_focused()

    block.get_by_role("button", name=re.compile("^Change to disagree")).click()
    expect(block).to_contain_text("You disagree.")
    expect(block).to_contain_text("1 member disagrees, including you")
    expect(block).not_to_contain_text("member agrees")
    expect(block.get_by_role("button", name=re.compile("^Withdraw your disagreement"))).to_be_focused()

    block.get_by_role("button", name=re.compile("^Withdraw your disagreement")).click()
    expect(block.get_by_role("button", name=re.compile("^Disagree with comment 1"))).to_be_focused()
    expect(block).not_to_contain_text("member disagrees")
    assert page.url == url(live_server, thread.get_absolute_url())  # swapped in place, no reload


def test_a_member_agrees_changes_to_disagree_and_withdraws_without_javascript(
    page_no_js, live_server, login, thread, voter
):
    comment = thread.comments.get()
    page = login(page_no_js, voter)
    page.goto(url(live_server, thread.get_absolute_url()))
    block = page.locator(f"#agree-{comment.pk}")

    page.get_by_role("button", name=re.compile(r"^Agree with comment 1")).click()
    assert page.url.endswith(f"#{comment.anchor}")
    expect(page.get_by_text("You agree with this comment.")).to_be_visible()
    expect(block).to_contain_text("1 member agrees, including you")

    page.get_by_role("button", name=re.compile("^Change to disagree")).click()
    expect(page.get_by_text("You disagree with this comment.")).to_be_visible()
    expect(block).to_contain_text("1 member disagrees, including you")

    page.get_by_role("button", name=re.compile("^Withdraw your disagreement")).click()
    expect(page.get_by_text("You have withdrawn your vote on this comment.")).to_be_visible()
    expect(block.get_by_role("button", name=re.compile("^Agree with comment 1"))).to_be_visible()
    expect(block).not_to_contain_text("member disagrees")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_common_ground_tab_is_accessible(page, live_server, login, theme, voted, voter, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, voter)
    page.goto(url(live_server, reverse("forum:common_ground", kwargs={"slug": theme.slug})))
    expect(page.locator("main article")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("1 verified, 3 self-declared")
    expect(page.locator("main figure.cg-chart--split")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_contested_points_are_accessible(page, live_server, login, theme, voted, voter, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, voter)
    page.goto(url(live_server, reverse("forum:contested", kwargs={"slug": theme.slug})))
    expect(page.locator("nav.nhsuk-tabs [aria-current=page]")).to_have_text("Contested points")
    expect(page.locator("main article")).to_have_count(1)
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_common_ground_across_all_themes_is_accessible(page, live_server, theme, voted, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url(live_server, reverse("forum:common_ground_all")))
    expect(page.locator("main article")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("Theme: Hospital discharge")
    assert_accessible(page)
