"""The Redis cache backend production uses: Django's, with one client kept per connection pool."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches

from tests.security.test_rate_limit_cache import REDIS_HOST, REDIS_PORT, redis_client


@pytest.fixture
def redis_cache(settings):
    client = redis_client()
    if client is None:
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}; start redis-server to run this test")
    prefix = f"cg-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
                    "KEY_PREFIX": prefix}
    }
    cache = caches["default"]
    yield cache
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def test_one_client_is_kept_and_every_operation_works(redis_cache):
    backend = redis_cache._cache
    assert backend.get_client() is backend.get_client(write=True)

    redis_cache.set("one", {"a": 1})
    redis_cache.set_many({"two": 2, "three": [3]})
    assert redis_cache.get("one") == {"a": 1}
    assert redis_cache.get_many(["one", "two", "three", "missing"]) == {"one": {"a": 1}, "two": 2, "three": [3]}
    assert redis_cache.add("two", 22) is False
    assert redis_cache.incr("two") == 3
    redis_cache.delete_many(["one", "two"])
    assert redis_cache.get_many(["one", "two", "three"]) == {"three": [3]}


def test_reads_spread_over_replicas_use_each_replicas_own_pool(settings):
    if redis_client() is None:
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}; start redis-server to run this test")
    location = f"redis://{REDIS_HOST}:{REDIS_PORT}/0,redis://{REDIS_HOST}:{REDIS_PORT}/1"
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": location}}
    backend = caches["default"]._cache

    writer = backend.get_client(write=True)
    reader = backend.get_client(write=False)

    assert writer is not reader
    assert writer.connection_pool.connection_kwargs["db"] == 0
    assert reader.connection_pool.connection_kwargs["db"] == 1
