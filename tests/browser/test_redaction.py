"""A redaction in a real browser: a member names a (made-up) patient, another quotes it, a moderator
signed in with an authenticator code redacts it; readers then find the words nowhere — not in the
history, not in the quote — and the moderator removes the earlier version's words for good.
Runs with JavaScript on and off for the readers; the pages pass axe."""
# ruff: noqa: F811 - the fixture imported from tests.browser.test_moderation is used as an argument

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import StakeholderGroup
from forum.models import CommentRevision
from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.browser.test_moderation import moderator_with_secret, sign_in_with_code  # noqa: F401
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db(transaction=True)

PATIENT = "Jane Madeup (NHS number 999 123 4567)"


@pytest.fixture
def slip(transactional_db):
    author = make_member("nurse@example.org", display_name="Nia Nurse", stakeholder_group=StakeholderGroup.NHS)
    thread = services.start_thread(theme=make_theme("discharge", title="Discharge delays"), author=author,
                                   title="Delayed discharges", body="Where do discharges stall?")
    comment = services.create_comment(thread=thread, author=author, body=f"{PATIENT} waited nine days for a bed.")
    return thread, comment


@pytest.fixture
def quoter(transactional_db):
    return make_member("planner@example.org", display_name="Pat Planner", stakeholder_group=StakeholderGroup.ICB)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_redaction_leaves_no_trace_for_readers_and_can_be_removed_for_good(
    browser, live_server, login, slip, quoter, moderator_with_secret, javascript
):
    thread, comment = slip
    moderator, secret = moderator_with_secret
    reader_context = browser.new_context(locale="en-GB", java_script_enabled=javascript)
    reader = reader_context.new_page()
    reader.set_default_timeout(10_000)

    # Another member quotes the comment.
    login(reader, quoter)
    reader.goto(live_server.url + thread.get_absolute_url())
    reader.get_by_role("link", name=f"Quote comment {comment.position} by Nia Nurse").click()
    body = reader.get_by_label("Your comment").input_value()
    reader.get_by_label("Your comment").fill(body + "Nine days is far too long.")
    reader.get_by_role("button", name="Post comment").click()
    reader.get_by_text("Nine days is far too long.").wait_for()
    assert "Jane Madeup" in reader.locator("main").inner_text()

    # The moderator signs in with a code and redacts it, giving the reason.
    mod_context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    mod_page = mod_context.new_page()
    mod_page.set_default_timeout(10_000)
    sign_in_with_code(mod_page, live_server, moderator.email, secret)
    mod_page.goto(live_server.url + reverse("forum:moderation_comment_edit", args=[comment.pk]))
    mod_page.get_by_label("Comment text").fill("[removed by moderators] waited nine days for a bed.")
    mod_page.get_by_label("Why you changed it").fill("Patient-identifiable information")
    mod_page.get_by_role("button", name="Save the edit").click()
    mod_page.get_by_text("Withheld from readers").wait_for()
    assert "Jane Madeup" in mod_page.locator("main").inner_text()
    assert_accessible(mod_page)

    # Readers find the words nowhere: not in the discussion, the quote or the history.
    reader.goto(live_server.url + thread.get_absolute_url())
    main = reader.locator("main").inner_text()
    assert "Jane Madeup" not in main and "This quote’s comment was removed." in main
    reader.goto(live_server.url + reverse("forum:comment_history", args=[comment.pk]))
    history = reader.locator("main").inner_text()
    assert "Jane Madeup" not in history
    assert "taken this version out of view" in history and "Patient-identifiable information" in history
    if javascript:  # axe runs in the page, so only where scripts may run
        assert_accessible(reader)

    # The moderator removes the earlier version's words for good.
    mod_page.get_by_role("link", name="Remove the earlier versions’ words for good").click()
    mod_page.get_by_label("Reason").fill("A patient was named")
    mod_page.get_by_role("button", name="Remove the words for good").click()
    mod_page.get_by_text("Done: remove the earlier versions’ words for good.").wait_for()
    assert "Jane Madeup" not in mod_page.locator("main").inner_text()
    assert not CommentRevision.objects.filter(body__contains="Jane Madeup").exists()
    reader.reload()
    assert "removed the words of this version for good" in reader.locator("main").inner_text()

    mod_context.close()
    reader_context.close()
