"""Drafts and edit conflicts in a real browser: what a member types is saved as they type and when
they leave, comes back after a reload and on another device, is gone once posted; the edit-conflict
page passes axe; and without JavaScript the text still survives an error."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import StakeholderGroup
from forum.models import Comment, Draft, Theme, ThemeStatus
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.posting import services
from tests.browser.axe import assert_accessible
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def writer(transactional_db):
    return make_member("writer@example.org", display_name="Wren Writer", stakeholder_group=StakeholderGroup.ICB)


@pytest.fixture
def moderator(transactional_db):
    from django.contrib.auth.models import Group, Permission

    user = make_member("mod@example.org", display_name="Morgan Moderator", stakeholder_group=StakeholderGroup.OTHER)
    group = Group.objects.create(name="Moderators in the browser tests")
    group.permissions.add(Permission.objects.get(codename="moderate_comment", content_type__app_label="forum"))
    user.groups.add(group)
    return user


@pytest.fixture
def thread(writer):
    theme = Theme.objects.create(slug="waiting-lists", title="Waiting lists", summary="What next?",
                                 status=ThemeStatus.OPEN)
    return services.start_thread(theme=theme, author=writer, title="Bringing waiting lists down", body="Opening.")


def saved_draft(action, page):
    """Do `action` and wait until the page has sent the draft to the server."""
    with page.expect_response(lambda r: r.url.endswith(reverse("forum:save_draft")) and r.request.method == "POST",
                              timeout=10_000) as response:
        action()
    assert response.value.status == 204


def wait_for(condition, seconds=5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_reply_being_typed_comes_back_after_a_reload_and_on_another_device(
    browser, page, login, live_server, writer, thread
):
    login(page, writer)
    page.goto(live_server.url + thread.get_absolute_url())
    box = page.get_by_label("Your comment")
    saved_draft(lambda: box.fill("Theatre lists could be shared across the region"), page)
    assert Draft.objects.get(user=writer).body == "Theatre lists could be shared across the region"

    page.reload()
    assert page.get_by_label("Your comment").input_value() == "Theatre lists could be shared across the region"
    expect(page.get_by_text("This is the draft you were writing")).to_be_visible()

    other_device = browser.new_context(locale="en-GB").new_page()
    try:
        login(other_device, writer)
        other_device.goto(live_server.url + thread.get_absolute_url())
        assert other_device.get_by_label("Your comment").input_value() == (
            "Theatre lists could be shared across the region"
        )
    finally:
        other_device.context.close()

    page.get_by_role("button", name="Post comment").click()
    page.wait_for_url(f"**{thread.get_absolute_url()}#comment-*")
    assert Comment.objects.filter(body="Theatre lists could be shared across the region").count() == 1
    assert not Draft.objects.filter(user=writer).exists()
    page.reload()
    assert page.get_by_label("Your comment").input_value() == ""
    time.sleep(0.5)  # nothing saves the draft again after the post
    assert not Draft.objects.filter(user=writer).exists()


def test_leaving_the_page_saves_the_text_at_once(page, login, live_server, writer, thread):
    login(page, writer)
    page.goto(live_server.url + thread.get_absolute_url())
    page.get_by_label("Your comment").fill("Typed and left straight away")
    page.goto(live_server.url + reverse("forum:theme_list"))  # sooner than the two-second pause
    assert wait_for(lambda: Draft.objects.filter(user=writer, body="Typed and left straight away").exists())


def test_the_edit_conflict_page_shows_both_texts_and_passes_axe(page, login, live_server, writer, moderator, thread):
    comment = thread.comments.get()
    login(page, writer)
    page.goto(live_server.url + reverse("forum:comment_edit", kwargs={"pk": comment.pk}))
    carry_out(
        comment_actions.Edit(comment, actor=moderator, body="Opening, tidied by a moderator.", reason="Formatting")
    )
    page.get_by_label("Your comment").fill("Opening, with my own additions.")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_title(re.compile(r"^Error:"))  # waits for the re-shown form to load
    assert page.get_by_label("The saved version (read-only)").input_value() == "Opening, tidied by a moderator."
    assert page.get_by_label("Your comment").input_value() == "Opening, with my own additions."
    assert_accessible(page)

    page.get_by_label("Your comment").fill("Opening, tidied, with my own additions.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**#comment-{comment.pk}")
    comment.refresh_from_db()
    assert comment.body == "Opening, tidied, with my own additions."


def test_a_restored_draft_with_its_notice_passes_axe(page, login, live_server, writer, thread):
    Draft.objects.create(user=writer, context=f"thread:{thread.pk}", body="Half a thought")
    login(page, writer)
    page.goto(live_server.url + thread.get_absolute_url())
    expect(page.get_by_role("button", name="Discard draft")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Discard draft").click()
    page.wait_for_url(f"**{thread.get_absolute_url()}#reply-form")
    assert page.get_by_label("Your comment").input_value() == ""
    assert not Draft.objects.exists()


def test_without_javascript_the_text_survives_an_error(page_no_js, login, live_server, writer, thread):
    login(page_no_js, writer)
    page_no_js.goto(live_server.url + reverse("forum:start_thread", kwargs={"slug": thread.theme.slug}))
    page_no_js.get_by_label("Your opening comment").fill("A body without a title")
    page_no_js.get_by_role("button", name="Start discussion").click()
    assert page_no_js.title().startswith("Error:")
    assert page_no_js.get_by_label("Your opening comment").input_value() == "A body without a title"
