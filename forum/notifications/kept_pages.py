"""A member's page of notifications kept whole in the cache, so an unchanged page reads no rows.

A page (its notifications' shown columns, its links and its groups' HTML with CSRF marks) is
stored under the versions of everything it shows, through `config.versions`:

- EVERYTHING: names and themes (a member renamed, a theme retitled, an account erased);
- the member's notifications (`inbox.listing_version_key`): renewed by every change to them, as
  their unread count is dropped (`inbox.forget_unread`): one made, read or erased;
- each discussion on the page (`thread_key`): renewed when a comment in it is posted, edited,
  deleted, hidden or approved, or the discussion itself is moderated, so a notification about a
  comment hidden since (which `inbox.VISIBLE` would leave out) is never shown from a kept page.

A hit is two cache round trips (the page with the first two versions, then the discussions'
versions) and no query. Nothing is stored while any of those versions settles, and while Redis
does not answer nothing is read from it (`config.cache`). Without a shared cache nothing is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from config import versions
from forum.cache.digest import PAGE_TIMEOUT, digest
from forum.cache.versions import EVERYTHING, thread_key
from forum.notifications.inbox import listing_version_key, remember_unread, unread_keys


class KeptPage:
    """The requested page of the signed-in member's notifications, if kept and current.

        kept = KeptPage(request)
        if (found := kept.read()) is None:
            ...read and render...
            kept.keep(page, html, thread_ids)
    """

    def __init__(self, request):
        self.user = user = request.user
        self.usable = bool(settings.SHARED_CACHE)
        self.key = f"forum:notifications:page:{user.pk}:{digest(sorted(request.GET.lists()))}"
        self.version_keys = [EVERYTHING, listing_version_key(user.pk)]
        self.versions: list[str] | None = None

    def read(self) -> tuple[object, str] | None:
        """The kept page and its HTML (with CSRF marks), or None to build them."""
        if not self.usable:
            return None
        # The header's unread count comes in the same round trip.
        found, self.versions = versions.read(self.version_keys, self.key, *unread_keys(self.user))
        remember_unread(self.user, found)
        stored = found.get(self.key)
        if not isinstance(stored, dict) or stored.get("versions") != self.versions:
            return None
        if _thread_versions(stored["threads"]) != stored["thread_versions"]:
            return None
        return stored["page"], stored["html"]

    def keep(self, page, html: str, thread_ids: list[int]) -> None:
        """Store a page just built, unless a version it depends on is settling. The discussions'
        versions are read after its rows: one renewed in between is still settling."""
        if not self.usable or self.versions is None or not versions.all_settled(self.versions):
            return
        thread_ids = sorted(set(thread_ids))
        thread_versions = _thread_versions(thread_ids)
        if not versions.all_settled(thread_versions):
            return
        entry = {"versions": self.versions, "threads": thread_ids, "thread_versions": thread_versions,
                 "page": page, "html": html}
        cache.set(self.key, entry, timeout=PAGE_TIMEOUT)


def _thread_versions(thread_ids: list[int]) -> list[str]:
    if not thread_ids:
        return []
    keys = [thread_key(pk) for pk in thread_ids]
    return versions.current(cache.get_many(keys), keys)
