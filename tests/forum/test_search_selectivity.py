"""How a search is answered by what the database's statistics say it can match at most
(`forum.search.selectivity`), with the same newest matches whichever way; ranks computed on the
rows kept; and a comment's discussion checked against the few a reader may not see."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forum.models import Comment, Thread
from forum.models.viewer import remember_moderator_status
from forum.posting import services
from forum.search import forms as search_forms
from forum.search import query as search
from forum.search import recent, selectivity
from forum.search.indexing import CONFIG
from forum.search.selectivity import Bound, CommentStatistics
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="statistics and ranks exist on PostgreSQL only")

STATISTICS = CommentStatistics(
    comments=1_000_000,
    word_share={"social": 0.2, "care": 0.35, "plan": 0.45},
    rarest_share=0.002,
    value_share={"stance": {"concern": 0.12}, "author_group": {"nhs": 0.25}},
)


def test_the_bound_is_the_rarest_words_share_times_each_filters_share():
    bound = STATISTICS.bound(["social", "care"], {"stance": "concern", "author_group": "nhs"})
    assert bound.share == pytest.approx(0.2 * 0.12 * 0.25)
    assert bound.matches == pytest.approx(6_000)


def test_a_word_the_statistics_do_not_list_is_rarer_than_every_listed_one():
    assert STATISTICS.bound(["prehabilit", "care"], {}).share == pytest.approx(0.002)


def test_a_value_the_statistics_do_not_list_leaves_the_bound_as_it_was():
    assert STATISTICS.bound(["plan"], {"thread_theme_id": 7}).share == pytest.approx(0.45)
    assert STATISTICS.bound([], {"author_group": "nhs"}).share == pytest.approx(0.25)


@postgres_only
@pytest.mark.parametrize(("text", "words"), [
    ("social care", ["social", "care"]),
    ('"shared care record"', ["share", "care", "record"]),
    ("workforce -training", ["workforc"]),
    ("what's new", ["new"]),
    ("social or care", None),  # either word: no single word must be held
    ('care -"social care"', None),  # a left-out phrase
    ("the and of", None),  # no word at all
])
def test_the_words_every_match_must_hold_are_read_as_postgresql_reads_them(text, words):
    assert selectivity.required_words(text) == words


@postgres_only
def test_the_statistics_are_read_once_analysed_and_kept(theme, member, monkeypatch):
    thread = services.start_thread(theme=theme, author=member, title="Statistics", body="Social care.")
    for number in range(30):
        reply(thread, member, f"Social care comment {number}.")
    monkeypatch.setattr(selectivity, "_kept", None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE forum_comment")
    known = selectivity.statistics()
    assert known is not None and known.comments >= 31
    assert known.word_share["social"] == pytest.approx(1.0)
    with CaptureQueriesContext(connection) as queries:
        assert selectivity.statistics() is known
    assert len(queries) == 0


@pytest.fixture
def spread(theme, member):
    """Needle comments written 1 to 300 days ago (ids newest first)."""
    thread = services.start_thread(theme=theme, author=member, title="Spread", body="Nothing here.")
    now = timezone.now()
    thread.comments.update(created_at=now - timedelta(days=400))
    ids = []
    for days in (1, 3, 5, 20, 40, 100, 300):
        comment = reply(thread, member, f"needle {days}")
        Comment.objects.filter(pk=comment.pk).update(created_at=now - timedelta(days=days))
        ids.append(comment.pk)
    return ids


def found(monkeypatch, bound, *, few=False, window=5, held=None):
    """(ids found, (start, end) of each range searched); `held` is what the recent search index
    holds, (since, comments), or None for no such index."""
    monkeypatch.setattr(search, "RESULT_WINDOW", window)
    monkeypatch.setattr(search, "FIRST_RANGE_COMMENTS", 2)
    monkeypatch.setattr(recent, "held", lambda: held)
    searched = []
    in_range = search._in_range

    def recording(newest_first, start, end, limit):
        searched.append((start, end))
        return in_range(newest_first, start, end, limit)

    monkeypatch.setattr(search, "_in_range", recording)
    criteria = search_forms.SearchCriteria(q="needle")
    ids = search.newest_ids(search.matching_comments(None, criteria), few=few, bound=bound,
                            rank=search.rank_of(criteria))
    return ids, searched


@pytest.mark.parametrize("few", [False, True])
def test_a_search_that_can_match_only_a_few_thousand_is_one_query_over_all_time(spread, monkeypatch, few):
    ids, searched = found(monkeypatch, Bound(comments=1_000_000, share=search.ALL_TIME_MATCHES / 1_000_000), few=few)
    assert ids == spread[:5]
    assert searched == [(None, None)]


def test_a_search_that_can_match_only_a_few_thousand_stops_at_the_recent_comments_when_they_hold_the_window(
    spread, monkeypatch
):
    # Needles 1, 3, 5, 20 and 40 days old lie within the 50 days the recent index holds.
    held_since = timezone.now() - timedelta(days=50)
    ids, searched = found(monkeypatch, Bound(comments=1_000_000, share=0.005), held=(held_since, 1_000))
    assert ids == spread[:5]
    assert searched == [(held_since, None)]


def test_when_the_recent_comments_hold_fewer_all_the_time_before_them_is_searched_next(spread, monkeypatch):
    held_since = timezone.now() - timedelta(days=10)  # the needles 1, 3 and 5 days old
    ids, searched = found(monkeypatch, Bound(comments=1_000_000, share=0.005), held=(held_since, 1_000))
    assert ids == spread[:5]
    assert searched == [(held_since, None), (None, held_since)]


@pytest.mark.parametrize("comments", [0, 999])
def test_the_recent_comments_are_not_searched_first_when_fewer_than_a_window_are_expected_there(
    spread, monkeypatch, comments
):
    held_since = timezone.now() - timedelta(days=50)  # 0.005 of 999 comments: under the window of 5
    ids, searched = found(monkeypatch, Bound(comments=1_000_000, share=0.005), held=(held_since, comments))
    assert ids == spread[:5]
    assert searched == [(None, None)]


def test_the_recent_comments_are_not_searched_first_when_the_dates_asked_end_before_them(spread, monkeypatch):
    held_since = timezone.now() - timedelta(days=50)
    monkeypatch.setattr(recent, "held", lambda: (held_since, 1_000))
    monkeypatch.setattr(search, "RESULT_WINDOW", 2)
    until = timezone.now() - timedelta(days=60)
    criteria = search_forms.SearchCriteria(q="needle")
    matches = search.matching_comments(None, criteria).filter(created_at__lt=until)
    with CaptureQueriesContext(connection) as captured:
        ids = search.newest_ids(matches, until=until, bound=Bound(comments=1_000_000, share=0.005),
                                rank=search.rank_of(criteria))
    assert ids == spread[5:7]
    assert not any(held_since.isoformat(" ")[:19] in query["sql"] for query in captured.captured_queries)


def test_filters_that_may_leave_many_are_first_read_among_the_newest_comments(spread, monkeypatch):
    ids, searched = found(monkeypatch, Bound(comments=1_000_000, share=search.SAMPLED_SHARE), few=True)
    newest_two = Comment.objects.order_by("-created_at", "-pk").values_list("created_at", flat=True)[1]
    assert ids == spread[:5]
    assert searched[0] == (newest_two, None)


def test_filters_that_leave_fewer_are_first_looked_for_in_the_last_days(spread, monkeypatch):
    ids, searched = found(monkeypatch, Bound(comments=1_000_000, share=search.SAMPLED_SHARE / 2), few=True)
    newest_written = Comment.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    assert ids == spread[:5]
    assert searched[0] == (newest_written - timedelta(days=search.FIRST_RANGE_DAYS), None)


@pytest.mark.parametrize("bound", [None, Bound(comments=1_000_000, share=0.5), Bound(comments=10, share=0.5)])
@pytest.mark.parametrize("window", [1, 3, 7])
def test_the_newest_matches_are_the_same_whatever_the_bound(spread, monkeypatch, bound, window):
    assert found(monkeypatch, bound, few=True, window=window)[0] == spread[:window]


@postgres_only
def test_each_rank_is_the_rank_postgresql_gives_the_comment(spread, monkeypatch):
    monkeypatch.setattr(search, "RESULT_WINDOW", 5)
    criteria = search_forms.SearchCriteria(q="needle 5")
    rows = search.newest_matches(search.matching_comments(None, criteria), rank=search.rank_of(criteria))
    query = SearchQuery("needle 5", search_type="websearch", config=CONFIG)
    expected = dict(Comment.objects.annotate(rank=SearchRank(F("search_vector"), query))
                    .filter(pk__in=[row[0] for row in rows]).values_list("pk", "rank"))
    assert rows and {pk: rank for pk, rank, _written in rows} == pytest.approx(expected)
    assert [row[2] for row in rows] == sorted((row[2] for row in rows), reverse=True)



def test_each_moment_is_when_the_comment_was_written_to_the_microsecond(spread, monkeypatch):
    # The ranked rows read the moment as a number of microseconds: it must be the stored moment.
    monkeypatch.setattr(search, "RESULT_WINDOW", 5)
    moment = (timezone.now() - timedelta(hours=1)).replace(microsecond=123_457)
    Comment.objects.filter(pk=spread[0]).update(created_at=moment)
    criteria = search_forms.SearchCriteria(q="needle")
    rows = search.newest_matches(search.matching_comments(None, criteria), rank=search.rank_of(criteria))
    stored = dict(Comment.objects.filter(pk__in=[row[0] for row in rows]).values_list("pk", "created_at"))
    assert rows[0] == (spread[0], pytest.approx(rows[0][1]), moment)
    assert {pk: written for pk, _rank, written in rows} == stored
    assert all(written.utcoffset() == timedelta(0) for _pk, _rank, written in rows)

THREAD_STATES = list(itertools.product([False, True], [False, True], ["member", "other"]))


@pytest.fixture
def threads_in_every_state(theme, member, other_member):
    """A thread for each (hidden, waiting, author) state."""
    made = {}
    for hidden, waiting, author in THREAD_STATES:
        writer = member if author == "member" else other_member
        thread = services.start_thread(theme=theme, author=writer, title=f"{hidden} {waiting} {author}", body="Text.")
        Thread.objects.filter(pk=thread.pk).update(is_hidden=hidden, needs_approval=waiting)
        made[(hidden, waiting, author)] = thread.pk
    return made


@pytest.mark.parametrize("reader", ["anonymous", "member", "moderator", "moderator not yet known", "member known"])
def test_the_threads_unshown_to_a_reader_are_exactly_those_search_may_not_show(
    threads_in_every_state, reader, member, moderator
):
    user = {"anonymous": AnonymousUser(), "member": member, "member known": member,
            "moderator": moderator, "moderator not yet known": moderator}[reader]
    if reader in ("moderator", "member known"):
        remember_moderator_status(user, reader == "moderator")
    shown = set(search.searchable_threads(user).values_list("pk", flat=True))
    unshown = set(Thread.objects.unshown_to(user).values_list("pk", flat=True))
    every = set(Thread.objects.values_list("pk", flat=True))
    assert shown.isdisjoint(unshown) and shown | unshown == every
    assert (threads_in_every_state[(True, False, "member")] in unshown) is True  # hidden: never shown


@postgres_only
def test_a_comments_discussion_is_checked_against_the_partial_index_of_unshown_ones(thread, member):
    # (plain scans off: on a test-sized table the planner prefers them to any index)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            assert "forum_thread_unlisted_idx" in search.searchable_comments(member).filter(pk=1).explain()
        finally:
            cursor.execute("RESET enable_seqscan")
