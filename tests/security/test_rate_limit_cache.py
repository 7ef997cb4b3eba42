"""Sign-in rate limits live in the shared cache (Redis), so every web instance sees them."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.conftest import make_member

pytestmark = pytest.mark.django_db

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
PASSWORD = "a-long-test-password-42"


def redis_client():
    try:
        import redis

        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=1, socket_timeout=2)
        client.ping()
        return client
    except Exception:
        return None


@pytest.fixture
def redis_cache(settings):
    """Point the default cache at Redis under a prefix no other run uses; remove its keys after."""
    client = redis_client()
    if client is None:
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}; start redis-server to run this test")
    prefix = f"cg-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",  # the backend production uses
            "LOCATION": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
            "KEY_PREFIX": prefix,
        }
    }
    yield client, prefix
    # Never cache.clear() here: on Redis that empties the whole database, other prefixes included.
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def failed_attempts_allowed_per_address() -> int:
    limits = django_settings.ACCOUNT_RATE_LIMITS
    if not limits:
        pytest.skip("rate limits are switched off (DISABLE_RATE_LIMITS)")
    for rate in limits["login_failed"].split(","):
        amount, _period, *kind = rate.split("/")
        if kind == ["key"]:
            return int(amount)
    pytest.fail("login_failed has no per-address (key) limit")


def sign_in(client: Client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_failed_sign_ins_are_counted_in_redis_and_block_a_second_client(redis_cache):
    redis, prefix = redis_cache
    member = make_member("target@example.org")
    allowed = failed_attempts_allowed_per_address()

    attacker = Client()
    for attempt in range(allowed):
        response = sign_in(attacker, member.email, f"wrong-password-{attempt}")
        assert response.status_code == 200  # the form again, with an error

    assert any(b"login_failed" in key for key in redis.scan_iter(match=f"{prefix}:*")), (
        "the rate limit counter should be stored in Redis under the test's prefix"
    )

    # A separate client (as if on another web instance) with the right password is refused too.
    owner = Client()
    blocked = sign_in(owner, member.email, PASSWORD)
    assert blocked.status_code == 200
    assert "_auth_user_id" not in owner.session
    [error] = blocked.context["form"].non_field_errors().as_data()
    assert error.code == "too_many_login_attempts"

    # Remove the counters from Redis and the same client can sign in: the state lived there.
    for key in redis.scan_iter(match=f"{prefix}:*login_failed*"):
        redis.delete(key)
    allowed_again = sign_in(Client(), member.email, PASSWORD)
    assert allowed_again.status_code == 302
