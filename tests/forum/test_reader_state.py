"""A signed-in reader's own state around a discussion page (how far they have read, how they
follow it and its theme, their votes, their draft) is kept in the cache with the page
(forum.cache.reader_state): a second visit to an unchanged page asks the database nothing, each
of their changes shows on the next page at once, and a draft's text is never kept there."""

from __future__ import annotations

import pickle

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum import reading
from forum.agreement import services as agreements
from forum.following import levels as following
from forum.models import FollowLevel
from forum.moderation import themes as theme_actions
from forum.moderation.flow import carry_out
from forum.posting import drafts, services
from tests.conftest import make_member
from tests.forum.conftest import reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settled_at_once")]

READER_TABLES = ("forum_threadreadstate", "forum_draft", "forum_threadfollow", "forum_themefollow", "forum_agreement")


@pytest.fixture
def discussion(thread, other_member, settings):
    """Five comments on three pages of two."""
    settings.COMMENTS_PER_PAGE = 2
    for number in range(4):
        reply(thread, other_member, f"Reply number {number}")
    return thread


@pytest.fixture
def reader(client, member):
    client.force_login(member)
    return client


def visit(client, url) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def kept(client, url) -> str:
    """Visit twice (the first visit reads the page, which moves the reader's read position), so
    the reader's state as it now is gets kept, and give the second page."""
    visit(client, url)
    return visit(client, url)[0]


def test_a_second_visit_to_an_unchanged_page_reads_none_of_the_readers_own_tables(reader, discussion):
    url = discussion.get_absolute_url()
    kept(reader, url)

    _html, queries = visit(reader, url)

    assert not [sql for sql in queries if any(table in sql for table in READER_TABLES)], queries


def test_a_vote_shows_at_once(reader, discussion, member):
    url = discussion.get_absolute_url()
    assert "You agree." not in kept(reader, url)
    second = discussion.comments.get(position=2)

    agreements.agree(comment=second, member=member)
    assert "You agree." in visit(reader, url)[0]
    visit(reader, url)

    agreements.withdraw_vote(comment=second, member=member)
    assert "You agree." not in visit(reader, url)[0]


def test_following_the_discussion_shows_at_once(reader, discussion, member):
    url = discussion.get_absolute_url()
    kept(reader, url)

    following.set_thread_follow_level(member, discussion, FollowLevel.WATCHING)
    html, _ = visit(reader, url)
    assert "Stop following" in html
    visit(reader, url)

    following.set_thread_follow_level(member, discussion, FollowLevel.NORMAL)
    assert "Stop following" not in visit(reader, url)[0]


def test_following_the_theme_shows_on_its_discussion_at_once(discussion, client):
    newcomer = make_member("newcomer@example.org", display_name="New Comer")  # follows nothing yet
    client.force_login(newcomer)
    url = discussion.get_absolute_url()
    kept(client, url)

    following.set_theme_follow_level(newcomer, discussion.theme, FollowLevel.WATCHING)

    assert "You follow this discussion through its theme." in visit(client, url)[0]


def test_reading_further_elsewhere_shows_at_once(reader, discussion, member):
    url = discussion.get_absolute_url()
    assert "Go to the first comment you have not read" in kept(reader, url)

    reading.mark_thread_read(user=member, thread=discussion, position=discussion.last_position)

    assert "Go to the first comment you have not read" not in visit(reader, url)[0]


def test_a_draft_shows_at_once_and_its_text_is_never_kept_in_the_cache(reader, discussion, member):
    url = discussion.get_absolute_url()
    kept(reader, url)
    context = drafts.thread_context(discussion)

    drafts.save_draft(user=member, context=context, body="Words I have not sent yet")
    assert "Words I have not sent yet" in visit(reader, url)[0]
    assert "Words I have not sent yet" in visit(reader, url)[0]  # from the database again
    assert not any(b"Words I have not sent yet" in value for value in _cached_values())

    drafts.discard_draft(user=member, context=context)
    assert "Words I have not sent yet" not in visit(reader, url)[0]


def test_one_readers_state_is_not_anothers(reader, discussion, member, other_member, client):
    url = discussion.get_absolute_url()
    following.set_thread_follow_level(member, discussion, FollowLevel.WATCHING)
    agreements.agree(comment=discussion.comments.get(position=2), member=member)
    assert "You agree." in kept(reader, url)

    client.force_login(other_member)
    html, _ = visit(client, url)

    assert "You agree." not in html
    assert "Tell me about every new comment in this discussion." not in html


def _cached_values() -> list[bytes]:
    """Every value in the test cache, as stored (pickled)."""
    backend = caches["default"]
    return [value if isinstance(value, bytes) else pickle.dumps(value) for value in backend._cache.values()]


