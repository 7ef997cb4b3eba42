"""The theme brief in a real browser: the page passes axe and the HTML checker at 1280 and 375
pixels, and prints without the site's menu and buttons."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def theme(transactional_db):
    theme = make_theme("discharge", title="Hospital discharge")
    writer = make_member("writer@example.org", display_name="Wren Writer")
    services.start_thread(theme=theme, author=writer, title="Care packages", body="They take too long.")
    return theme


@pytest.mark.parametrize("width", [1280, 375], ids=lambda width: f"{width}px")
def test_the_brief_is_accessible(width, page, live_server, theme):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + reverse("forum:theme_brief", kwargs={"slug": theme.slug}))

    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_printed_brief_leaves_out_the_menu_and_buttons(page, live_server, theme):
    page.goto(live_server.url + reverse("forum:theme_brief", kwargs={"slug": theme.slug}))
    page.emulate_media(media="print")

    expect(page.locator(".nhsuk-header")).to_be_hidden()
    expect(page.get_by_text("Print this page, or download it as a PDF")).to_be_hidden()
    expect(page.get_by_role("heading", name="Who took part")).to_be_visible()
