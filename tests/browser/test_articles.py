"""The source-text pages in a real browser: accessible, and paragraph links land on the paragraph."""

import pytest
from django.urls import reverse

from articles.models import Paragraph
from tests.articles.helpers import import_bundled_articles
from tests.browser.axe import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

SLUGS = ["unified-health-service", "collaboration-under-threat"]


@pytest.fixture
def imported(transactional_db):
    import_bundled_articles()


def test_article_list_has_no_axe_violations(page, live_server, imported):
    page.goto(live_server.url + reverse("articles:list"))
    assert page.locator("a.nhsuk-card__link").count() == 2
    assert_accessible(page)


@pytest.mark.parametrize("slug", SLUGS)
def test_article_page_has_no_axe_violations(page, live_server, imported, slug):
    page.goto(live_server.url + reverse("articles:detail", kwargs={"slug": slug}))
    assert page.locator(".cg-article-paragraph").count() >= 5
    assert_accessible(page)


def test_paragraph_link_targets_its_paragraph(page, live_server, imported):
    paragraph = Paragraph.objects.get(anchor="p-tackling-health-inequalities-2")
    page.goto(live_server.url + reverse("articles:detail", kwargs={"slug": "unified-health-service"}))
    link = page.get_by_role("link", name="Link to this paragraph (paragraph 2 of ‘Tackling health inequalities’)")
    link.click()
    assert page.url.endswith("#p-tackling-health-inequalities-2")
    target = page.locator(":target")
    assert target.get_attribute("id") == paragraph.anchor
    assert target.get_attribute("data-paragraph-key") == paragraph.key
    assert target.locator("p").first.inner_text().startswith("Independent providers have significant experience")


def test_opening_a_paragraph_link_scrolls_the_paragraph_into_view(page, live_server, imported):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(
        live_server.url + reverse("articles:detail", kwargs={"slug": "collaboration-under-threat"})
        + "#p-protection-for-social-care-3"
    )
    box = page.locator("#p-protection-for-social-care-3").bounding_box()
    assert 0 <= box["y"] < 640
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_footnote_marker_jumps_to_the_reference(page_no_js, live_server, imported):
    page_no_js.goto(live_server.url + reverse("articles:detail", kwargs={"slug": "unified-health-service"}))
    page_no_js.get_by_role("link", name="Reference 1").click()
    assert page_no_js.url.endswith("#ref-1")
    assert "nao.org.uk" in page_no_js.locator(":target").inner_text()
