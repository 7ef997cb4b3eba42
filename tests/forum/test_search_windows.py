"""Kept search windows: a search's newest matches are kept for all its pages and brought up to date
with the comments written since, so a new comment does not make a search be worked out afresh;
whatever changes a comment already written makes it be found afresh, at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum.agreement import services as agreements
from forum.cache import renewal
from forum.cache.versions import SEARCH, THEMES
from forum.models import Comment
from forum.moderation import threads as thread_actions
from forum.moderation.flow import carry_out
from forum.posting import services
from forum.search import query as searching
from forum.search import windows
from forum.search.forms import SearchCriteria
from tests.forum.conftest import make_theme, reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settled_at_once")]

URL = reverse("forum:search") + "?q=needle"


@pytest.fixture
def found_afresh(monkeypatch):
    """How many times a window was worked out afresh (rather than brought up to date)."""
    calls = []
    original = windows.find_window

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(windows, "find_window", counting)
    return calls


def page(client, url=URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def versions_of(*keys):
    return [cache.get(key) for key in keys]


def test_a_new_comment_joins_the_kept_window_without_the_search_being_worked_out_again(
    client, member_client, thread, member, other_member, found_afresh
):
    reply(thread, other_member, "A needle in the haystack.")
    assert "haystack" in page(client)
    assert len(found_afresh) == 1
    reply(thread, member, "Zebedee posted another needle.")
    for reader in (client, member_client):
        shown = page(reader)
        assert "Zebedee" in shown and "haystack" in shown
    assert len(found_afresh) == 1  # the kept window took the new comment in


def test_a_kept_window_brought_up_to_date_equals_one_found_afresh(thread, member, other_member, monkeypatch):
    monkeypatch.setattr(searching, "RESULT_WINDOW", 4)
    for number in range(5):
        reply(thread, other_member, f"Needle number {number}.")
    criteria = SearchCriteria(q="needle")
    kept = windows.find_window(None, criteria)
    for number in range(5, 8):
        reply(thread, member, f"Needle needle number {number}.")
    reply(thread, member, "No match here.")
    brought = windows.brought_up_to_date(kept, None, criteria)
    afresh = windows.find_window(None, criteria)
    assert [row[0] for row in brought.rows] == [row[0] for row in afresh.rows]
    assert len(brought.rows) == 4
    assert brought.results(criteria, None).ids == afresh.results(criteria, None).ids


def test_a_new_discussion_and_new_activity_reorder_the_title_matches_as_afresh(theme, thread, member, monkeypatch):
    monkeypatch.setattr(searching, "TITLE_MATCHES", 2)
    first = services.start_thread(theme=theme, author=member, title="Needle one", body="Text.")
    services.start_thread(theme=theme, author=member, title="Needle two", body="Text.")
    criteria = SearchCriteria(q="needle")
    kept = windows.find_window(None, criteria)
    services.start_thread(theme=theme, author=member, title="Needle three", body="Text.")
    reply(first, member, "New activity in the first.")
    brought = windows.brought_up_to_date(kept, None, criteria)
    afresh = windows.find_window(None, criteria)
    assert [row[0] for row in brought.threads] == [row[0] for row in afresh.threads]
    assert len(brought.threads) == 2 and first.pk in [row[0] for row in brought.threads]


def test_nothing_new_leaves_the_kept_window_as_it_was(thread, other_member):
    reply(thread, other_member, "A needle.")
    criteria = SearchCriteria(q="needle")
    kept = windows.find_window(None, criteria)
    reply(thread, other_member, "Something else altogether.")
    assert windows.brought_up_to_date(kept, None, criteria) is kept


def test_a_comment_whose_transaction_committed_after_the_window_was_taken_is_found_next_time(thread, other_member):
    criteria = SearchCriteria(q="needle")
    late = reply(thread, other_member, "A late needle.")
    # As if the window had been taken after the comment was saved but before its commit.
    moment = late.created_at + timedelta(seconds=5)
    taken_while_open = windows.FoundWindow((), (), moment, moment)
    brought = windows.brought_up_to_date(taken_while_open, None, criteria)
    assert [row[0] for row in brought.rows] == [late.pk]


def test_bringing_a_window_up_to_date_reads_only_what_was_written_since(thread, other_member):
    criteria = SearchCriteria(q="needle")
    old = reply(thread, other_member, "An old needle.")
    Comment.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=1))
    kept = windows.find_window(None, criteria)
    assert [row[0] for row in kept.rows] == [old.pk]
    with CaptureQueriesContext(connection) as queries:
        assert windows.brought_up_to_date(kept, None, criteria) is kept
    comments, threads = (query["sql"] for query in queries)
    assert '"forum_comment"."created_at" >=' in comments
    assert '"forum_thread"."last_activity_at" >=' in threads


def test_an_edit_that_makes_an_older_comment_match_or_not_shows_at_once(client, thread, other_member, found_afresh):
    comment = reply(thread, other_member, "Nothing to find here, a quince.")
    reply(thread, other_member, "A needle in the haystack.")
    assert "quince" not in page(client)
    services.edit_comment(comment=Comment.objects.get(pk=comment.pk), editor=other_member,
                          body="Now a needle and a quince.")
    assert "quince" in page(client)
    services.edit_comment(comment=Comment.objects.get(pk=comment.pk), editor=other_member, body="A quince alone.")
    assert "quince" not in page(client)
    assert len(found_afresh) == 3  # each edit made the window be found afresh


def test_a_changed_stance_shows_at_once_in_a_search_by_its_tag(client, thread, other_member):
    comment = reply(thread, other_member, "A needle with a pelican.", stance="evidence")
    url = URL + "&stance=concern"
    assert "pelican" not in page(client, url)
    services.edit_comment(comment=Comment.objects.get(pk=comment.pk), editor=other_member,
                          body="A needle with a pelican.", stance="concern")
    assert "pelican" in page(client, url)


def test_a_discussion_moved_to_another_theme_follows_in_a_search_by_theme(client, thread, other_member, moderator):
    other = make_theme("workforce", title="Workforce", position=2)
    reply(thread, other_member, "A needle by the lighthouse.")
    url = URL + f"&theme={other.slug}"
    assert "lighthouse" not in page(client, url)
    carry_out(thread_actions.Move(thread, actor=moderator, reason="Better here", theme=other))
    assert "lighthouse" in page(client, url)


def test_a_vote_or_a_new_comment_keeps_the_windows_and_an_edit_renews_them(thread, member, other_member):
    comment = reply(thread, other_member, "A needle.")
    before = versions_of(SEARCH, THEMES)
    agreements.vote(comment=comment, member=member, value=1)
    reply(thread, member, "Another needle.")
    after_posting = versions_of(SEARCH, THEMES)
    assert after_posting[0] == before[0] and after_posting[1] != before[1]
    services.edit_comment(comment=Comment.objects.get(pk=comment.pk), editor=other_member, body="A changed needle.")
    assert versions_of(SEARCH)[0] != after_posting[0]


def test_moderating_a_member_or_a_word_filter_renews_the_windows(member, moderator):
    before = versions_of(SEARCH)
    renewal.moderated(target=member, action="suspend")
    assert versions_of(SEARCH) != before


def test_without_a_shared_cache_every_search_is_worked_out_afresh(client, thread, other_member, settings,
                                                                  found_afresh):
    settings.SHARED_CACHE = False
    reply(thread, other_member, "A needle.")
    page(client)
    page(client)
    assert len(found_afresh) == 2


def test_a_window_last_found_long_ago_is_found_afresh_however_often_it_is_brought_up_to_date(thread, other_member):
    criteria = SearchCriteria(q="needle")
    missed = reply(thread, other_member, "A needle written long before.")
    Comment.objects.filter(pk=missed.pk).update(created_at=missed.created_at - timedelta(hours=1))
    now = missed.created_at
    recent = windows.FoundWindow((), (), now, now - windows.FIND_AFRESH_AFTER + timedelta(minutes=1))
    assert windows.brought_up_to_date(recent, None, criteria) is recent  # (the missed one is older)
    old = windows.FoundWindow((), (), now, now - windows.FIND_AFRESH_AFTER - timedelta(minutes=1))
    assert [row[0] for row in windows.brought_up_to_date(old, None, criteria).rows] == [missed.pk]


def test_a_members_waiting_comment_never_enters_the_window_shared_with_the_public(client, thread, member):
    client.force_login(member)
    assert searching.readers_like(member) == "public"
    held = services.create_comment(thread=thread, author=member, body="A held needle.", needs_approval=True)
    # As if they had searched while it was being posted: the shared window is found as the public finds it.
    kept = windows.find_window(None, SearchCriteria(q="needle"))
    assert held.pk not in [row[0] for row in kept.rows]
    window = windows.FoundWindow(((held.pk, 0.0, held.created_at),), (), held.created_at, held.created_at)
    assert window.results(SearchCriteria(q="needle"), None)[0:20] == []  # nor shown if it were there
