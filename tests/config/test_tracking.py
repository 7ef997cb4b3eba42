"""Values held in the process (config/tracking.py): versions, sessions, members' rows and readers'
states, used with no round trip to Redis, forgotten the moment Redis says they changed, and never
used while Redis may be away."""

from __future__ import annotations

import os
import pickle
import signal
import time

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from config import tracking, versions
from tests.config.test_redis_outage import private_redis  # noqa: F401 - a fixture
from tests.forum.conftest import make_theme

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_redis")]

KEY = "forum:v:tracked-test"
DELIVERY = 0.05  # a message's way across the loopback, with room for a busy machine: less than a next request takes


@pytest.fixture
def server(private_redis):  # noqa: F811
    client = redis.Redis(port=int(cache._servers[0].rsplit(":", 1)[1].split("/")[0]), socket_timeout=2)
    return client


def redis_reads(server) -> int:
    """How many GET and MGET commands the server has answered."""
    stats = server.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_get", "cmdstat_mget"))


def test_a_version_held_here_is_used_without_asking_redis(server):
    versions.read([KEY])  # made (a new key's version is held from the next read)
    first = versions.read([KEY])[1]
    before = redis_reads(server)
    assert versions.read([KEY])[1] == first
    assert redis_reads(server) == before


def test_a_change_made_by_another_process_is_seen_by_the_next_read(server):
    versions.read([KEY])
    server.set(cache.make_key(KEY), b"not a version: only the message matters")
    time.sleep(DELIVERY)
    assert cache.held([KEY]) == {}  # forgotten: the next read asks Redis
    versions.replace([KEY])  # (a real version again)
    time.sleep(DELIVERY)
    assert versions.read([KEY])[1] == [cache.get(KEY)]


def test_a_value_read_while_a_change_was_announced_is_not_kept(server):
    versions.replace([KEY])
    tracker = cache._tracker()
    _held, epoch = tracker.held([KEY])
    old = server.get(cache.make_key(KEY))
    server.set(cache.make_key(KEY), b"changed by another process")
    time.sleep(DELIVERY)
    tracker.keep({KEY: old}, {KEY: cache.make_key(KEY)}, epoch)
    assert tracker.held([KEY])[0] == {}
    _held, epoch = tracker.held([KEY])
    tracker.keep({KEY: old}, {KEY: cache.make_key(KEY)}, epoch)  # no change announced since: kept
    assert tracker.held([KEY])[0] == {KEY: old}


def test_emptied_keys_are_all_forgotten(server):
    versions.read([KEY, "forum:v:another"])
    server.flushdb()
    time.sleep(DELIVERY)
    assert cache.held([KEY, "forum:v:another"]) == {}


def test_only_keys_under_the_tracked_beginnings_are_held(server):
    cache.set_many({"forum:page:untracked": "a page", "forum:thread-row:1": "a row"})
    cache.get_many(["forum:page:untracked", "forum:thread-row:1"])
    assert cache.held(["forum:page:untracked", "forum:thread-row:1"]) == {"forum:thread-row:1": "a row"}


def test_a_lost_tracking_connection_forgets_everything_and_empties_the_keys_as_after_an_outage(server):
    versions.read([KEY])
    cache.set("forum:page:kept-before", "an old page")
    server.client_kill_filter(_type="pubsub")  # as when Redis restarts, perhaps with old keys
    time.sleep(DELIVERY)
    assert cache.held([KEY]) is None
    before = redis_reads(server)
    versions.read([KEY])
    assert redis_reads(server) > before  # asked Redis (and, the keys emptied, made the version anew)
    assert cache.get("forum:page:kept-before") is None


def test_this_process_sees_its_own_change_without_waiting_for_the_message(server):
    versions.read([KEY])
    versions.read([KEY])
    versions.replace([KEY])
    assert KEY not in cache.held([KEY])


def test_a_stalled_redis_is_not_trusted_past_the_proof_time(server, private_redis):  # noqa: F811
    versions.read([KEY])
    os.kill(private_redis.pid, signal.SIGSTOP)
    try:
        time.sleep(tracking.PROOF_SECONDS)
        assert cache.held([KEY]) is None  # the PING went unanswered
    finally:
        os.kill(private_redis.pid, signal.SIGCONT)


def test_without_tracking_every_read_asks_redis(server, settings):
    settings.REDIS_TRACKING = False
    versions.read([KEY])
    before = redis_reads(server)
    versions.read([KEY])
    assert redis_reads(server) == before + 1


def test_a_kept_anonymous_page_is_served_with_no_round_trip_and_changes_at_once(server, member, monkeypatch):
    monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)  # stored straight after a change
    theme = make_theme()
    reader, writer = Client(), Client()
    writer.force_login(member)
    writer.post(reverse("forum:start_thread", args=[theme.slug]),
                {"action": "post", "title": "Discharge to assess", "body": "Where do the delays start?"})
    thread = theme.threads.get()
    url = thread.get_absolute_url()
    assert reader.get(url)["X-Forum-Cache"] == "miss"
    reader.get(url)
    before = redis_reads(server)
    again = reader.get(url)
    assert again["X-Forum-Cache"] == "hit" and redis_reads(server) == before
    writer.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": "A reply seen at once."})
    time.sleep(DELIVERY)
    assert "A reply seen at once." in reader.get(url).content.decode()


def test_at_most_the_bound_of_versions_is_held_the_least_recently_used_going_first(server, monkeypatch):
    monkeypatch.setattr(tracking, "HELD_VALUES", 2)
    keys = ["forum:v:one", "forum:v:two", "forum:v:three"]
    for key in keys:
        versions.read([key])  # made
        versions.read([key])  # held
    assert set(cache.held(keys)) == {"forum:v:two", "forum:v:three"}


