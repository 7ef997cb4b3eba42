"""Commitments in a real browser: a facilitator publishes a response with a commitment, then changes
its status, with JavaScript on and off; readers see the status and its dated update. Every new or
changed page passes axe and the Nu HTML Checker at 1280 and 375 pixels (JavaScript on)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from forum.models import Commitment, CommitmentStatus, ThemeFollow
from forum.moderation import themes as theme_actions
from forum.moderation import threads as thread_actions
from forum.moderation.commitments import ChangeCommitment
from forum.moderation.flow import carry_out
from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member
from tests.forum.conftest import make_theme
from tests.forum.moderation_support import make_facilitator, make_moderator

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 375]


@pytest.fixture
def theme(transactional_db):
    return make_theme("waiting-lists", title="Waiting lists")


@pytest.fixture
def facilitator(transactional_db):
    return make_facilitator()


@pytest.fixture
def commitment(theme, facilitator):
    step = carry_out(theme_actions.Respond(theme, actor=facilitator, body="You said waits were too long.",
                                           commitments=[{"what": "Open two evening clinics",
                                                         "owner_organisation": "NHS North ICB",
                                                         "due_on": datetime.date(2027, 3, 31)}]))
    return step.response.commitments.get()


def change_status(page, live_server, commitment, *, status: str, note: str) -> None:
    """From the theme page: follow the facilitator's link, choose the status, write the note, save."""
    page.goto(live_server.url + commitment.theme.get_absolute_url())
    page.get_by_role("link", name="Update this commitment").click()
    page.get_by_label(status, exact=True).check()
    page.get_by_label("Note for readers").fill(note)
    page.get_by_role("button", name="Save the update").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_facilitator_changes_a_commitments_status(request, live_server, login, commitment, facilitator,
                                                   javascript):
    page = request.getfixturevalue("page" if javascript else "page_no_js")
    follower = make_member("follower@example.org", display_name="Flo Follower")
    ThemeFollow.objects.create(user=follower, theme=commitment.theme, level="watching")
    login(page, facilitator)
    change_status(page, live_server, commitment, status="In progress", note="The first clinic opened in May.")
    item = page.locator(f"#commitment-{commitment.pk}")
    item.get_by_text("The first clinic opened in May.").wait_for()
    assert item.locator(".nhsuk-tag").first.inner_text() == "In progress"
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.IN_PROGRESS
    assert follower.notifications.filter(kind="commitment").count() == 1


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_dropping_without_a_reason_is_refused_and_nothing_changes(request, live_server, login, commitment,
                                                                 facilitator, javascript):
    page = request.getfixturevalue("page" if javascript else "page_no_js")
    login(page, facilitator)
    change_status(page, live_server, commitment, status="Dropped", note="")
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "Give the reason it was dropped." in page.locator(".nhsuk-error-summary").inner_text()
    assert Commitment.objects.get(pk=commitment.pk).status == CommitmentStatus.PLANNED


def test_a_half_filled_commitment_keeps_the_text_without_javascript(page_no_js, live_server, login, theme,
                                                                    facilitator):
    login(page_no_js, facilitator)
    page_no_js.goto(live_server.url + reverse("forum:theme_respond", args=[theme.slug]))
    page_no_js.get_by_label("The official response").fill("We heard you.")
    page_no_js.locator("#id_commitments-0-what").fill("Hire two more nurses")
    page_no_js.get_by_role("button", name="Publish the response").click()
    page_no_js.get_by_role("heading", name="There is a problem").wait_for()
    summary = page_no_js.locator(".nhsuk-error-summary").inner_text()
    assert "Commitment 1: Enter which organisation will do it." in summary
    assert page_no_js.locator("#id_commitments-0-what").input_value() == "Hire two more nurses"
    assert page_no_js.get_by_label("The official response").input_value() == "We heard you."
    assert not Commitment.objects.exists()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_response_form_with_commitments_passes_axe(page, live_server, login, theme, facilitator, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, facilitator)
    page.goto(live_server.url + reverse("forum:theme_respond", args=[theme.slug]))
    assert_accessible(page)
    page.locator("#id_commitments-0-what").fill("Hire two more nurses")
    page.get_by_role("button", name="Publish the response").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_commitment_page_and_the_theme_with_updates_pass_axe(page, live_server, login, commitment, facilitator,
                                                                 width):
    carry_out(ChangeCommitment(commitment, actor=facilitator, status="in_progress", note="Recruiting."))
    carry_out(ChangeCommitment(commitment, actor=facilitator, status="dropped", note="No building."))
    page.set_viewport_size({"width": width, "height": 900})
    login(page, facilitator)
    page.goto(live_server.url + reverse("forum:commitment_status", args=[commitment.theme.slug, commitment.pk]))
    assert_accessible(page)
    page.get_by_role("button", name="Save the update").click()  # the same status, no note: refused
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page)
    page.goto(live_server.url + commitment.theme.get_absolute_url())
    page.get_by_text("The reason: No building.").wait_for()
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_reasons_readers_see_pass_axe(page, live_server, commitment, facilitator, width):
    theme = commitment.theme
    moderator = make_moderator()
    author = make_member("author@example.org", display_name="Ari Author")
    elsewhere = make_theme("elsewhere", title="Community care", position=2)
    thread = services.start_thread(theme=elsewhere, author=author, title="Evening clinics", body="Could we?")
    carry_out(thread_actions.Move(thread, actor=moderator, theme=theme, reason="It is about waiting lists."))
    carry_out(thread_actions.Pin(thread, actor=moderator, reason="Read this first."))
    carry_out(theme_actions.SetStatus(theme, actor=facilitator, status="closed", reason="The period has ended."))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + theme.get_absolute_url())
    page.get_by_text("Closed by the facilitators: The period has ended.").wait_for()
    assert_accessible(page)
    page.goto(live_server.url + thread.get_absolute_url())
    page.get_by_text("Moved here from “Community care”: It is about waiting lists.").wait_for()
    page.get_by_text("Pinned: Read this first.").wait_for()
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_list_of_every_commitment_passes_axe(page, live_server, commitment, facilitator, width):
    carry_out(ChangeCommitment(commitment, actor=facilitator, status="done", note="Both clinics are open."))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + commitment.theme.get_absolute_url())
    page.get_by_role("link", name="Every commitment, across the themes").click()
    page.get_by_role("heading", name="What we committed to").wait_for()
    assert "Both clinics are open." in page.locator("main").inner_text()
    assert_accessible(page)
