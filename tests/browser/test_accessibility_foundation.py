import pytest
from django.urls import reverse

from tests.browser.axe import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_PAGES = ["home", "about", "privacy", "accessibility", "contact", "articles:list"]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_has_no_axe_violations(page, live_server, name):
    page.goto(live_server.url + reverse(name))
    assert_accessible(page)


def test_404_page_has_no_axe_violations(page, live_server):
    page.goto(live_server.url + "/no-such-page/")
    assert page.title().startswith("Page not found")
    assert_accessible(page)


def test_pages_request_nothing_from_another_host(page, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + reverse("home"))
    page.wait_for_load_state("networkidle")
    outside = [url for url in requested if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert outside == []


def test_home_page_reflows_at_320_pixels(page, live_server):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + reverse("home"))
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 320


@pytest.mark.parametrize("width", [1280, 375])
def test_body_text_headings_links_and_buttons_use_the_sans_serif_system_stack(page, live_server, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + reverse("account_login"))
    for selector in ("main p", "h1", "main a", "button[type=submit]", "input[type=email]"):
        family = page.eval_on_selector(selector, "element => getComputedStyle(element).fontFamily")
        assert family.startswith("system-ui") and family.endswith("sans-serif"), (selector, family)
        assert "Times" not in family


@pytest.mark.parametrize("name", ["privacy", "accessibility", "contact"])
def test_the_pages_with_every_operator_detail_set_have_no_axe_violations(page, live_server, settings, name):
    settings.OPERATOR_NAME = "NHS Example Integrated Care Board"
    settings.OPERATOR_IS_PUBLIC_AUTHORITY = True
    settings.CONTACT_EMAIL = "commonground@example.nhs.uk"
    settings.CONTACT_PHONE = "0113 496 0000"
    settings.CONTACT_POSTAL_ADDRESS = ["1 High Street", "Leeds", "LS1 4AP"]
    settings.DPO_NAME = "Sam Patel"
    settings.DPO_EMAIL = "dpo@example.nhs.uk"
    settings.ICO_REGISTRATION_NUMBER = "ZA123456"
    page.goto(live_server.url + reverse(name))
    assert "NHS Example Integrated Care Board" in page.content()
    assert_accessible(page)