def test_a_key_redis_does_not_have_is_held_as_absent_until_it_is_set(server):
    assert cache.get_many(["forum:thread-row:77"]) == {}
    before = redis_reads(server)
    assert cache.get_many(["forum:thread-row:77"]) == {}
    assert redis_reads(server) == before
    server.set(cache.make_key("forum:thread-row:77"), pickle.dumps("a row set by another process"))
    time.sleep(DELIVERY)
    assert cache.get_many(["forum:thread-row:77"]) == {"forum:thread-row:77": "a row set by another process"}


def test_a_held_value_is_asked_for_again_once_it_has_been_held_long_enough(server, monkeypatch):
    cache.set("forum:thread-row:5", "a row")
    cache.get_many(["forum:thread-row:5"])
    assert cache.held(["forum:thread-row:5"]) == {"forum:thread-row:5": "a row"}
    monkeypatch.setattr(tracking, "HELD_SECONDS", 0.0)
    before = redis_reads(server)
    cache.get_many(["forum:thread-row:5"])
    assert redis_reads(server) == before + 1


def test_a_key_asked_for_twice_is_answered_once(server):
    cache.set("forum:thread-row:8", "a row")
    assert cache.get_many(["forum:thread-row:8", "forum:thread-row:8"]) == {"forum:thread-row:8": "a row"}


def test_each_reader_gets_a_copy_of_its_own(server):
    cache.set("forum:reader-state:1:2:1:30", {"votes": {}})
    cache.get_many(["forum:reader-state:1:2:1:30"])
    first = cache.get_many(["forum:reader-state:1:2:1:30"])["forum:reader-state:1:2:1:30"]
    first["votes"][9] = 1
    assert cache.get_many(["forum:reader-state:1:2:1:30"])["forum:reader-state:1:2:1:30"] == {"votes": {}}


def test_the_values_held_are_bounded_in_bytes_the_least_recently_used_going_first(server, monkeypatch):
    monkeypatch.setattr(tracking, "HELD_BYTES", 3000)
    keys = ["forum:thread-row:1", "forum:thread-row:2"]
    cache.set_many(dict.fromkeys(keys, "x" * 2000))
    for key in keys:
        cache.get_many([key])
    assert set(cache.held(keys)) == {"forum:thread-row:2"}


@pytest.fixture
def settled_at_once(monkeypatch):
    monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(versions, "DROP_SETTLE_SECONDS", 0.0)


def signed_in_page(member, server) -> tuple[Client, str]:
    """A member's client with their discussion page visited until it is served from what the
    process holds (no read from Redis)."""
    client = Client()
    client.force_login(member)
    theme = make_theme()
    client.post(reverse("forum:start_thread", args=[theme.slug]),
                {"action": "post", "title": "Discharge to assess", "body": "Where do the delays start?"})
    url = theme.threads.get().get_absolute_url()
    for _ in range(3):
        client.get(url)
    before = redis_reads(server)
    client.get(url)
    assert redis_reads(server) == before
    return client, url


def signed_out(client) -> bool:
    page = client.get(reverse("forum:notifications"))
    return page.status_code == 302 and reverse("account_login") in page["Location"]


@pytest.mark.usefixtures("settled_at_once")
def test_an_unchanged_signed_in_page_is_served_with_no_round_trip_to_redis(server, member):
    client, url = signed_in_page(member, server)
    before = redis_reads(server)
    page = client.get(url)
    assert redis_reads(server) == before
    assert page.status_code == 200 and member.display_name in page.content.decode()


@pytest.mark.usefixtures("settled_at_once")
def test_a_session_ended_by_another_process_is_signed_out_at_the_next_request(server, member):
    client, _url = signed_in_page(member, server)
    end_session_as_another_process(client, server)
    time.sleep(DELIVERY)
    assert signed_out(client)


@pytest.mark.usefixtures("settled_at_once")
def test_a_member_deactivated_by_another_process_is_signed_out_at_the_next_request(server, member):
    client, _url = signed_in_page(member, server)
    change_member_as_another_process(member, server, is_active=False)
    time.sleep(DELIVERY)
    assert signed_out(client)


@pytest.mark.usefixtures("settled_at_once")
def test_a_password_changed_by_another_process_signs_the_other_sessions_out(server, member):
    client, _url = signed_in_page(member, server)
    other = User.objects.get(pk=member.pk)
    other.set_password("another-long-password-43")
    change_member_as_another_process(member, server, password=other.password)
    time.sleep(DELIVERY)
    assert signed_out(client)


@pytest.mark.usefixtures("settled_at_once")
def test_a_redis_back_with_old_keys_is_not_read_before_they_are_emptied(server, member):
    client, _url = signed_in_page(member, server)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=session_key).delete()  # signed out while Redis was down...
    server.client_kill_filter(_type="pubsub")  # ...and Redis came back from a snapshot still holding the session
    time.sleep(DELIVERY)
    assert signed_out(client)
    assert server.get(cache.make_key(f"django.contrib.sessions.cached_db{session_key}")) is None  # emptied


def end_session_as_another_process(client, server) -> None:
    """What signing out does in another process: the session gone from the database and Redis."""
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=session_key).delete()
    server.delete(cache.make_key(f"django.contrib.sessions.cached_db{session_key}"))


def change_member_as_another_process(member, server, **fields) -> None:
    """What saving the member's row does in another process: the row changed, its cached copy
    dropped from Redis."""
    User.objects.filter(pk=member.pk).update(**fields)
    server.delete(cache.make_key(f"accounts:user:{member.pk}"))
