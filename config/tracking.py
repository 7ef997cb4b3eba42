"""Values this process has heard of: the cache's tracked keys kept in memory, and forgotten the
moment Redis says they changed.

A signed-in page reads its session and the member's row, then the versions of what it shows
(`config.versions`) and the reader's own state: two round trips to Redis, where an unchanged
page needs none. Redis can instead tell a connection whenever a key under a prefix changes
(`CLIENT TRACKING ... BCAST PREFIX`, Redis 6 and later): each process keeps one such connection,
subscribed to those messages, and reads what has arrived (without waiting) before it uses a value
it holds. A change made anywhere is sent to every process before the change's own command is
answered, so a value held here is never older than what the next request of the member who made
the change could see elsewhere. `config.cache.RedisCache.get_many` answers tracked keys from here.

Values are held as Redis stores them (bytes), so each reader unpickles its own copy (strings and
whole numbers, such as versions and counts, as they are). A value held here is used only while
all of these hold, and otherwise Redis is asked:

- the tracking connection is open and has answered a PING within PROOF_SECONDS (a Redis that
  stalls sends no messages, so silence alone proves nothing);
- this process has not found Redis away (`config.cache`), and has emptied the keys since;
- no message arrived between asking Redis for the value and keeping it (`epoch`);
- it was read from Redis less than HELD_SECONDS ago (a key that expires, such as a session at its
  end, sends its message only when Redis gets round to deleting it).

A lost connection, a failed PING or a message that the keys were emptied forgets everything.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import redis

from config.lru import Recent

logger = logging.getLogger("config.tracking")

CHANNEL = "__redis__:invalidate"
PROOF_SECONDS = 0.25  # how old the last answer on the tracking connection may be
RETRY_SECONDS = 5.0  # after a failure, how long before the connection is opened again
REFUSED_RETRY_SECONDS = 300.0  # after Redis refused to track (a server or service without it)
HELD_VALUES = 20_000  # values held at most (the least recently used go first)
HELD_BYTES = 16 * 1024 * 1024  # and at most this much of them
HELD_SECONDS = 60.0  # how long a value is held before Redis is asked again


class Tracker:
    """The values of keys under `prefixes` this process holds, for one Redis server."""

    def __init__(self, url: str, prefixes: list[str], key_start: int, *, timeout: float, on_lost=None):
        """`prefixes`: the tracked keys' beginnings as Redis names them (the cache's key prefix and
        version put in); `key_start`: where the cache's own key begins in such a name;
        `on_lost(error)`: called when an open connection is lost (Redis restarted, say, which
        the cache's own connections would not notice)."""
        self.url = url
        self.on_lost = on_lost
        self.prefixes = tuple(prefixes)
        self.key_start = key_start
        self.timeout = timeout
        self.lock = threading.Lock()
        # The cache's key -> (its value: bytes to unpickle, a string or number, or None when absent; when it was read)
        self.values = Recent(HELD_VALUES, weigh=_weight, max_weight=HELD_BYTES)
        self.epoch = 0  # how many messages have arrived: a read begun before one must not be kept
        self.connection = None
        self.proven_at = 0.0  # monotonic time of the last answer on the connection
        self.retry_at = 0.0

    def tracks(self, full_key: str) -> bool:
        return full_key.startswith(self.prefixes)

    # -- what config.cache asks

    def held(self, keys) -> tuple[dict, int] | None:
        """The values held for `keys` (the cache's keys; those held, None for a key known to be
        absent) and the epoch to keep new ones under, or None when nothing held may be used now."""
        with self.lock:
            if not self._listening():
                return None
            oldest = time.monotonic() - HELD_SECONDS
            found = {}
            for key in keys:
                entry = self.values.get(key)
                if entry is None:
                    continue
                if entry[1] < oldest:
                    self.values.pop(key)
                else:
                    found[key] = entry[0]
            return found, self.epoch

    def keep(self, values: dict[str, object], names: dict[str, str], epoch: int) -> bool:
        """Hold `values` (by the cache's keys, None for a key Redis does not have; `names`, their
        names in Redis), read from Redis after `held` gave `epoch`, unless a message came since
        (a key being set sends one too). Only tracked keys are held. False when the connection
        was found lost (counted as Redis failing, as in `held`)."""
        with self.lock:
            if self.connection is None:
                return True
            try:
                self._read_messages()
            except (redis.exceptions.RedisError, OSError) as error:
                self._lost(error)
                return False
            if self.epoch == epoch:
                now = time.monotonic()
                for key, value in values.items():
                    if self.tracks(names[key]):
                        self.values.put(key, (value, now))
            return True

    def drop(self, keys) -> None:
        """Forget `keys` now (this process just changed them; Redis's message follows)."""
        with self.lock:
            self.epoch += 1
            for key in keys:
                self.values.pop(key)

    def forget(self) -> None:
        """Forget every value (Redis was found away, or its keys were emptied)."""
        with self.lock:
            self._close()

    # -- the connection

    def _listening(self) -> bool:
        """Whether held values may be used: the connection is open, has proved itself recently,
        and every message that has arrived has been read."""
        now = time.monotonic()
        try:
            if self.connection is None:
                if now < self.retry_at:
                    return False
                self._open()
            self._read_messages()
            if now - self.proven_at > PROOF_SECONDS:
                self._prove()
            return True
        except (redis.exceptions.RedisError, OSError) as error:
            refused = isinstance(error, redis.exceptions.ResponseError)  # a server without tracking
            if refused or self.connection is None:
                logger.info("Redis tracking connection refused or not opened (%s); tracked keys are read from Redis",
                            error.__class__.__name__)
                self._close()
                self.retry_at = now + (REFUSED_RETRY_SECONDS if refused else RETRY_SECONDS)
            else:
                self._lost(error)
            return False

    def _lost(self, error: Exception) -> None:
        """An open connection failed: forget everything, try again later, and tell the cache
        (Redis may have restarted with old keys)."""
        logger.info("Redis tracking connection lost (%s); tracked keys are read from Redis", error.__class__.__name__)
        self._close()
        self.retry_at = time.monotonic() + RETRY_SECONDS
        if self.on_lost is not None:
            self.on_lost(error)

    def _open(self) -> None:
        # RESP2: the messages come as replies of a subscribed connection, read like any other.
        pool = redis.ConnectionPool.from_url(self.url, socket_timeout=self.timeout,
                                             socket_connect_timeout=self.timeout, protocol=2)
        connection = pool.make_connection()
        try:
            connection.connect()
            connection.send_command("CLIENT", "ID")
            own_id = connection.read_response()
            prefixes = [part for prefix in self.prefixes for part in ("PREFIX", prefix)]
            connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", own_id, "BCAST", *prefixes)
            if connection.read_response() not in (b"OK", "OK"):
                raise redis.exceptions.ConnectionError("tracking refused")
            connection.send_command("SUBSCRIBE", CHANNEL)
            connection.read_response()
        except BaseException:
            connection.disconnect()
            raise
        self.connection = connection
        self.values.clear()
        self.epoch += 1
        self.proven_at = time.monotonic()

    def _prove(self) -> None:
        """PING and wait for the answer, reading any message that comes before it."""
        self.connection.send_command("PING")
        while True:
            reply = self.connection.read_response()
            if self._is_pong(reply):
                self.proven_at = time.monotonic()
                return
            self._take(reply)

    def _read_messages(self) -> None:
        while self.connection.can_read(timeout=0):
            reply = self.connection.read_response()
            if not self._is_pong(reply):
                self._take(reply)

    def _take(self, reply) -> None:
        """A message: the keys that changed, or None when Redis emptied them all."""
        self.epoch += 1
        if not isinstance(reply, list) or len(reply) < 3 or _text(reply[0]) != "message":
            return
        keys = reply[2]
        if keys is None:
            self.values.clear()
            return
        for key in keys:
            self.values.pop(_text(key)[self.key_start :])

    @staticmethod
    def _is_pong(reply) -> bool:
        return isinstance(reply, list) and len(reply) >= 1 and _text(reply[0]) == "pong"

    def _close(self) -> None:
        self.values.clear()
        self.epoch += 1
        if self.connection is not None:
            with contextlib.suppress(redis.exceptions.RedisError, OSError):  # closing a broken connection
                self.connection.disconnect()
        self.connection = None


def _weight(entry: tuple) -> int:
    value = entry[0]
    return 64 + (len(value) if isinstance(value, bytes | str) else 0)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
