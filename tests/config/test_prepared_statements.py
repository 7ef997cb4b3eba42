"""On PostgreSQL each connection prepares a statement it runs again and again (config/settings.py,
DB_PREPARED_STATEMENTS), so a signed-in page's statement is not planned anew on every request."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="prepared statements are PostgreSQL's (CI runs it)"),
]


def test_a_statement_run_again_and_again_is_prepared_on_the_connection():
    for _ in range(6):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [41])
            assert cursor.fetchone() == (42,)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        prepared = cursor.fetchone()[0]

    assert connection.connection.prepare_threshold == 5
    assert prepared >= 1
