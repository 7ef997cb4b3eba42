"""The second search index over the recent comments (`forum.search.recent`): built by the
migration, used for ranges that start after its moment, renewed when its moment grows old, and
never in the way of a search."""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from forum.search import query as search
from forum.search import recent
from forum.search.forms import SearchCriteria
from tests.test_two_instances import _database_url, _start, _stop

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the index exists on PostgreSQL only")


def index_count(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = %s", [name])
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db
def test_the_migration_builds_the_index_over_the_last_days():
    held_since = recent.since()
    assert held_since is not None
    assert timezone.now() - held_since < timedelta(days=recent.RECENT_DAYS + 1)
    assert not recent.is_due()


@postgres_only
@pytest.mark.django_db
def test_a_range_starting_after_the_indexs_moment_is_read_through_it_and_an_older_one_is_not(theme):
    matches = search.matching_comments(None, SearchCriteria(q="waiting list"))
    recent_range = matches.filter(created_at__gte=timezone.now() - timedelta(days=2))
    older_range = matches.filter(created_at__gte=timezone.now() - timedelta(days=recent.RECENT_DAYS + 30))
    with connection.cursor() as cursor:
        # Only this index could answer the words (the others go, until the test's rollback), and
        # on a test-sized table the planner would rather read it all.
        cursor.execute("SELECT string_agg(indexname, ', ') FROM pg_indexes WHERE tablename = 'forum_comment' "
                       "AND indexname NOT IN (%s, 'forum_comment_pkey') AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                       [recent.INDEX])
        cursor.execute(f"DROP INDEX {cursor.fetchone()[0]}")
        cursor.execute("SET enable_seqscan = off")
        try:
            assert recent.INDEX in recent_range.explain()
            assert recent.INDEX not in older_range.explain()
        finally:
            cursor.execute("RESET enable_seqscan")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_renewing_moves_the_moment_on_and_leaves_one_index():
    with connection.cursor() as cursor:  # as if it had been built long ago
        cursor.execute(f"DROP INDEX {recent.INDEX}")
        cursor.execute(recent.create_sql(recent.INDEX, timezone.now() - timedelta(days=60), concurrently=False))
        cursor.execute(recent.create_sql(f"{recent.INDEX}_new", timezone.now(), concurrently=False))  # left over
    assert recent.is_due()

    assert recent.renew() is True

    assert timezone.now() - recent.since() < timedelta(days=recent.RECENT_DAYS, minutes=5)
    assert not recent.is_due()
    assert index_count(recent.INDEX) == 1 and index_count(f"{recent.INDEX}_new") == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_missing_index_is_due_and_renewing_builds_it():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {recent.INDEX}")
    assert recent.since() is None and recent.is_due()
    assert recent.renew() is True
    assert index_count(recent.INDEX) == 1


@postgres_only
@pytest.mark.django_db
def test_renewing_is_left_alone_inside_a_transaction():
    # CREATE INDEX CONCURRENTLY cannot run there; the task worker runs it outside one.
    assert recent.renew() is False
    assert index_count(recent.INDEX) == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_renewing_waits_for_a_renewal_under_way():
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [recent._LOCK])
        assert recent.renew() is False
    finally:
        other.close()


@pytest.mark.django_db
def test_a_due_renewal_is_queued_once_in_a_while_and_never_fails_a_search(monkeypatch):
    queued = []
    monkeypatch.setattr(recent, "_checked_at", None)
    monkeypatch.setattr(recent, "is_due", lambda: True)
    monkeypatch.setattr(recent, "renew_recent_index", SimpleNamespace(enqueue=lambda: queued.append(1)))
    recent.renew_if_due()
    recent.renew_if_due()  # within CHECK_SECONDS: not asked again
    assert queued == [1]

    def failing():
        raise DatabaseError("the database went away")

    monkeypatch.setattr(recent, "_checked_at", None)
    monkeypatch.setattr(recent, "is_due", failing)
    recent.renew_if_due()  # logged, not raised
    assert queued == [1]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="checks the embedded default, SQLite")
@pytest.mark.django_db
def test_sqlite_has_no_such_index_and_nothing_to_renew():
    assert recent.since() is None and not recent.is_due() and recent.renew() is False


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_real_task_worker_renews_the_index_a_search_found_old(tmp_path, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {recent.INDEX}")
        cursor.execute(recent.create_sql(recent.INDEX, timezone.now() - timedelta(days=60), concurrently=False))
    monkeypatch.setattr(recent, "_checked_at", None)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        recent.renew_if_due()  # as the search does
    queued = DBTaskResult.objects.get(task_path="forum.search.recent.renew_recent_index")

    env = dict(os.environ, TESTING="true", DEBUG="false", DATABASE_URL=_database_url(),
               TASKS_BACKEND="django_tasks_db.DatabaseBackend", DB_CONN_MAX_AGE="0")
    worker = _start([sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1",
                     "--no-startup-delay", "--no-reload"], env, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 60
        while DBTaskResult.objects.get(pk=queued.pk).status != "SUCCESSFUL" and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.1)
    finally:
        _stop([worker])
    assert DBTaskResult.objects.get(pk=queued.pk).return_value is True, (tmp_path / "worker.log").read_text()[-3000:]
    assert not recent.is_due()
    assert index_count(recent.INDEX) == 1 and index_count(f"{recent.INDEX}_new") == 0


@postgres_only
@pytest.mark.django_db
def test_what_the_index_holds_is_its_moment_and_count_read_once_a_minute(monkeypatch):
    monkeypatch.setattr(recent, "_held", None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE forum_comment")
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [recent.INDEX])
        counted = max(cursor.fetchone()[0], 0.0)
    held_since, comments = recent.held()
    assert held_since == recent.since()
    assert comments == counted
    with CaptureQueriesContext(connection) as captured:
        assert recent.held() == (held_since, comments)
    assert len(captured.captured_queries) == 0
    monkeypatch.setattr(recent, "HELD_SECONDS", -1)
    with CaptureQueriesContext(connection) as captured:
        recent.held()
    assert len(captured.captured_queries) == 1


def test_without_postgresql_no_index_is_held(monkeypatch):
    monkeypatch.setattr(recent, "_held", None)
    monkeypatch.setattr(recent.connection, "vendor", "sqlite")
    assert recent.held() is None
