"""The planning map in a real browser, with JavaScript on and off: a provider posts an offer and an
ICB planner a need for the same stage and kind of support in one region; a third member links
them; the map cell shows one need, one offer, one match and both groups; the region filter
narrows it; the CSV holds both rows. Every new page passes axe and the HTML checker at 1280 and
375 pixels."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import StakeholderGroup
from accounts.regions import ensure_register_loaded
from forum.models import EntryKind, JourneyStage, MapEntry, Theme
from forum.planning import services
from tests.articles.helpers import import_bundled_articles
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.planning_support import two_regions

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 375]
STAGE = "Diagnostics"


@pytest.fixture
def content(transactional_db, settings):
    settings.EXPORT_REQUIRES_GROUP = ""
    ensure_register_loaded()
    import_bundled_articles()
    call_command("load_themes", stdout=io.StringIO())
    call_command("load_journey", stdout=io.StringIO())


@pytest.fixture
def people(content):
    return {
        "provider": make_member("provider@example.org", display_name="Pat Provider",
                                stakeholder_group=StakeholderGroup.INDEPENDENT_PROVIDER,
                                organisation_name="Example Clinics"),
        "planner": make_member("planner@example.org", display_name="Ivy Planner",
                               stakeholder_group=StakeholderGroup.ICB, organisation_name="North ICB"),
        "third": make_member("third@example.org", display_name="Tom Third", stakeholder_group=StakeholderGroup.VCSE),
    }


def post_through_the_form(page, live_server, kind: str, region_code: str, title: str) -> None:
    page.goto(live_server.url + reverse("forum:map_new", kwargs={"kind": kind}))
    page.get_by_label(STAGE, exact=True).check()
    page.get_by_label("Capacity", exact=True).check()
    page.get_by_label("Region").select_option(region_code)
    page.get_by_label(f"Title of your {kind}").fill(title)
    page.get_by_label(f"Describe the {kind}").fill(f"What the {kind} is about, in **Markdown**.")
    page.get_by_role("button", name=f"Post {kind}").click()
    page.get_by_role("heading", name=title).wait_for()


def sign_in_as(page, login, member):
    page.context.clear_cookies()
    login(page, member)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_an_offer_and_a_need_are_matched_and_shown_on_the_map(
    request, javascript, live_server, login, people
):
    page = request.getfixturevalue("page" if javascript else "page_no_js")
    here, elsewhere = two_regions()

    sign_in_as(page, login, people["provider"])
    post_through_the_form(page, live_server, "offer", here.code, "Spare scanning sessions")
    sign_in_as(page, login, people["planner"])
    post_through_the_form(page, live_server, "need", here.code, "Scans for people waiting too long")
    need = MapEntry.objects.get(kind=EntryKind.NEED)

    sign_in_as(page, login, people["third"])
    page.goto(live_server.url + need.get_absolute_url())
    page.get_by_role("button", name="This could help").click()
    page.get_by_text("Linked: offer").wait_for()

    page.goto(live_server.url + reverse("forum:map"))
    cell = page.get_by_role("row", name=STAGE).get_by_role("cell").first
    assert "1 need, 1 offer, 1 match" in cell.inner_text()
    assert "Independent sector provider" in cell.inner_text()
    assert "Integrated care board (commissioner)" in cell.inner_text()

    page.get_by_label("Region").select_option(elsewhere.code)
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(lambda url: "region=" in url)
    assert "0 needs, 0 offers, 0 matches" in page.get_by_role("row", name=STAGE).get_by_role("cell").first.inner_text()

    download = page.context.request.get(live_server.url + reverse("forum:map_download", kwargs={"fmt": "csv"}),
                                        params={"region": here.code})
    rows = list(csv.DictReader(io.StringIO(download.text().lstrip("\ufeff"))))
    assert sorted((row["kind"], row["title"]) for row in rows) == [
        ("need", "Scans for people waiting too long"), ("offer", "Spare scanning sessions"),
    ]


@pytest.mark.parametrize("width", WIDTHS, ids=lambda width: f"{width}px")
def test_every_map_page_is_accessible(width, page, live_server, login, people):
    here, _elsewhere = two_regions()
    page.set_viewport_size({"width": width, "height": 900})
    need = services.post_entry(
        kind=EntryKind.NEED, author=people["planner"], stage=JourneyStage.objects.get(title=STAGE),
        support="capacity", region=here, title="Scans for people waiting too long", body="Details.",
        theme=Theme.objects.get(slug="mapping-the-patient-journey"),
    )
    services.see_too(entry=need, member=people["provider"])
    login(page, people["third"])
    for url in (
        reverse("forum:map"),
        reverse("forum:map") + f"?region={here.code}&group=icb&verified=1",
        reverse("forum:map_cell", kwargs={"stage": "diagnostics", "support": "capacity"}),
        need.get_absolute_url(),
        reverse("forum:map_new", kwargs={"kind": "offer"}),
        reverse("forum:region", kwargs={"code": here.code}),
    ):
        page.goto(live_server.url + url)
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url



@pytest.mark.skipif(not os.environ.get("SCREENSHOTS"), reason="set SCREENSHOTS=docs/screenshots to write them")
@pytest.mark.parametrize("width", WIDTHS)
def test_write_screenshots_of_the_map(page, live_server, content, width):
    """The map with demo needs, offers and matches (seed_demo), for docs/planning.md."""
    call_command("seed_demo", "--scale", "0.5", "--hot-comments", "100", "--until", "2026-06-30", "--no-progress",
                 stdout=io.StringIO())
    folder = Path(os.environ["SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + reverse("forum:map"))
    page.screenshot(path=str(folder / f"planning-map-{width}.png"), full_page=True)
