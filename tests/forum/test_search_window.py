"""Finding the newest RESULT_WINDOW matches in widening recent ranges: always the newest overall,
whichever ranges are tried or skipped, and the ranges end where the date filters end."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F
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
    # Two matches in the 2 days before the newest comment: at that rate 3 need 2 * 3 * 1.5 / 2 =
    # 4.5 days before it, which hold the third.
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
    # 2 days (two matches), then the rest of the 10 days the filter allows: nothing beyond them.
    assert len(searches(queries)) == 2


def test_the_page_lists_the_same_newest_matches_either_way(client, spread, monkeypatch, member):
    monkeypatch.setattr(search, "RESULT_WINDOW", 4)
    monkeypatch.setattr(search, "FIRST_RANGE_COMMENTS", 2)
    words = client.get("/search/", {"q": "needle"})
    with_group = client.get("/search/", {"q": "needle", "group": member.stakeholder_group})
    assert words.status_code == with_group.status_code == 200
    assert "At least 4 comments found" in words.content.decode()
    assert "At least 4 comments found" in with_group.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner settings exist on PostgreSQL only")
@pytest.mark.parametrize("few", [False, True])
def test_each_range_leaves_the_planner_as_it_was(spread, monkeypatch, few):
    before = planner_settings()
    newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 5, few=few)
    assert planner_settings() == before
    assert len(before) == 3


def planner_settings() -> list[tuple[str, str]]:
    """(name, value) of the settings the search changes while it searches its ranges."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
                       [list(search._PLANNER_SETTINGS)])
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner settings exist on PostgreSQL only")
def test_each_range_is_planned_for_its_own_bounds_and_read_in_order_without_a_sort(spread, monkeypatch):
    # A prepared statement's generic plan would serve every range alike (they differ only in bounds),
    # and with a sort allowed, a range read in order could be read whole through another index.
    seen = []
    ranked_rows = search._ranked_rows

    def noting(newest_rows, rank):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('plan_cache_mode'), current_setting('enable_bitmapscan'), "
                           "current_setting('enable_sort')")
            seen.append(cursor.fetchone())
        return ranked_rows(newest_rows, rank)

    monkeypatch.setattr(search, "_ranked_rows", noting)
    monkeypatch.setattr(search, "READ_ON_COMMENTS", 2)  # one range read in order, then the indexes
    newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 5)
    assert seen[0] == ("force_custom_plan", "off", "off")
    assert ("force_custom_plan", "on", "on") in seen[1:]


def ranges_searched(monkeypatch) -> list[tuple]:
    """(start, end, read one by one) of each range searched, filled in as the search goes."""
    searched = []
    in_range = search._in_range

    def recording(newest_first, start, end, limit):
        searched.append((start, end))
        return in_range(newest_first, start, end, limit)

    planned = search._planned_for_each

    @contextmanager
    def noting_how(rank):
        with planned(rank) as read:
            def reading(queryset, *, in_order):
                searched[-1] += (in_order,)
                return read(queryset, in_order=in_order)
            yield reading

    monkeypatch.setattr(search, "_in_range", recording)
    monkeypatch.setattr(search, "_planned_for_each", noting_how)
    return searched


def test_words_found_among_the_newest_comments_are_read_on_in_order_when_the_rest_are_near(
    spread, monkeypatch
):
    # The newest 2 comments hold 2 matches; 3 more at that rate are expected within 2 * 3 / 2 = 3
    # comments, no more than READ_ON_COMMENTS: read on one by one (to 3 * 1.5 comments, stopping at
    # the last match needed), from where the first range began.
    monkeypatch.setattr(search, "READ_ON_COMMENTS", 3)
    searched = ranges_searched(monkeypatch)
    ids = newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 5, first_comments=2)
    assert ids == [spread[days] for days in AGES][:5]
    assert [in_order for _start, _end, in_order in searched] == [True, True]
    assert searched[1][1] == searched[0][0]


def test_words_whose_rest_lie_further_back_are_looked_for_through_the_indexes(spread, monkeypatch):
    monkeypatch.setattr(search, "READ_ON_COMMENTS", 2)  # the 3 comments above are too many
    searched = ranges_searched(monkeypatch)
    ids = newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 5, first_comments=2)
    assert ids == [spread[days] for days in AGES][:5]
    assert searched[0][2] is True
    assert searched[1][2] is False and searched[1][1] == searched[0][0]


def test_a_quiet_spell_before_now_is_not_taken_for_a_low_rate(spread, monkeypatch):
    # Nothing written for 50 days: the first range is the 2 days before the newest comment, not
    # the 2 days before now, which hold nothing.
    Comment.objects.update(created_at=F("created_at") - timedelta(days=50))
    searched = ranges_searched(monkeypatch)
    ids = newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 2, few=True)
    assert ids == [spread[1], spread[3]]
    newest_written = Comment.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    assert searched == [(newest_written - timedelta(days=search.FIRST_RANGE_DAYS), None, False)]


def test_each_range_goes_on_from_where_the_one_before_began(spread, monkeypatch):
    with CaptureQueriesContext(connection) as queries:
        ids = newest(search_forms.SearchCriteria(q="needle"), monkeypatch, 5, few=True)
    assert ids == [spread[days] for days in AGES][:5]
    later = searches(queries)[1:]
    assert later and all('"created_at" <' in sql for sql in later)

