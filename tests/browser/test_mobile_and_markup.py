"""Mobile and markup (issue #16, item 9), in a real browser at 1280 and 375 pixels wide.

The "Who is taking part" chart keeps readable text on a phone, the links under a paragraph are
targets of at least 24 by 24 CSS pixels (WCAG 2.2, 2.5.8), the follow button and the level drop-downs show their whole
text, and the Nu HTML Checker runs: it checks every page axe checks (tests/browser/axe.py's
assert_accessible), here and in every other browser test.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import StakeholderGroup
from articles.models import Paragraph
from forum.posting import services
from tests.articles.helpers import import_bundled_articles
from tests.browser import nu
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 375]
MIN_TARGET = 24  # CSS pixels, WCAG 2.2 success criterion 2.5.8 (AA)
MIN_CHART_TEXT = 14  # CSS pixels


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def width(request, page):
    page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


@pytest.fixture
def imported(transactional_db):
    import_bundled_articles()


@pytest.fixture
def discussed(imported):
    """A theme quoting two paragraphs, with comments from members of four stakeholder groups."""
    paragraphs = list(Paragraph.objects.order_by("section__article__slug", "section__position", "position")[:2])
    theme = make_theme("hospital-discharge", title="Hospital discharge", paragraphs=paragraphs)
    writers = [
        make_member(
            f"writer{number}@example.org",
            display_name=f"Writer {number}",
            stakeholder_group=group,
            organisation_name=f"Organisation {number}",
        )
        for number, group in enumerate(
            [
                StakeholderGroup.NHS,
                StakeholderGroup.NHS,
                StakeholderGroup.SOCIAL_CARE,
                StakeholderGroup.VCSE,
                StakeholderGroup.PATIENT_PUBLIC,
            ]
        )
    ]
    thread = services.start_thread(
        theme=theme,
        author=writers[0],
        title="Planning discharge together",
        body="Shared discharge plans would free beds sooner.",
    )
    for writer in writers[1:] + writers[:2]:
        services.create_comment(thread=thread, author=writer, body=f"A view from {writer.display_name}.")
    return theme, thread, writers


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_nu_html_checker_is_available():
    """Visible in every test run: skipped here, saying how to install it, when Java or the jar is missing."""
    reason = nu.unavailable_reason()
    if reason is not None:
        if nu.browser_required():
            pytest.fail(f"REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)
    errors = nu.html_errors(
        '<!doctype html><html lang="en"><head><title>Test</title></head><body>'
        '<time datetime="2026-03-01T10:00:00.123456+00:00">1 March</time>'
        '<form hx-post="/x"></form><form data-hx-post="/x"></form>'
        '<time datetime="2026-03-01T10:00:00+00:00">1 March</time></body></html>'
    )
    assert len(errors) == 2, errors
    assert "fraction of a second" in errors[0]
    assert "hx-post" in errors[1] and "data-hx-post" not in errors[1]
    assert nu.html_errors('<!doctype html><html lang="en"><head><title>Valid</title></head><body></body></html>') == []


def test_the_summary_chart_is_readable(page, live_server, discussed, width):
    theme, _thread, _writers = discussed
    page.goto(live_server.url + reverse("forum:theme_summary", kwargs={"slug": theme.slug}))
    chart = page.locator("main figure.cg-chart")
    texts = chart.locator(".cg-chart__name, .cg-chart__value")
    assert texts.count() == 4 * 4  # four groups, a name and three figures each
    sizes = texts.evaluate_all("els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= MIN_CHART_TEXT, sizes
    # Every label is whole: inside the page and not cut off by its box.
    for box in texts.evaluate_all(
        "els => els.map(e => ({right: e.getBoundingClientRect().right, scroll: e.scrollWidth, client: e.clientWidth}))"
    ):
        assert box["right"] <= width and box["scroll"] <= box["client"], box
    # One scale: every track is as wide as the others, and the largest figure fills its track.
    tracks = chart.locator("svg.cg-chart__bar").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
    assert max(tracks) - min(tracks) < 1 and min(tracks) >= 100, tracks
    nhs = chart.locator(".cg-chart__group").first
    assert nhs.locator(".cg-chart__name").inner_text() == "NHS trust or NHS staff"
    assert nhs.locator(".cg-chart__value").all_inner_texts() == ["4 comments", "2 people", "2 organisations"]
    bars = nhs.locator("rect").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
    assert bars[0] == pytest.approx(tracks[0], abs=1) and bars[1] == pytest.approx(tracks[0] / 2, abs=1)
    no_sideways_scroll(page, width)
    assert_accessible(page)


def test_the_links_under_a_paragraph_are_targets_of_24_pixels(page, live_server, imported, width):
    page.goto(live_server.url + reverse("articles:detail", kwargs={"slug": "unified-health-service"}))
    links = page.locator(".cg-paragraph-tools a")
    assert links.count() >= 10
    names = links.evaluate_all("els => els.map(e => e.textContent)")
    assert any(name.startswith("Link to this paragraph") for name in names)
    assert any(name.startswith("Discuss this paragraph") for name in names)
    for box in links.evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
        assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, box
    no_sideways_scroll(page, width)


def test_the_discuss_link_under_a_quoted_passage_is_a_target_of_24_pixels(page, live_server, discussed, width):
    theme, _thread, _writers = discussed
    page.goto(live_server.url + theme.get_absolute_url())
    links = page.locator("main figure figcaption a", has_text="Discuss this paragraph")
    assert links.count() == 2
    for box in links.evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
        assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, box
    no_sideways_scroll(page, width)


# The widest a select would be to show its longest option whole, against the width it has: Chromium
# sizes a select with `width: auto` to its longest option, and a select never wraps its text.
SELECT_FITS = """select => {
  const had = select.getBoundingClientRect().width;
  const saved = [select.style.width, select.style.minWidth, select.style.maxWidth];
  select.style.width = "auto"; select.style.minWidth = "0"; select.style.maxWidth = "none";
  const needs = select.getBoundingClientRect().width;
  [select.style.width, select.style.minWidth, select.style.maxWidth] = saved;
  return {had, needs, scroll: select.scrollWidth, client: select.clientWidth};
}"""


@pytest.mark.parametrize("kind", ["theme", "discussion"])
def test_the_follow_button_and_the_level_drop_downs_show_their_whole_text(
    page, live_server, login, discussed, width, kind
):
    theme, thread, writers = discussed
    login(page, writers[2])
    target = theme if kind == "theme" else thread
    page.goto(live_server.url + target.get_absolute_url())
    button = page.get_by_role("button", name=re.compile(f"^(Follow this {kind}|Stop following this {kind})$"))
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    no_sideways_scroll(page, width)
    if button.inner_text().startswith("Follow"):
        button.click()
        page.get_by_role("button", name=f"Stop following this {kind}").wait_for()  # saved
    page.goto(live_server.url + reverse("forum:following"))
    select = page.get_by_label(f"Level for {target.title}")
    options = select.locator("option").all_inner_texts()
    assert options == ["Watching", "Tracking", "Normal", "Muted"]
    fit = select.evaluate(SELECT_FITS)
    assert fit["needs"] <= fit["had"] + 0.5, (options, fit)
    assert fit["scroll"] <= fit["client"]
    no_sideways_scroll(page, width)
    assert_accessible(page)
