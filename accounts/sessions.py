"""Sessions kept as Django's `cached_db` keeps them, read in the same cache round trip as the
member's row.

A signed-in request reads its session from the cache and then the member's row
(`accounts.backends`): two round trips, one after the other, since the row's key needs the
member's id from the session. Each process remembers which member each session it has served
belongs to (a session key never changes hands: signing in gives a new key, signing out deletes
it), and reads that member's row, with what is read with it, in the same `get_many` as the
session. `accounts.backends` uses them only when the session turns out to be that member's; the
session itself is read and checked on every request exactly as before.

`SESSION_ENGINE = "accounts.sessions"`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

from accounts import backends
from config.lru import Recent

REMEMBERED_SESSIONS = 10_000


_owners = Recent(REMEMBERED_SESSIONS)  # session key -> the member's id, in this process


class SessionStore(CachedDbSessionStore):
    def load(self):
        owner = _owners.get(self.session_key) if self.session_key else None
        data = self._load_with_member(owner) if owner and self._shares_the_cache() else None
        if data is None:
            data = super().load()
        if self.session_key:
            user_id = data.get(SESSION_KEY)
            if user_id is None:
                _owners.pop(self.session_key)
            else:
                _owners.put(self.session_key, str(user_id))
        return data

    def _load_with_member(self, owner: str):
        """The session from the cache, with `owner`'s row and companions read in the same round
        trip and handed to `accounts.backends` (None when the session is not in the cache)."""
        member_keys = backends.member_keys(owner)
        found = self._cache.get_many([self.cache_key, *member_keys])
        data = found.pop(self.cache_key, None)
        if isinstance(data, dict) and str(data.get(SESSION_KEY)) == owner:
            backends.read_ahead(owner, member_keys, found)
        return data

    @staticmethod
    def _shares_the_cache() -> bool:
        return settings.SHARED_CACHE and settings.SESSION_CACHE_ALIAS == "default"
