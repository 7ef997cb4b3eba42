"""The one door to the shared cache for every copy that must change when its rows change.

Every cached copy that must never outlive a change is kept true in one of two ways, and both go
through this module (Misago's `cache/versions.py` is the model):

- **Versions.** A copy is stored with the versions of what it was made from and used only while
  those versions are current. `replace(keys)` gives the keys new versions (a bump), so every copy
  made under the old ones is passed over; nothing has to be found and deleted, and `read()` gets a
  copy and the versions it must match in one round trip. The forum's pages work this way.
- **Drops.** A copy kept under a key of its own (a member's row, their standing, their unread
  count, the word filters) is deleted by `drop(keys)`: at once and again when the transaction
  commits, so a request that read the old rows just before the commit cannot leave them cached.

**Settling.** For SETTLE_SECONDS after a bump, copies made under the new versions are used but not
stored: a request that read the database just before the change committed could otherwise store
old rows under the new version. A new version carries the moment it settles (`is_settled`). A drop
made with `settle=True` leaves a marker for DROP_SETTLE_SECONDS (`settling`), which the copy's
owner checks before storing what it read.

**Copies kept in the process too.** A large entry that its readers never change (a whole stored
page) may also be kept in this process's memory (`read(..., local=...)`): it is used from there
while every version it was stored under is still current, which the same round trip tells, so
the page is not fetched and unpickled again. An entry that names its own version keys can be read
without knowing them beforehand (`read_current`). Versions are random, so a version renewed, emptied
after an outage or unreadable (Redis away: no version at all) never matches a kept copy.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from config.lru import Recent

SETTLE_SECONDS = 5.0
DROP_SETTLE_SECONDS = 5.0
LOCAL_COPIES = 64  # entries kept in each process's memory (a stored page is up to about 250 kB)


local_copies = Recent(LOCAL_COPIES)  # entries as read from the cache, kept here too


def _new_version(settle: float) -> str:
    """A random token and the moment (in milliseconds) from which copies may be stored under it."""
    settled_at = int((time.time() + settle) * 1000) if settle > 0 else 0
    return f"{secrets.token_hex(6)}@{settled_at}"


def is_settled(version: str) -> bool:
    """Whether copies made under `version` may be stored (its settling time has passed)."""
    _token, _at, moment = (version or "").partition("@")
    return not moment or int(moment) <= time.time() * 1000


def all_settled(versions: Iterable[str]) -> bool:
    return all(is_settled(version) for version in versions)


def current(found: dict, keys: list[str]) -> list[str]:
    """The versions of `keys` from a `get_many` answer that asked for them; a key that has none
    yet is given one (`add` keeps a version another process set first)."""
    versions = [found.get(key) for key in keys]
    if all(version is not None for version in versions):
        return versions
    for key, version in zip(keys, versions, strict=True):
        if version is None:
            cache.add(key, _new_version(0), timeout=None)
    again = cache.get_many(keys)
    return [again.get(key) or "" for key in keys]


def read(version_keys: list[str], *entry_keys: str, local: Iterable[str] = ()) -> tuple[dict, list[str]]:
    """One round trip at most: the stored entries asked for, and the current versions of
    `version_keys` (the cache answers those this process holds, told by Redis when they change,
    without asking: `config.tracking`).

    The entries named in `local` (dicts with the "versions" they were stored under, which their
    readers never change) are kept in this process's memory as well: a copy there is used when
    all its versions are current, and not asked for; one that is not is fetched in a second round
    trip, and kept in its place."""
    held = {key: local_copies.get(key) for key in local}
    wanted = [*(key for key in entry_keys if held.get(key) is None), *version_keys]
    found = cache.get_many(wanted)
    versions = current(found, version_keys)
    live = {version for version in versions if version}
    stale = []
    for key, entry in held.items():
        if entry is not None and _made_under(entry, live):
            found[key] = entry
        elif entry is not None:
            stale.append(key)
    if stale:
        found.update(cache.get_many(stale))
    for key in local:
        entry = found.get(key)
        if entry is not held.get(key) and isinstance(entry, dict) and _made_under(entry, live):
            local_copies.put(key, entry)
    return found, versions


def read_current(key: str) -> dict | None:
    """The entry stored under `key`, if it names the keys of the versions it was made under
    ("keys", "versions") and those are all still current; for a caller that cannot know the keys
    before it has the entry (a kept page served before its view runs).

    Kept in this process's memory too, like the entries `read` is given as `local`: a copy here is
    used while its versions are current (read as `read` reads them: usually without a round
    trip), and otherwise the cache is asked once for the entry."""
    held = local_copies.get(key)
    if held is not None and _still_current(held):
        return held
    entry = cache.get(key)
    if entry is None or not _still_current(entry):
        return None
    local_copies.put(key, entry)
    return entry


def _still_current(entry) -> bool:
    keys = entry.get("keys") if isinstance(entry, dict) else None
    if not keys:
        return False
    found = cache.get_many(keys)
    now = [found.get(key) for key in keys]
    return all(now) and now == list(entry.get("versions") or ())


def _made_under(entry: dict, live: set[str]) -> bool:
    made_under = entry.get("versions") or ()
    return bool(made_under) and all(version in live for version in made_under)


def replace(keys: list[str]) -> None:
    """Give `keys` new versions (with a settling time): every copy made under the old ones is
    passed over from now on."""
    cache.set_many({key: _new_version(SETTLE_SECONDS) for key in keys}, timeout=None)


def drop(keys: list[str], *, settle: bool = False) -> None:
    """Delete the copies under `keys` now and again when the transaction commits (at once when
    there is none). With `settle`, for DROP_SETTLE_SECONDS after each, `settling(key)` is true."""
    keys = list(keys)
    if not keys:
        return

    def delete():
        cache.delete_many(keys)
        if settle and DROP_SETTLE_SECONDS > 0:
            cache.set_many({_settling_key(key): 1 for key in keys}, timeout=DROP_SETTLE_SECONDS)

    delete()
    transaction.on_commit(delete)


def settling(key: str) -> bool:
    """Whether `key` was dropped (with `settle`) less than DROP_SETTLE_SECONDS ago: a copy read now
    may be used but must not be stored."""
    return DROP_SETTLE_SECONDS > 0 and cache.get(_settling_key(key)) is not None


def _settling_key(key: str) -> str:
    return f"{key}:settling"
