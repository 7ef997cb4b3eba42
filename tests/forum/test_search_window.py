"""Finding the newest RESULT_WINDOW matches in widening recent ranges: always the newest overall,
whichever ranges are tried or skipped, and the ranges end where the date filters end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forum.models import Comment
from forum.posting import services
from forum.search import forms as search_forms
from forum.search import query as search
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db

AGES = (1, 3, 5, 20, 40, 100, 300)


@pytest.fixture
def spread(theme, member):
    """An opening comment written 400 days ago, then needle comments written AGES days ago (ids
    keyed by age)."""
    thread = services.start_thread(theme=theme, author=member, title="Spread", body="Nothing here.")
    now = timezone.now()
    thread.comments.update(created_at=now - timedelta(days=400))
    ages = {}
    for days in AGES:
        comment = reply(thread, member, f"needle {days}")
        Comment.objects.filter(pk=comment.pk).update(created_at=now - timedelta(days=days))
        ages[days] = comment.pk
    return ages


def newest(criteria, monkeypatch, window, *, few=False, first_comments=2):
    monkeypatch.setattr(search, "RESULT_WINDOW", window)
    monkeypatch.setattr(search, "FIRST_RANGE_COMMENTS", first_comments)
    matches = search.matching_comments(None, criteria)
    return search.newest_ids(
        matches,
        since=search._start_of(criteria.date_from) if criteria.date_from else None,
        until=search._start_of(criteria.date_to + timedelta(days=1)) if criteria.date_to else None,
        few=few,
    )


def searches(queries) -> list[str]:
    """The SELECTs that looked for matches (not the one finding where the first range starts)."""
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and "needle" in q["sql"]]


@pytest.mark.parametrize("few", [False, True])
@pytest.mark.parametrize("window", [1, 2, 3, 4, 5, 6, 7, 8])
def test_the_newest_matches_are_found_whatever_ranges_they_fall_in(spread, monkeypatch, window, few):
    ids = newest(search_forms.SearchCriteria(q="needle"), monkeypatch, window, few=few)
    assert ids == [spread[days] for days in AGES][:window]


def test_words_alone_are_first_looked_for_among_the_newest_comments(spread, monkeypatch):
    with CaptureQueriesContext(connection) as queries:
        ids = newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 2, first_comments=2)
    assert ids == [spread[1], spread[3]]
    assert len(searches(queries)) == 1


def test_a_range_holding_few_matches_sets_the_length_of_the_next(spread, monkeypatch):
    # One match in the last 2 days: at that rate 3 need 2 * 3 * 1.5 = 9 days, which hold them.
    with CaptureQueriesContext(connection) as queries:
        ids = newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 3, few=True)
    assert ids == [spread[1], spread[3], spread[5]]
    assert len(searches(queries)) == 2


def test_no_match_in_the_first_range_goes_to_all_time(spread, monkeypatch):
    with CaptureQueriesContext(connection) as queries:
        ids = newest(search_forms.SearchCriteria(q="needle 300"), monkeypatch, 3, few=True)
    assert ids == [spread[300]]
    assert len(searches(queries)) == 2


def test_the_ranges_end_at_the_last_day_the_filter_allows(spread, monkeypatch):
    last_day = (timezone.now() - timedelta(days=10)).date()
    criteria = search_forms.SearchCriteria(q="needle", date_to=last_day)
    assert newest(criteria, monkeypatch, 2) == [spread[20], spread[40]]
    assert newest(criteria, monkeypatch, 2, few=True) == [spread[20], spread[40]]


def test_the_ranges_stop_widening_at_the_first_day_the_filter_allows(spread, monkeypatch):
    first_day: date = (timezone.now() - timedelta(days=10)).date()
    criteria = search_forms.SearchCriteria(q="needle", date_from=first_day)
    with CaptureQueriesContext(connection) as queries:
        ids = newest(criteria, monkeypatch, 10, few=True)
    assert ids == [spread[1], spread[3], spread[5]]
    # 2 days (one match), then the 10 days the filter allows: nothing beyond them is asked.
    assert len(searches(queries)) == 2


def test_the_page_lists_the_same_newest_matches_either_way(client, spread, monkeypatch, member):
    monkeypatch.setattr(search, "RESULT_WINDOW", 4)
    monkeypatch.setattr(search, "FIRST_RANGE_COMMENTS", 2)
    words = client.get("/search/", {"q": "needle"})
    with_group = client.get("/search/", {"q": "needle", "group": member.stakeholder_group})
    assert words.status_code == with_group.status_code == 200
    assert "At least 4 comments found" in words.content.decode()
    assert "At least 4 comments found" in with_group.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner setting exists on PostgreSQL only")
def test_reading_in_order_leaves_the_planner_as_it_was(spread, monkeypatch):
    newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 2)
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_bitmapscan")
        assert cursor.fetchone()[0] == "on"


def test_each_range_goes_on_from_where_the_one_before_began(spread, monkeypatch):
    with CaptureQueriesContext(connection) as queries:
        ids = newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 5, few=True)
    assert ids == [spread[days] for days in AGES][:5]
    later = searches(queries)[1:]
    assert later and all('"created_at" <' in sql for sql in later)

