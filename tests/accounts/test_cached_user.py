"""The signed-in member's row comes from the cache (accounts/backends.py), and every change to it
is seen at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def user_rows_read(client, url="/about/") -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return sum(1 for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"])


def test_the_members_row_is_read_once_then_from_the_cache(client, member):
    client.force_login(member)
    user_rows_read(client)
    assert user_rows_read(client) == 0


def test_a_deactivated_member_is_signed_out_at_once(client, member):
    client.force_login(member)
    user_rows_read(client)

    member.is_active = False
    member.save()

    response = client.get("/account/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_new_password_signs_out_every_other_session(member):
    elsewhere = Client()
    elsewhere.force_login(member)
    user_rows_read(elsewhere)
    assert elsewhere.get("/account/").status_code == 200

    member.set_password("a-brand-new-password-77")
    member.save()

    response = elsewhere.get("/account/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_new_display_name_shows_on_the_next_page(client, member):
    client.force_login(member)
    user_rows_read(client)

    member.display_name = "Renamed Member"
    member.save()

    assert "Renamed Member" in client.get("/account/").content.decode()


def test_without_a_shared_cache_the_row_is_read_each_time(client, member, settings):
    settings.SHARED_CACHE = False
    client.force_login(member)
    user_rows_read(client)
    assert user_rows_read(client) == 1


def test_a_row_read_just_before_a_change_commits_is_not_stored(member, monkeypatch):
    from accounts import backends
    from config import versions

    monkeypatch.setattr(versions, "DROP_SETTLE_SECONDS", 5)
    member.set_password("another-long-password-88")
    member.save()  # drops the cached row and starts the settling time

    backends.CachedModelBackend().get_user(member.pk)

    assert backends.cache.get(backends._key(member.pk)) is None