class TestThemePage:
    """The same for a theme's page: the reader's read positions in the discussions listed and how
    they follow the theme."""

    def test_a_second_visit_to_an_unchanged_page_reads_none_of_the_readers_own_tables(self, discussion, client):
        client.force_login(make_member("newcomer@example.org", display_name="New Comer"))
        url = discussion.theme.get_absolute_url()
        kept(client, url)

        _html, queries = visit(client, url)

        assert not [sql for sql in queries if any(table in sql for table in READER_TABLES)], queries

    def test_reading_a_discussion_shows_in_its_unread_count_at_once(self, discussion, client):
        newcomer = make_member("newcomer@example.org", display_name="New Comer")
        client.force_login(newcomer)
        url = discussion.theme.get_absolute_url()
        reading.mark_thread_read(user=newcomer, thread=discussion, position=2)
        assert "3 unread" in kept(client, url)

        reading.mark_thread_read(user=newcomer, thread=discussion, position=4)

        html = visit(client, url)[0]
        assert "1 unread" in html and "3 unread" not in html

    def test_following_the_theme_shows_at_once(self, discussion, client):
        newcomer = make_member("newcomer@example.org", display_name="New Comer")
        client.force_login(newcomer)
        url = discussion.theme.get_absolute_url()
        assert "Stop following" not in kept(client, url)

        following.set_theme_follow_level(newcomer, discussion.theme, FollowLevel.WATCHING)

        assert "Stop following" in visit(client, url)[0]


def test_the_readers_own_comment_comes_with_their_state(reader, discussion, member, cache_reads):
    mine = reply(discussion, member, "My own words on the last page")
    url = discussion.get_page_url(discussion.num_pages)
    kept(reader, url)
    visit(reader, url)
    cache_reads.clear()

    html, _ = visit(reader, url)

    assert "My own words on the last page" in html
    page_reads = [keys for keys in cache_reads if any(key.startswith(("forum:v:", "forum:comment:")) for key in keys)]
    assert len(page_reads) == 1, page_reads  # the thread, the page, the reader's state and own comment
    assert f'href="{reverse("forum:comment_edit", args=[mine.pk])}"' in html  # the author's own rendering


def test_an_edit_of_the_readers_own_comment_shows_at_once(reader, discussion, member):
    mine = reply(discussion, member, "My first words")
    url = discussion.get_page_url(discussion.num_pages)
    kept(reader, url)
    visit(reader, url)

    services.edit_comment(comment=mine, editor=member, body="My second thoughts")

    html = visit(reader, url)[0]
    assert "My second thoughts" in html and "My first words" not in html


class TestThemeRoundTrip:
    def test_the_theme_its_page_and_the_readers_state_come_in_one_round_trip(self, discussion, client,
                                                                               cache_reads):
        client.force_login(make_member("newcomer@example.org", display_name="New Comer"))
        url = discussion.theme.get_absolute_url()
        kept(client, url)
        cache_reads.clear()

        visit(client, url)

        page_reads = [keys for keys in cache_reads if any(key.startswith("forum:v:") for key in keys)]
        assert len(page_reads) == 1, page_reads

    def test_closing_the_theme_shows_at_once(self, discussion, client, moderator):
        client.force_login(make_member("newcomer@example.org", display_name="New Comer"))
        url = discussion.theme.get_absolute_url()
        kept(client, url)

        carry_out(theme_actions.SetStatus(discussion.theme, actor=moderator, status="closed", reason="Done"))

        assert "Closed by the facilitators: Done" in visit(client, url)[0]


def test_a_member_made_moderator_sees_the_moderate_link_at_once(reader, discussion, member):
    url = discussion.get_absolute_url()
    assert "Moderate this discussion" not in kept(reader, url)

    member.user_permissions.add(Permission.objects.get(codename="moderate_comment", content_type__app_label="forum"))

    assert "Moderate this discussion" in visit(reader, url)[0]


def test_the_follow_button_kept_with_the_state_carries_this_requests_token(reader, discussion):
    url = discussion.get_absolute_url()
    kept(reader, url)

    html = visit(reader, url)[0]

    follow_form = html[html.index('id="follow-thread"'):]
    follow_form = follow_form[: follow_form.index("</form>")]
    token = reader.cookies["csrftoken"].value
    assert 'name="csrfmiddlewaretoken" value="' in follow_form and "cgcsrfmark" not in follow_form
    form_token = follow_form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert _unmasked(form_token) == _unmasked(token)


def _unmasked(token: str) -> str:
    return _unmask_cipher_token(token) if len(token) == 64 else token


def test_a_new_comment_shows_in_the_kept_unread_count_at_once(discussion, client, other_member):
    newcomer = make_member("newcomer@example.org", display_name="New Comer")
    client.force_login(newcomer)
    url = discussion.theme.get_absolute_url()
    reading.mark_thread_read(user=newcomer, thread=discussion, position=discussion.last_position)
    kept(client, url)

    reply(discussion, other_member, "One more")

    assert "1 unread" in visit(client, url)[0]
