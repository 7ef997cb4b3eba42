"""Versions held in the process (config/tracking.py): used with no round trip to Redis, forgotten
the moment Redis says they changed, and never used while Redis may be away."""

from __future__ import annotations

import os
import signal
import time

import pytest
import redis
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

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
    assert cache.held_versions([KEY])[0] == {}  # forgotten: the next read asks Redis
    versions.replace([KEY])  # (a real version again)
    time.sleep(DELIVERY)
    assert versions.read([KEY])[1] == [cache.get(KEY)]


def test_a_value_read_while_a_change_was_announced_is_not_kept(server):
    _held, epoch = cache.held_versions([KEY])
    old = versions.read([KEY])[1][0]
    versions.replace([KEY])
    time.sleep(DELIVERY)
    cache.keep_versions({KEY: old}, epoch)
    assert KEY not in cache.held_versions([KEY])[0]


def test_emptied_keys_are_all_forgotten(server):
    versions.read([KEY, "forum:v:another"])
    server.flushdb()
    time.sleep(DELIVERY)
    assert cache.held_versions([KEY, "forum:v:another"])[0] == {}


def test_only_keys_under_the_tracked_beginnings_are_held(server):
    _held, epoch = cache.held_versions(["forum:standing:untracked"])
    cache.keep_versions({"forum:standing:untracked": "1"}, epoch)
    assert cache.held_versions(["forum:standing:untracked"])[0] == {}


def test_a_lost_tracking_connection_forgets_everything_and_empties_the_keys_as_after_an_outage(server):
    versions.read([KEY])
    cache.set("forum:page:kept-before", "an old page")
    server.client_kill_filter(_type="pubsub")  # as when Redis restarts, perhaps with old keys
    time.sleep(DELIVERY)
    assert cache.held_versions([KEY]) is None
    before = redis_reads(server)
    versions.read([KEY])
    assert redis_reads(server) > before  # asked Redis (and, the keys emptied, made the version anew)
    assert cache.get("forum:page:kept-before") is None


def test_this_process_sees_its_own_change_without_waiting_for_the_message(server):
    versions.read([KEY])
    versions.read([KEY])
    versions.replace([KEY])
    assert KEY not in cache.held_versions([KEY])[0]


def test_a_stalled_redis_is_not_trusted_past_the_proof_time(server, private_redis):  # noqa: F811
    versions.read([KEY])
    os.kill(private_redis.pid, signal.SIGSTOP)
    try:
        time.sleep(tracking.PROOF_SECONDS)
        assert cache.held_versions([KEY]) is None  # the PING went unanswered
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
    monkeypatch.setattr(tracking, "HELD_VERSIONS", 2)
    keys = ["forum:v:one", "forum:v:two", "forum:v:three"]
    for key in keys:
        versions.read([key])  # made
        versions.read([key])  # held
    assert set(cache.held_versions(keys)[0]) == {"forum:v:two", "forum:v:three"}
