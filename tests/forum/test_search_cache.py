"""The search page from the cache: anonymous readers get the whole page, signed-in readers the form
and results shared by everyone who sees the same comments; every change shows at once, and what
waits for a moderator is never shown from a copy to someone who may not see it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum.models import Comment
from forum.moderation import comments as comment_actions
from forum.moderation import threads as thread_actions
from forum.moderation.flow import carry_out
from forum.posting import services
from forum.search import query as searching
from tests.forum.conftest import reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settled_at_once")]

URL = reverse("forum:search") + "?q=needle"



@pytest.fixture
def needle(thread, other_member):
    return reply(thread, other_member, "A needle in the haystack.")


def wait(thread, author):
    return services.create_comment(thread=thread, author=author, body="Marmalade waits with this needle.",
                                   needs_approval=True)


def search(client, url=URL):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_an_anonymous_reader_gets_the_whole_page_from_the_cache_with_no_query(client, needle):
    first = client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(URL)
    assert (first["X-Forum-Cache"], second["X-Forum-Cache"]) == ("miss", "hit")
    assert len(queries) == 0
    assert "haystack" in second.content.decode()


def test_members_share_the_results_and_search_no_more(client, member, other_member, needle):
    client.force_login(member)
    first, _ = search(client)
    client.force_login(other_member)
    search(client)  # their first request records the session
    second, queries = search(client)
    assert "haystack" in first and "haystack" in second
    assert queries == 0  # their own header reads from the cache too
    assert "Priya Shah" in second and ">Sign out<" in second


def test_a_new_comment_shows_at_once(client, member_client, thread, member, needle):
    search(client)
    search(member_client)
    reply(thread, member, "Zebedee posted another needle.")
    assert "Zebedee" in search(client)[0]
    assert "Zebedee" in search(member_client)[0]


def test_a_redacted_comment_leaves_the_results_at_once(client, member_client, moderator, needle):
    assert "haystack" in search(client)[0] and "haystack" in search(member_client)[0]
    carry_out(comment_actions.Edit(Comment.objects.get(pk=needle.pk), actor=moderator,
                                   reason="Personal data", body="[removed by moderators]"))
    for reader in (client, member_client):
        page, _ = search(reader)
        assert "haystack" not in page and "No comments found" in page


def test_a_hidden_comment_and_a_hidden_discussion_leave_the_results_at_once(client, moderator, thread, needle):
    assert "haystack" in search(client)[0]
    carry_out(comment_actions.Hide(Comment.objects.get(pk=needle.pk), actor=moderator, reason="Off topic"))
    assert "haystack" not in search(client)[0]
    reply(thread, moderator, "A quokka brings a second needle.")
    assert "quokka" in search(client)[0]
    carry_out(thread_actions.Hide(thread, actor=moderator, reason="Off topic"))
    assert "quokka" not in search(client)[0]


def test_a_waiting_comment_is_shown_only_to_its_author_and_moderators_whoever_searched_first(
    client, thread, member, other_member, moderator, needle
):
    waiting = wait(thread, other_member)
    readers = {"moderator": moderator, "author": other_member, "member": member}
    pages = {}
    for name, user in readers.items():  # the moderator and the author search first
        client.force_login(user)
        pages[name] = search(client)[0]
        pages[name + " again"] = search(client)[0]
    client.logout()
    pages["anonymous"] = search(client)[0]
    for name, page in pages.items():
        expected = name.split()[0] in ("moderator", "author")
        assert ("Marmalade" in page) is expected, name
        assert "haystack" in page
    carry_out(comment_actions.Approve(Comment.objects.get(pk=waiting.pk), actor=moderator))
    assert "Marmalade" in search(client)[0]


def test_an_author_whose_comment_waits_gets_their_own_results(client, thread, other_member, needle):
    client.force_login(other_member)
    assert "Marmalade" not in search(client)[0]
    wait(thread, other_member)
    assert searching.readers_like(other_member) is None
    assert "Marmalade" in search(client)[0]


def test_a_page_past_the_last_is_not_found_and_not_kept(client, needle):
    assert client.get(URL + "&page=2").status_code == 404
    assert client.get(URL + "&page=2").status_code == 404


def test_an_invalid_search_is_explained_from_the_cache_too(client, needle):
    url = reverse("forum:search") + "?q=needle&date_from=nonsense"
    for _ in range(2):
        page, _ = search(client, url)
        assert "Error: Search the discussions" in page
        assert "as a real date" in page


def test_without_a_shared_cache_every_search_reads_the_database(client, member_client, settings, needle):
    settings.SHARED_CACHE = False
    for reader in (client, member_client):
        search(reader)
        page, queries = search(reader)
        assert "haystack" in page and queries >= 3
