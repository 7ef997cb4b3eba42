"""When Redis stops or stalls, the site carries on from the database and says it is degraded;
when Redis comes back, nothing cached before or during the outage is served."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.test import Client
from django.urls import reverse

from config import cache as cache_backend
from config import versions
from forum.models import Comment
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_redis_at(settings, port: int) -> None:
    cache_backend._outages.clear()  # what this process knew about earlier servers
    cache_backend._counters.clear()
    settings.REDIS_TIMEOUT = 0.2
    settings.REDIS_RETRY_SECONDS = 0  # try again on the next call, so a test need not wait
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "cg-outage-test",
        }
    }


@pytest.fixture
def refused_redis(settings):
    """Redis configured at an address where nothing listens: every connection is refused."""
    use_redis_at(settings, free_port())


@pytest.fixture
def private_redis(settings):
    """A Redis server of this test's own, which the test may pause (SIGSTOP) and resume."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed; it is needed to pause a Redis of the test's own")
    for _attempt in range(5):  # another suite on this machine may take the port between choosing and binding
        port = free_port()
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        if _answers_as(process, port):
            break
        process.terminate()
        process.wait(timeout=10)
    else:
        pytest.fail("could not start a Redis server of this test's own")
    use_redis_at(settings, port)
    yield process
    os.kill(process.pid, signal.SIGCONT)
    process.terminate()
    process.wait(timeout=10)


def _answers_as(process: subprocess.Popen, port: int) -> bool:
    """Whether the Redis answering at `port` is `process` (not another one that had the port first)."""
    client = redis.Redis(port=port, socket_timeout=1)
    for _ in range(100):
        if process.poll() is not None:
            return False  # it could not bind the port
        try:
            return client.info("server")["process_id"] == process.pid
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    return False


@pytest.fixture
def places(db):
    member = make_member()
    theme = make_theme()
    client = Client()
    client.force_login(member)
    client.post(
        reverse("forum:start_thread", args=[theme.slug]),
        {"action": "post", "title": "Discharge to assess", "body": "Where do the delays start?"},
    )
    thread = theme.threads.get()
    return member, theme, thread


def post_reply(client: Client, thread, body: str):
    return client.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": body})


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.usefixtures("refused_redis")
def test_readers_and_members_are_served_and_can_post_while_redis_refuses_connections(places):
    member, theme, thread = places
    reader = Client()
    for url in ("/", reverse("forum:theme_list"), theme.get_absolute_url(), thread.get_absolute_url()):
        assert reader.get(url).status_code == 200, url

    writer = Client()
    assert sign_in(writer, member.email).status_code == 302  # the session is kept in the database
    assert writer.get(thread.get_absolute_url()).status_code == 200
    assert post_reply(writer, thread, "Posted while the cache was away.").status_code == 302
    assert Comment.objects.filter(body="Posted while the cache was away.").exists()
    assert "Posted while the cache was away." in reader.get(thread.get_absolute_url()).content.decode()


@pytest.mark.usefixtures("refused_redis")
def test_healthz_says_the_cache_is_degraded_with_a_200_while_redis_refuses_connections(client):
    response = client.get("/healthz")
    assert response.status_code == 200  # a load balancer keeps the instance: it still serves
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}


@pytest.mark.usefixtures("refused_redis")
def test_failed_sign_ins_are_still_limited_in_this_process_while_redis_is_away(settings):
    if not settings.ACCOUNT_RATE_LIMITS:
        pytest.skip("rate limits are switched off (DISABLE_RATE_LIMITS)")
    member = make_member("target@example.org")
    attacker = Client()
    refused_at = None
    for attempt in range(1, 30):
        response = sign_in(attacker, member.email, f"wrong-password-{attempt}")
        if response.status_code == 429 or "too many" in response.content.decode().lower():
            refused_at = attempt
            break
    assert refused_at is not None, "failed sign-ins must be limited, not let through, while Redis is away"
    assert sign_in(Client(), member.email).status_code != 302  # even the right password waits


def test_healthz_says_ok_with_redis_answering(private_redis, client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_a_paused_redis_is_reported_and_pages_still_come(private_redis, places, client):
    _member, theme, thread = places
    os.kill(private_redis.pid, signal.SIGSTOP)
    assert client.get(thread.get_absolute_url()).status_code == 200
    assert client.get(theme.get_absolute_url()).status_code == 200
    response = client.get("/healthz")
    assert (response.status_code, response.json()["cache"]) == (200, "unavailable")


def test_a_page_cached_before_a_pause_is_not_served_after_a_reply_posted_during_it(private_redis, places, monkeypatch):
    monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)  # pages may be stored straight after a change
    member, _theme, thread = places
    reader, writer = Client(), Client()
    writer.force_login(member)
    post_reply(writer, thread, "Posted before the pause.")
    assert "Posted during the pause." not in reader.get(thread.get_absolute_url()).content.decode()
    assert reader.get(thread.get_absolute_url())["X-Forum-Cache"] == "hit"  # the page is kept in Redis

    os.kill(private_redis.pid, signal.SIGSTOP)
    assert post_reply(writer, thread, "Posted during the pause.").status_code == 302  # its renewal is lost
    os.kill(private_redis.pid, signal.SIGCONT)

    assert "Posted during the pause." in reader.get(thread.get_absolute_url()).content.decode()


def test_a_session_signed_out_during_a_pause_does_not_come_back_after_it(private_redis, places):
    member, _theme, _thread = places
    browser = Client()
    assert sign_in(browser, member.email).status_code == 302
    cookie = browser.cookies["sessionid"].value
    assert browser.get(reverse("account_email")).status_code == 200  # the session is now in Redis too

    os.kill(private_redis.pid, signal.SIGSTOP)
    browser.post(reverse("account_logout"))
    os.kill(private_redis.pid, signal.SIGCONT)

    returning = Client()
    returning.cookies["sessionid"] = cookie  # someone who kept the old cookie
    response = returning.get(reverse("account_email"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_search_results_cached_before_a_pause_are_not_served_after_a_reply_posted_during_it(
    private_redis, places, monkeypatch
):
    monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)  # copies may be stored straight after a change
    member, _theme, thread = places
    anonymous, reader, writer = Client(), Client(), Client()
    reader.force_login(make_member("reader@example.org", display_name="Rita Reader"))
    writer.force_login(member)
    url = reverse("forum:search") + "?q=pause"
    post_reply(writer, thread, "Posted before the pause.")
    for client in (anonymous, reader):
        client.get(url)
        assert "during the" not in client.get(url).content.decode()
    assert anonymous.get(url)["X-Forum-Cache"] == "hit"  # the page is kept in Redis

    os.kill(private_redis.pid, signal.SIGSTOP)
    assert post_reply(writer, thread, "Posted during the pause.").status_code == 302  # its renewal is lost
    os.kill(private_redis.pid, signal.SIGCONT)

    for client in (anonymous, reader):
        assert "during the" in client.get(url).content.decode()
