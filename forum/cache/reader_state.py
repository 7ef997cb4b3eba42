"""A signed-in reader's own state around a page, kept in the cache so that reading an unchanged
page again costs no query for it: how far they have read, how they follow the discussion and its
theme, their votes on the page's comments, and (for a theme's page) their read positions in the
discussions listed.

Each state is kept under the reader's own version (`versions.reader_key`, renewed by the
`reader_changed` event whenever they vote, change a follow level, read further or their draft
changes) and the versions of the page it belongs to, and is fetched in the same round trip as the
page's shared rows. A state that holds a reply draft is never kept: the draft's text stays in the
database alone, and is read from there each time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from config import versions
from forum.cache import rows
from forum.cache.digest import PAGE_TIMEOUT
from forum.cache.versions import EVERYTHING, reader_key, thread_key


@dataclass
class Kept:
    """A reader's state as kept (`value`, None when there is none under the current versions),
    and where to keep a fresh one."""

    key: str
    versions: list[str]
    value: object = None

    def keep(self, value) -> None:
        """Keep `value` under the versions read, unless one of them is still settling."""
        if self.key and versions.all_settled(self.versions):
            cache.set(self.key, {"versions": self.versions, "object": value}, timeout=PAGE_TIMEOUT)


def read_kept(version_keys: list[str], key: str, *entry_keys: str, page: str = "") -> tuple[Kept, dict, list[str]]:
    """One round trip: the reader's state under `key` (kept under `version_keys`), the other
    entries asked for (`page`, a stored page, kept in the process too: `versions.read`), and the
    current versions. Nothing is read or kept without a cache the
    processes share (a version renewed in one process would not reach the others)."""
    if not settings.SHARED_CACHE:
        return Kept("", []), {}, []
    local = (page,) if page else ()
    found, current = versions.read(version_keys, key, *entry_keys, *local, local=local)
    return Kept(key, current, _current(found.get(key), current)), found, current


def thread_and_state(pk: int, reader_id: int, page: int | None, *, also: str | None = None):
    """(thread, kept state, page read): the thread as every reader sees it (with its theme and
    passage; None if there is no such thread), the reader's kept state on its `page`, and the
    entry `also` (a stored page of the thread) with the versions of the thread it must match, all
    in one round trip. The caller decides who may see the thread (`permissions.can_see_thread`)
    before using the rest."""
    if not settings.SHARED_CACHE:
        return rows.shared_thread(pk), Kept("", []), None
    row_key = rows.thread_row_key(pk)
    version_keys = [EVERYTHING, thread_key(pk), reader_key(reader_id)]
    state_key = f"forum:reader-state:{reader_id}:{pk}:{page or 0}:{settings.COMMENTS_PER_PAGE}"  # votes by page
    kept, found, current = read_kept(version_keys, state_key, row_key, page=also or "")
    thread_versions = current[:2]  # the row and the page are everyone's: not under the reader's version
    thread = rows.shared_thread(pk, ahead=(found, thread_versions))
    page_read = ({also: found[also]} if also in found else {}, thread_versions) if also else None
    return thread, kept, page_read


def _current(stored, current: list[str]):
    if isinstance(stored, dict) and stored.get("versions") == current and "object" in stored:
        return stored["object"]
    return None
