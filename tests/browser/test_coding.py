"""Coding responses in a real browser, with JavaScript on and off: a facilitator adds a code, ticks
it on a comment and the discussion shows it; the codebook and coding pages pass axe and the HTML
checker at 1280 and 375 pixels."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.coding import services as coding
from forum.models import Comment
from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme
from tests.forum.moderation_support import make_facilitator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def discussion(transactional_db):
    theme = make_theme("discharge", title="Hospital discharge")
    writer = make_member("writer@example.org", display_name="Wren Writer")
    return services.start_thread(theme=theme, author=writer, title="Care packages", body="They take too long.")


@pytest.fixture
def facilitator(transactional_db):
    return make_facilitator("fay@example.org", display_name="Fay Facilitator")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_facilitator_codes_a_comment(request, javascript, live_server, login, discussion, facilitator):
    page = request.getfixturevalue("page" if javascript else "page_no_js")
    login(page, facilitator)
    theme = discussion.theme

    page.goto(live_server.url + reverse("forum:codebook", kwargs={"slug": theme.slug}))
    page.get_by_label("Code", exact=True).fill("Social care capacity")
    page.get_by_role("button", name="Add the code").click()
    page.get_by_text("is in the codebook").wait_for()

    page.get_by_role("link", name="Apply codes to this theme's comments").click()
    page.get_by_label("Social care capacity").check()
    page.get_by_role("button", name="Save codes").click()
    page.get_by_text("Saved the codes").wait_for()

    assert Comment.objects.get(thread=discussion, position=1).codes[0]["label"] == "Social care capacity"
    page.goto(live_server.url + discussion.get_absolute_url())
    assert "Social care capacity" in page.get_by_role("article").first.inner_text()


@pytest.mark.parametrize("width", [1280, 375], ids=lambda width: f"{width}px")
def test_the_codebook_and_coding_pages_are_accessible(width, page, live_server, login, discussion, facilitator):
    code = coding.add_code(theme=discussion.theme, label="Workforce", description="Staff and skills.", by=facilitator)
    coding.set_codes(comment=discussion.comments.get(), codes=[code], by=facilitator)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, facilitator)
    for name in ("forum:codebook", "forum:coding", "forum:theme_summary"):
        page.goto(live_server.url + reverse(name, kwargs={"slug": discussion.theme.slug}))
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
