"""The connection's own settings on PostgreSQL (config/settings.py, DB_JIT_OFF): no JIT
compilation, which cost the themes' counting queries more than it saved."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="JIT is PostgreSQL's (CI runs it)"),
]


def test_the_connection_asks_postgresql_not_to_compile_queries():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
