"""A signed-in request reads its session and the member's row in one cache round trip
(accounts/sessions.py), and what is read ahead is only ever used for the session's own member,
in the same request."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.signals import request_started

from accounts import backends, sessions
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def session_key_of(client) -> str:
    return client.cookies["sessionid"].value


def test_a_signed_in_page_reads_the_session_and_the_members_row_in_one_round_trip(member_client, member,
                                                                                   cache_reads):
    member_client.get("/about/")  # this process learns whose session it is
    member_client.get("/about/")
    cache_reads.clear()

    assert member.display_name in member_client.get("/about/").content.decode()

    session = sessions.SessionStore(session_key_of(member_client)).cache_key
    together = [keys for keys in cache_reads if session in keys]
    assert len(together) == 1 and backends._key(member.pk) in together[0], cache_reads
    assert not [keys for keys in cache_reads if keys is not together[0] and backends._key(member.pk) in keys]


def test_a_session_is_never_given_another_members_row(member_client, member):
    other = make_member("other@example.org", display_name="Someone Else")
    member_client.get("/about/")
    sessions._owners.put(session_key_of(member_client), str(other.pk))  # a wrong guess

    html = member_client.get("/about/").content.decode()

    assert member.display_name in html and "Someone Else" not in html


def test_what_was_read_ahead_is_not_used_by_the_next_request(member):
    backends.CachedModelBackend().get_user(member.pk)  # the row is in the cache
    backends.read_ahead(member.pk, backends.member_keys(member.pk), {backends._key(member.pk): "not the row"})

    request_started.send(sender=None)

    assert backends._take_ahead(member.pk) is None


def test_a_signed_out_session_stays_signed_out(member_client, member):
    member_client.get("/about/")
    old_key = session_key_of(member_client)

    member_client.post("/accounts/logout/")

    store = sessions.SessionStore(old_key)
    assert SESSION_KEY not in store.load()
    assert member.display_name not in member_client.get("/about/").content.decode()
