"""Agreeing, common ground, the theme summary, downloads and search in a real browser: the journeys
work with and without JavaScript, and each page passes axe with zero violations."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import StakeholderGroup
from forum.agreement import services as agreements
from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def theme(transactional_db):
    return make_theme("hospital-discharge", title="Hospital discharge")


@pytest.fixture
def writer(transactional_db):
    return make_member(
        "writer@example.org",
        display_name="Wren Writer",
        stakeholder_group=StakeholderGroup.ICB,
        organisation_name="North ICB",
        affiliation_verified=True,
    )


@pytest.fixture
def reader(transactional_db):
    return make_member("reader@example.org", display_name="Rosa Reader", stakeholder_group=StakeholderGroup.NHS)


@pytest.fixture
def thread(theme, writer):
    return services.start_thread(
        theme=theme,
        author=writer,
        title="Planning discharge together",
        body="Shared **discharge** plans with social care would free beds sooner.",
        stance="support",
    )


@pytest.fixture
def common(thread):
    """Make the opening comment common ground: three more groups agree."""
    comment = thread.comments.get()
    for number, group in enumerate(
        [StakeholderGroup.SOCIAL_CARE, StakeholderGroup.PATIENT_PUBLIC, StakeholderGroup.VCSE]
    ):
        person = make_member(f"agree{number}@example.org", display_name=f"Agreer {number}", stakeholder_group=group)
        agreements.agree(comment=comment, member=person)
    return comment


def url(live_server, path: str) -> str:
    return live_server.url + path


def test_a_member_agrees_with_javascript_and_sees_the_count_and_groups(page, live_server, login, thread, reader):
    comment = thread.comments.get()
    login(page, reader)
    page.goto(url(live_server, thread.get_absolute_url()))
    block = page.locator(f"#agree-{comment.pk}")
    block.get_by_role("button", name=re.compile(r"^Agree with comment 1")).click()
    expect(block).to_contain_text("1 member agrees, including you")
    expect(block).to_contain_text("NHS trust or NHS staff 1")
    expect(block.get_by_role("button", name=re.compile("Withdraw your agreement"))).to_be_focused()
    assert page.url == url(live_server, thread.get_absolute_url())  # swapped in place, no reload
    block.get_by_role("button", name=re.compile("Withdraw your agreement")).click()
    expect(block.get_by_role("button", name=re.compile(r"^Agree"))).to_be_visible()
    expect(block).not_to_contain_text("member agrees")


def test_a_member_agrees_without_javascript(page_no_js, live_server, login, thread, reader):
    comment = thread.comments.get()
    login(page_no_js, reader)
    page_no_js.goto(url(live_server, thread.get_absolute_url()))
    page_no_js.get_by_role("button", name=re.compile(r"^Agree with comment 1")).click()
    assert page_no_js.url.endswith(f"#{comment.anchor}")
    expect(page_no_js.get_by_text("You agree with this comment.")).to_be_visible()
    expect(page_no_js.locator(f"#agree-{comment.pk}")).to_contain_text("1 member agrees, including you")


def test_a_member_finds_the_comment_by_search(page, live_server, login, thread, reader):
    comment = thread.comments.get()
    login(page, reader)
    page.goto(url(live_server, reverse("home")))
    page.locator("header").get_by_role("link", name="Search").click()
    page.get_by_label("Search for").fill("beds")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#results")).to_have_text("1 comment found")
    expect(page.locator("main mark").first).to_have_text("beds")
    page.get_by_role("link", name=re.compile("Planning discharge together")).first.click()
    assert page.url.endswith(f"#{comment.anchor}")


def test_search_filters_work_without_javascript(page_no_js, live_server, thread):
    page_no_js.goto(url(live_server, reverse("forum:search")))
    page_no_js.get_by_label("Stakeholder group of the writer").select_option(label="Social care provider")
    page_no_js.get_by_role("button", name="Search", exact=True).click()
    expect(page_no_js.locator("#results")).to_have_text("No comments found")
    assert "group=social_care" in page_no_js.url


def test_the_summary_page_has_no_axe_violations(page, live_server, theme, thread, common, reader):
    page.goto(url(live_server, reverse("forum:theme_summary", kwargs={"slug": theme.slug})))
    expect(page.locator("main figure.cg-chart")).to_be_visible()
    expect(page.locator("main")).to_contain_text("One group has written most of the comments")
    assert_accessible(page)


def test_the_common_ground_tab_has_no_axe_violations(page, live_server, login, theme, common, reader):
    login(page, reader)
    page.goto(url(live_server, reverse("forum:common_ground", kwargs={"slug": theme.slug})))
    expect(page.locator("main article")).to_have_count(1)
    expect(page.locator("nav.nhsuk-tabs [aria-current=page]")).to_have_text("Common ground")
    assert_accessible(page)


def test_the_theme_page_with_tabs_has_no_axe_violations(page, live_server, login, theme, thread, reader):
    login(page, reader)
    page.goto(url(live_server, theme.get_absolute_url()))
    expect(page.locator("nav.nhsuk-tabs [aria-current=page]")).to_have_text("Discussions")
    assert_accessible(page)


def test_the_thread_page_with_agreements_has_no_axe_violations(page, live_server, login, thread, common, reader):
    login(page, reader)
    page.goto(url(live_server, thread.get_absolute_url()))
    expect(page.locator(f"#agree-{common.pk}")).to_contain_text("Common ground")
    assert_accessible(page)


def test_search_with_results_has_no_axe_violations(page, live_server, thread):
    page.goto(url(live_server, reverse("forum:search") + "?q=discharge"))
    expect(page.locator("main ol.nhsuk-list > li")).to_have_count(1)
    assert_accessible(page)


def test_search_with_no_results_has_no_axe_violations(page, live_server, thread):
    page.goto(url(live_server, reverse("forum:search") + "?q=zebra"))
    expect(page.locator("#results")).to_have_text("No comments found")
    assert_accessible(page)


def test_search_with_an_error_has_no_axe_violations(page, live_server, thread):
    page.goto(url(live_server, reverse("forum:search") + "?date_from=2025-05-02&date_to=2025-05-01"))
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_the_downloads_page_has_no_axe_violations(page, live_server, login, theme, reader):
    login(page, reader)
    page.goto(url(live_server, reverse("forum:exports")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Download the discussion")
    assert_accessible(page)
