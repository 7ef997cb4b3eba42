"""A small dictionary of this process's own, bounded: the least recently used entry goes first
when it is full. Safe to share between a worker's threads."""

from __future__ import annotations

import threading
from collections import OrderedDict


class Recent:
    """At most `size` entries, and (given `weigh`, a function of a value giving its size in bytes)
    at most `max_weight` bytes of them."""

    def __init__(self, size: int, *, weigh=None, max_weight: int = 0):
        self.size = size
        self.weigh = weigh
        self.max_weight = max_weight
        self.weight = 0
        self.lock = threading.Lock()
        self.entries: OrderedDict = OrderedDict()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        """Keep `value` (not one heavier than `max_weight` alone: it would push out every other)."""
        with self.lock:
            self._remove(key)
            if self.weigh is not None and self.weigh(value) > self.max_weight:
                return
            self.entries[key] = value
            if self.weigh is not None:
                self.weight += self.weigh(value)
            while self.entries and (len(self.entries) > self.size or self._too_heavy()):
                self._remove(next(iter(self.entries)))

    def pop(self, key) -> None:
        with self.lock:
            self._remove(key)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.weight = 0

    def _too_heavy(self) -> bool:
        return self.weigh is not None and self.weight > self.max_weight

    def _remove(self, key) -> None:
        value = self.entries.pop(key, None)
        if value is not None and self.weigh is not None:
            self.weight -= self.weigh(value)
