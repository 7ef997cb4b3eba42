"""Following in a real browser: follow a theme, hear about a new comment, reach it; pages pass axe."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import StakeholderGroup
from forum.models import FollowLevel, ThemeFollow
from forum.notifications import unsubscribe as unsubscribing
from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(transactional_db):
    reader = make_member("reader@example.org", display_name="Rhea Reader")
    writer = make_member("writer@example.org", display_name="Wes Writer", stakeholder_group=StakeholderGroup.VCSE)
    theme = make_theme("joint-planning", title="Joint planning")
    thread = services.start_thread(theme=theme, author=writer, title="Who sits on the board?", body="Opening.")
    return reader, writer, theme, thread


def test_follow_a_theme_see_the_badge_and_reach_the_comment(page, live_server, login, people):
    reader, writer, theme, thread = people
    login(page, reader)
    page.goto(live_server.url + theme.get_absolute_url())
    page.get_by_role("button", name="Follow this theme").click()
    page.get_by_text(f"You now follow the theme “{theme.title}”").wait_for()
    expect(page.get_by_role("button", name="Stop following this theme")).to_be_visible()
    assert ThemeFollow.objects.get(user=reader, theme=theme).level == FollowLevel.WATCHING

    comment = services.create_comment(thread=thread, author=writer, body="The board should include social care.")

    page.goto(live_server.url + theme.get_absolute_url())
    badge = page.locator("#notification-count")
    assert badge.inner_text() == "1"
    page.get_by_role("link", name=re.compile(r"^Notifications")).click()
    assert page.url.endswith(reverse("forum:notifications"))
    assert_accessible(page)
    page.get_by_role("link", name=f"Wes Writer commented in “{thread.title}”").click()
    assert page.url.endswith(f"#{comment.anchor}")
    expect(page.locator(f"#{comment.anchor}").get_by_text("The board should include social care.")).to_be_visible()
    page.goto(live_server.url + theme.get_absolute_url())
    assert page.locator("#notification-count").count() == 0


@pytest.mark.parametrize("width", [1280, 375])
def test_following_works_without_javascript_at_both_widths(page_no_js, live_server, login, people, width):
    reader, _writer, _theme, thread = people
    page_no_js.set_viewport_size({"width": width, "height": 900})
    login(page_no_js, reader)
    page_no_js.goto(live_server.url + thread.get_absolute_url())
    page_no_js.get_by_role("button", name="Follow this discussion").click()
    page_no_js.get_by_text(f"You now follow the discussion “{thread.title}”").first.wait_for()
    assert reader.thread_follows.get(thread=thread).level == FollowLevel.WATCHING
    page_no_js.get_by_role("link", name="Choose how you follow themes and discussions").click()
    expect(page_no_js.get_by_role("row", name=re.compile("Who sits on the board"))).to_be_visible()
    assert page_no_js.evaluate("document.documentElement.scrollWidth") <= width
    page_no_js.goto(live_server.url + thread.get_absolute_url())
    page_no_js.get_by_role("button", name="Stop following this discussion").click()
    page_no_js.get_by_text(f"You no longer follow the discussion “{thread.title}”").first.wait_for()
    assert reader.thread_follows.get(thread=thread).level == FollowLevel.NORMAL


def test_following_and_email_settings_pages_pass_axe(page, live_server, login, people):
    reader, _writer, theme, thread = people
    ThemeFollow.objects.create(user=reader, theme=theme, level=FollowLevel.WATCHING)
    services.create_comment(thread=thread, author=reader, body="I follow this by commenting.")
    login(page, reader)
    page.goto(live_server.url + reverse("forum:following"))
    expect(page.get_by_role("row", name=re.compile("Who sits on the board"))).to_be_visible()
    assert_accessible(page)
    page.goto(live_server.url + reverse("forum:notification_settings"))
    page.get_by_label("Daily digest").check()
    page.get_by_role("button", name="Save email settings").click()
    page.get_by_text("Your email settings have been saved.").wait_for()
    assert_accessible(page)


def test_unsubscribe_pages_pass_axe(page, live_server, people):

    reader, _writer, _theme, thread = people
    token = unsubscribing.unsubscribe_token(reader, "thread", thread.pk)
    page.goto(live_server.url + reverse("forum:unsubscribe", kwargs={"token": token}))
    assert_accessible(page)
    page.get_by_role("button", name="Stop following this discussion").click()
    page.get_by_text("Done").first.wait_for()
    assert_accessible(page)
    page.goto(live_server.url + reverse("forum:unsubscribe", kwargs={"token": "not-a-token"}))
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert_accessible(page)
