"""Region filters in a real browser at 1280 and 375 pixels wide: the theme page, who is taking part,
common ground and the downloads narrowed with ?region= pass axe and the HTML checker and do not
scroll sideways, and the form's Apply button narrows the page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Region, StakeholderGroup
from accounts.regions import ensure_register_loaded
from forum.models import Comment
from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 375]
CHESHIRE, YORKSHIRE = "E54000008", "E54000054"


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def width(request, page):
    page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


@pytest.fixture
def regional(transactional_db):
    """A theme with one discussion opened in Cheshire and Merseyside and one in West Yorkshire, each
    with a reply from the other region; every comment common ground."""
    ensure_register_loaded()  # transactional tests flush the register
    theme = make_theme("hospital-discharge", title="Hospital discharge")
    alex = make_member("alex@example.org", display_name="Alex Member", region=Region.objects.get(code=CHESHIRE))
    priya = make_member("priya@example.org", display_name="Priya Shah", stakeholder_group=StakeholderGroup.SOCIAL_CARE,
                        region=Region.objects.get(code=YORKSHIRE))
    for opener, answer, title in [(alex, priya, "Theatre lists in Cheshire"), (priya, alex, "Discharge in Leeds")]:
        thread = services.start_thread(theme=theme, author=opener, title=title, body=f"{title}: what helps?")
        services.create_comment(thread=thread, author=answer, body="We see this too.")
    Comment.objects.update(is_common_ground=True, agree_count=3)
    return theme, alex


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("name", ["forum:theme", "forum:theme_summary", "forum:common_ground"])
def test_a_theme_page_narrowed_to_a_region_is_accessible(page, live_server, regional, width, name):
    theme, _alex = regional
    page.goto(f"{live_server.url}{reverse(name, args=[theme.slug])}?region={YORKSHIRE}")
    main = page.locator("main")
    assert "by members in NHS West Yorkshire Integrated Care Board" in main.inner_text()
    expect(page.get_by_role("link", name="Show all regions")).to_be_visible()
    assert page.locator("main select[name=region]").input_value() == YORKSHIRE
    no_sideways_scroll(page, width)
    assert_accessible(page)


def test_the_downloads_page_for_a_region_is_accessible(page, live_server, login, regional, width):
    _theme, alex = regional
    login(page, alex)
    page.goto(f"{live_server.url}{reverse('forum:exports')}?region={CHESHIRE}")
    links = page.locator("main a[download]")
    assert links.count() == 4
    assert all(href.endswith(f"?region={CHESHIRE}") for href in links.evaluate_all("els => els.map(e => e.href)"))
    no_sideways_scroll(page, width)
    assert_accessible(page)


def test_choosing_a_region_and_applying_narrows_the_theme_page(page, live_server, regional):
    theme, _alex = regional
    page.goto(live_server.url + theme.get_absolute_url())
    table = page.locator("main table")
    assert table.get_by_role("link", name="Discharge in Leeds").count() == 1
    page.locator("main select[name=region]").select_option(CHESHIRE)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**?region={CHESHIRE}")
    assert table.get_by_role("link", name="Theatre lists in Cheshire").count() == 1
    assert table.get_by_role("link", name="Discharge in Leeds").count() == 0
    assert_accessible(page)
