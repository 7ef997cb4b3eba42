"""Hostile strings typed into every form a person uses must never become markup on any page.

Each corpus string goes in through the real view (as a member would type it), and both the
response to the POST (which re-shows the form with the text when it is refused) and the page
where the text is then shown are parsed with `html_checks`. Single-line fields take each string
on its own; the comment box takes our Markdown strings one by one and the naughty strings in
batches, because a comment is where Markdown is rendered and one batch still exercises every line.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.models import Comment, Flag, Thread
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme
from tests.security.html_checks import (
    assert_response_has_no_injected_markup,
    markdown_xss_strings,
    naughty_strings,
)

pytestmark = pytest.mark.django_db

# Our own GET forms (search and the moderators' filters); any other GET form would be injected.
SEARCH_FORMS = {"/search/", "", "/moderation/", "/moderation/log/"}


def _check(response):
    assert response.status_code in {200, 302, 400, 403, 404, 429}, response.status_code
    if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
        assert_response_has_no_injected_markup(response, allowed_forms=SEARCH_FORMS)


def _single_line_corpus() -> list[str]:
    """Our hostile strings that fit on one line, and every third naughty string.

    The naughty strings mostly probe encodings and lengths; a third of them, spread over the
    whole list, keeps each field's run to a few seconds. All of them go through the comment box.
    """
    ours = [s for s in markdown_xss_strings() if "\n" not in s and "\r" not in s]
    return ours + [s for s in naughty_strings()[::3] if "\r" not in s]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Hundreds of posts in a row would rightly be rate limited; these tests are about markup."""
    settings.FORUM_RATE_LIMITS_ENABLED = False
    settings.ACCOUNT_RATE_LIMITS = False


def _batches(strings: list[str], limit: int = 15_000) -> list[str]:
    batches, current = [], ""
    for string in strings:
        if current and len(current) + len(string) + 2 > limit:
            batches.append(current)
            current = ""
        current = f"{current}\n\n{string}" if current else string
    return [*batches, current] if current else batches


@pytest.fixture
def theme(db):
    return make_theme("hostile-input", title="Hostile input")


@pytest.fixture
def thread(theme, member):
    return services.start_thread(theme=theme, author=member, title="A safe title", body="A safe opening.")


def test_comment_box_never_injects_markup(member_client, thread):
    reply_url = reverse("forum:reply", kwargs={"pk": thread.pk})
    bodies = markdown_xss_strings() + _batches(naughty_strings())
    for body in bodies:
        _check(member_client.post(reply_url, {"body": body}))
        # Preview shows the rendered text straight back.
        _check(member_client.post(reply_url, {"body": body, "preview": "Preview"}))
    assert Comment.objects.filter(thread=thread).count() > len(bodies) // 2
    thread.refresh_from_db()
    for page in range(1, thread.num_pages + 1):
        _check(member_client.get(thread.get_page_url(page)))


def test_thread_title_never_injects_markup(member_client, theme):
    start_url = reverse("forum:start_thread", kwargs={"slug": theme.slug})
    for title in _single_line_corpus():
        _check(member_client.post(start_url, {"title": title, "body": "Opening comment."}))
    assert Thread.objects.filter(theme=theme).exists()
    _check(member_client.get(theme.get_absolute_url()))
    _check(member_client.get(reverse("forum:theme_list")))
    for created in Thread.objects.filter(theme=theme)[:50]:
        _check(member_client.get(created.get_absolute_url()))


@pytest.mark.parametrize("field", ["display_name", "organisation_name", "job_title", "declared_interests"])
def test_profile_fields_never_inject_markup(member_client, member, field):
    edit_url = reverse("accounts:edit_profile")
    base = {
        "display_name": member.display_name,
        "stakeholder_group": member.stakeholder_group,
        "organisation_name": "An organisation",
        "job_title": "A job",
        "declared_interests": "",
    }
    for value in _single_line_corpus():
        _check(member_client.post(edit_url, {**base, field: value}))
        member.refresh_from_db()
        _check(member_client.get(member.get_absolute_url()))


def test_search_box_never_injects_markup(member_client, thread):
    for query in _single_line_corpus():
        _check(member_client.get(reverse("forum:search"), {"q": query}))


# Moderation: a report's reason and a moderator's reason are shown to moderators, to the author
# (in their notices) and, for a hidden comment, to everyone on the placeholder.


@pytest.fixture
def moderator_client(db):
    from tests.forum.moderation_support import client_for, make_moderator

    return client_for(make_moderator("xss-moderator@example.org", display_name="Xss Moderator"))


def test_report_reason_never_injects_markup(client, thread, moderator_client):
    client.force_login(make_member("reporter@example.org", display_name="Rita Reporter"))
    strings = _single_line_corpus()
    comments = [services.create_comment(thread=thread, author=thread.author, body=f"Comment {n}") for n in
                range(len(strings))]
    for comment, detail in zip(comments, strings, strict=True):
        url = reverse("forum:flag_comment", kwargs={"pk": comment.pk})
        _check(client.post(url, {"reason": "other", "detail": detail}))
    assert Flag.objects.filter(comment__thread=thread).count() > len(strings) // 2
    _check(moderator_client.get(reverse("forum:moderation_queue")))
    for comment in comments[::10]:
        _check(moderator_client.get(reverse("forum:moderation_comment", kwargs={"pk": comment.pk})))


def test_moderation_reason_never_injects_markup(member_client, thread, moderator_client):
    strings = _single_line_corpus()
    comments = [services.create_comment(thread=thread, author=thread.author, body=f"Comment {n}") for n in
                range(len(strings))]
    for comment, reason in zip(comments, strings, strict=True):
        url = reverse("forum:moderation_comment_action", kwargs={"pk": comment.pk, "action": "hide"})
        _check(moderator_client.post(url, {"reason": reason}))
    assert Comment.objects.filter(thread=thread, is_hidden=True).exists()
    thread.refresh_from_db()
    for page in range(1, thread.num_pages + 1):
        _check(member_client.get(thread.get_page_url(page)))  # the author sees each placeholder
    _check(member_client.get(reverse("forum:moderation_notices")))
    _check(member_client.get(reverse("forum:notifications")))
    _check(moderator_client.get(reverse("forum:moderation_log")))
