"""Django's Redis cache, kept to one client per pool, and carrying on when Redis does not answer.

**One client per pool.** Django's own backend makes a new `redis.Redis` object for every cache
call, and building one fills a table of about 150 reply handlers: a signed-in thread page makes
several cache calls, so that cost showed in its profile. A client is safe to share between
threads (connections come from the pool, one per call), so one per pool is kept and reused.

**When Redis stops or stalls** the cache is an optimisation, not a store, so the site carries on
from PostgreSQL (docs/operations.md, "When Redis stops"):

- Every call has a short timeout (`REDIS_TIMEOUT`). A call that fails or times out is answered as
  a miss (reads) or as not stored (writes), and for `REDIS_RETRY_SECONDS` after it this process
  does not try Redis at all, so a stalled server costs one timeout, not one per call.
- Nothing kept in Redis is trusted until the process has emptied the site's keys: the first call
  that reaches Redis again deletes every key under the cache's prefix, because a version bump or a
  drop that failed during the outage would otherwise let an old copy come back. Sessions live in
  the database (`cached_db`), so nobody is signed out. For `SETTLE_AFTER_OUTAGE` seconds after
  that, nothing is stored, so a request that read the database during the outage cannot store
  what it read.
- Counters of attempts (sign-in and posting rate limits, the CSP report limit) are counted in this
  process's memory while Redis is away: limited per process rather than not at all.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import redis
from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from config.tracking import Tracker

logger = logging.getLogger("config.cache")

# Keys that count attempts: while Redis is away these are counted in this process instead.
COUNTER_PREFIXES = ("allauth:rl:", "forum:ratelimit:", "csp-report:")
SETTLE_AFTER_OUTAGE = 5.0
CLEAR_BATCH = 1000
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
_MISSING = object()


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class Outage:
    """What one process knows about a Redis server's answers (shared by its threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.clearing = threading.Lock()
        self.retry_at = 0.0  # monotonic time before which Redis is not tried
        self.must_clear = False  # Redis failed since the keys were last emptied
        self.store_from = 0.0  # monotonic time before which nothing is stored

    def waiting(self) -> bool:
        return time.monotonic() < self.retry_at

    def storing(self) -> bool:
        return time.monotonic() >= self.store_from

    def failed(self, location: str, error: Exception) -> None:
        with self.lock:
            first = not self.must_clear
            self.must_clear = True
            self.retry_at = time.monotonic() + settings.REDIS_RETRY_SECONDS
        if first:
            logger.warning(
                "Redis at %s did not answer (%s); serving from the database and trying again every %s s",
                location,
                error.__class__.__name__,
                settings.REDIS_RETRY_SECONDS,
            )

    def cleared(self, location: str) -> None:
        with self.lock:
            self.must_clear = False
            self.store_from = time.monotonic() + SETTLE_AFTER_OUTAGE
        logger.warning("Redis at %s answers again; its cached copies were emptied", location)


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()
_counters = LocMemCache("cg-counters-while-redis-is-away", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


def _outage_for(location: str) -> Outage:
    with _outages_lock:
        return _outages.setdefault(location, Outage())


_trackers: dict[tuple, Tracker] = {}


def _tracker_for(location: str, prefixes: list[str], key_start: int) -> Tracker:
    """This process's tracker of these keys at this server (one per process: a forked worker
    opens its own connection). Losing its connection counts as Redis failing: a restarted Redis
    may have come back with old keys, which are emptied before anything is used again."""
    with _outages_lock:
        key = (os.getpid(), location, tuple(prefixes), key_start)
        tracker = _trackers.get(key)
        if tracker is None:
            outage = _outages.setdefault(location, Outage())
            tracker = _trackers[key] = Tracker(location, prefixes, key_start, timeout=settings.REDIS_TIMEOUT,
                                               on_lost=lambda error: outage.failed(location, error))
        return tracker


def _is_counter(key: str) -> bool:
    return key.startswith(COUNTER_PREFIXES)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._options = {**_short_timeouts(), **self._options}
        self._location = ",".join(self._servers)
        self._outage = _outage_for(self._location)
        self._tracked = [self.make_key(prefix) for prefix in settings.CACHE_TRACKED_PREFIXES]
        self._tracked_keys = tuple(settings.CACHE_TRACKED_PREFIXES)

    # -- the guard every call goes through

    def _answer(self, call, fallback):
        """`call()` against Redis, or `fallback()` while Redis is away or when it fails."""
        outage = self._outage
        if outage.waiting():
            return fallback()
        try:
            if outage.must_clear:
                with outage.clearing:  # one thread empties the keys; the others wait for it
                    if outage.must_clear:
                        self._empty_after_outage()
            return call()
        except REDIS_ERRORS as error:
            outage.failed(self._location, error)
            if (tracker := self._tracker()) is not None:
                tracker.forget()
            return fallback()

    def _empty_after_outage(self) -> None:
        """Delete every key under this cache's prefix (never other prefixes), then settle."""
        client = self._cache.get_client(write=True)
        pattern = f"{self.key_prefix}:*" if self.key_prefix else "*"
        batch = []
        for key in client.scan_iter(match=pattern, count=CLEAR_BATCH):
            batch.append(key)
            if len(batch) >= CLEAR_BATCH:
                client.unlink(*batch)
                batch = []
        if batch:
            client.unlink(*batch)
        if (tracker := self._tracker()) is not None:
            tracker.forget()
        self._outage.cleared(self._location)

    def _storing(self) -> bool:
        return self._outage.storing()

    # -- values held in this process (config/tracking.py)

    def _tracker(self) -> Tracker | None:
        if not (settings.REDIS_TRACKING and self._tracked) or len(self._servers) != 1:
            return None
        return _tracker_for(self._servers[0], self._tracked, len(self.make_key("")))

    def _usable_tracker(self) -> Tracker | None:
        """The tracker, when what it holds may be used (not while Redis was found away and its
        keys not yet emptied)."""
        if self._outage.waiting() or self._outage.must_clear:
            return None
        return self._tracker()

    def held(self, keys) -> dict | None:
        """The values of `keys` this process holds (those held), or None when none may be used
        (no tracking, or Redis was found away and not yet emptied)."""
        tracker = self._usable_tracker()
        held = tracker.held(list(keys)) if tracker is not None else None
        if held is None:
            return None
        return {key: _held_value(self._cache._serializer, raw) for key, raw in held[0].items() if raw is not None}

    def _get_many_held(self, keys: list, version):
        """Django's `get_many`, but tracked keys this process holds are not asked for, and those
        read are held (unless a change was announced meanwhile)."""
        tracker = self._usable_tracker() if version is None else None
        held = tracker.held(keys) if tracker is not None else None
        if held is None:
            self._unless_just_found_away()
            return super().get_many(keys, version)
        found, epoch = held
        serializer = self._cache._serializer
        values = {key: _held_value(serializer, value) for key, value in found.items() if value is not None}
        wanted = list(dict.fromkeys(key for key in keys if key not in found))
        if wanted:
            names = {key: self.make_and_validate_key(key) for key in wanted}
            answers = self._cache.get_client(None).mget(list(names.values()))
            fresh = {}
            for key, raw in zip(wanted, answers, strict=True):
                fresh[key] = None if raw is None else _read_to_hold(serializer, raw, values, key)
            if not tracker.keep(fresh, names, epoch):  # absent keys too: Redis tells when one is set
                self._unless_just_found_away()
        return values

    def _unless_just_found_away(self) -> None:
        """Raise when the tracker has just found Redis away (its connection lost: Redis may have
        restarted with old keys, which the cache's own connections would read quietly), so the
        call is answered as Redis being away and the keys are emptied before they are used."""
        if self._outage.waiting() or self._outage.must_clear:
            raise redis.exceptions.ConnectionError("Redis's tracking connection was lost")

    def _changed(self, keys) -> None:
        """This process just changed `keys`: forget the tracked ones here at once (Redis's message
        follows)."""
        tracked = [key for key in keys if isinstance(key, str) and key.startswith(self._tracked_keys)]
        if tracked and (tracker := self._tracker()) is not None:
            tracker.drop(tracked)

    def state(self) -> str:
        """ "ok" when Redis answers a ping now, "unavailable" when it does not or was just failing."""
        answered = self._answer(lambda: bool(self._cache.get_client().ping()), lambda: False)
        return "ok" if answered else "unavailable"

    # -- the cache's calls

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if _is_counter(key):
            return self._answer(
                lambda: super(RedisCache, self).add(key, value, timeout, version),
                lambda: _counters.add(key, value, timeout, version),
            )
        if not self._storing():
            return False
        added = self._answer(lambda: super(RedisCache, self).add(key, value, timeout, version), lambda: False)
        self._changed([key])
        return added

    def get(self, key, default=None, version=None):
        fallback = (lambda: _counters.get(key, default, version)) if _is_counter(key) else (lambda: default)
        return self._answer(lambda: super(RedisCache, self).get(key, default, version), fallback)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if _is_counter(key):
            return self._answer(
                lambda: super(RedisCache, self).set(key, value, timeout, version),
                lambda: _counters.set(key, value, timeout, version),
            )
        if self._storing():
            self._answer(lambda: super(RedisCache, self).set(key, value, timeout, version), lambda: None)
            self._changed([key])

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._answer(lambda: super(RedisCache, self).touch(key, timeout, version), lambda: False)

    def delete(self, key, version=None):
        fallback = (lambda: _counters.delete(key, version)) if _is_counter(key) else (lambda: False)
        deleted = self._answer(lambda: super(RedisCache, self).delete(key, version), fallback)
        self._changed([key])
        return deleted

    def get_many(self, keys, version=None):
        keys = list(keys)

        def counters_only():
            counters = [key for key in keys if _is_counter(key)]
            return _counters.get_many(counters, version) if counters else {}

        return self._answer(lambda: self._get_many_held(keys, version), counters_only)

    def has_key(self, key, version=None):
        fallback = (lambda: _counters.has_key(key, version)) if _is_counter(key) else (lambda: False)
        return self._answer(lambda: super(RedisCache, self).has_key(key, version), fallback)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found")

        fallback = (lambda: _counters.incr(key, delta, version)) if _is_counter(key) else missing
        value = self._answer(lambda: super(RedisCache, self).incr(key, delta, version), fallback)
        self._changed([key])
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        if not self._storing():
            return list(data)
        failed = self._answer(lambda: super(RedisCache, self).set_many(data, timeout, version), lambda: list(data))
        self._changed(list(data))
        return failed

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._answer(lambda: super(RedisCache, self).delete_many(keys, version), lambda: None)
        self._changed(keys)

    def clear(self):
        cleared = self._answer(lambda: super(RedisCache, self).clear(), lambda: False)
        if (tracker := self._tracker()) is not None:
            tracker.forget()
        return cleared


def _read_to_hold(serializer, raw: bytes, values: dict, key: str):
    """Put the value read from Redis in `values`, and give what to hold of it: a string or a whole
    number as it is (a version, a count: nobody can change it in place), anything else as its
    bytes, for each reader to unpickle a copy of its own."""
    value = values[key] = serializer.loads(raw)
    return value if type(value) in (str, int) else raw


def _held_value(serializer, held):
    return serializer.loads(held) if isinstance(held, bytes) else held


def _short_timeouts() -> dict:
    """Connection options: a short timeout and no retries of redis-py's own (the guard decides)."""
    return {
        "socket_connect_timeout": settings.REDIS_TIMEOUT,
        "socket_timeout": settings.REDIS_TIMEOUT,
        "retry": Retry(NoBackoff(), 0),
    }
