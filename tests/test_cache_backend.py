"""The Redis cache backend production uses: Django's, with one client kept per connection pool."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from tests.security.test_rate_limit_cache import REDIS_HOST, REDIS_PORT, redis_cache, redis_client  # noqa: F401


@pytest.mark.usefixtures("redis_cache")
def test_one_client_is_kept_and_every_operation_works():
    cache = caches["default"]  # the Redis cache, under a prefix of this test's own
    backend = cache._cache
    assert backend.get_client() is backend.get_client(write=True)

    cache.set("one", {"a": 1})
    cache.set_many({"two": 2, "three": [3]})
    assert cache.get("one") == {"a": 1}
    assert cache.get_many(["one", "two", "three", "missing"]) == {"one": {"a": 1}, "two": 2, "three": [3]}
    assert cache.add("two", 22) is False
    assert cache.incr("two") == 3
    cache.delete_many(["one", "two"])
    assert cache.get_many(["one", "two", "three"]) == {"three": [3]}


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
