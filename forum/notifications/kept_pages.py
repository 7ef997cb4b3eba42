"""A member's page of notifications kept whole in the cache (`forum.cache.shells`), so an unchanged
page reads no rows and renders nothing but the header's account links.

The page, rendered for the member with their CSRF token, nonce and header left as marks, is
stored under the versions of everything it shows, through `config.versions`:

- EVERYTHING: names and themes (a member renamed, a theme retitled, an account erased);
- the member's notifications (`inbox.listing_version_key`): renewed by every change to them, as
  their unread count is dropped (`inbox.forget_unread`): one made, read or erased;
- each discussion on the page (`thread_key`): renewed when a comment in it is posted, edited,
  deleted, hidden or approved, or the discussion itself is moderated, so a notification about a
  comment hidden since (which `inbox.VISIBLE` would leave out) is never shown from a kept page.

A hit is two cache round trips (the page with the first two versions, then the discussions'
versions) and no query. Nothing is stored while any of those versions settles, and while Redis
does not answer nothing is read from it (`config.cache`). Without a shared cache, or for a
request with messages to show (`shells.plain_request`), nothing is kept.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone, translation

from config import versions
from forum.cache.digest import digest
from forum.cache.shells import Shell, plain_request
from forum.cache.versions import thread_key
from forum.notifications.inbox import listing_version_key


class KeptPage:
    """The requested page of the signed-in member's notifications, if kept and current.

        kept = KeptPage(request)
        if (response := kept.response()) is not None:
            return response
        ...read the page, render it with marks (`shell_marks`) when `kept.usable`...
        response = kept.keep(html, thread_ids, store=...)
    """

    def __init__(self, request):
        self.user = user = request.user
        name = f"notifications:{user.pk}:{digest(sorted(request.GET.lists()))}"
        state = (timezone.get_current_timezone_name(), translation.get_language())
        self.shell = Shell(request, name, [listing_version_key(user.pk)], state=state, local=False)  # one member's
        self.usable = self.shell.usable and plain_request(request, params=None)  # the key holds them
        self.key = self.shell.key

    def response(self):
        """The kept page for this member, or None to build it. Asked first: a change after this
        read gives the page a new version."""
        if not self.usable or (stored := self.shell.get()) is None:
            return None
        if _thread_versions(stored.data["threads"]) != stored.data["thread_versions"]:
            return None
        return self.shell.fill(stored, {"user": self.user})

    def keep(self, html: str, thread_ids: list[int], *, store: bool):
        """The page just rendered with marks, for this member, stored when `store` and nothing it
        depends on is settling (the discussions' versions are read after its rows: one renewed in
        between is still settling); None if it cannot be served from its marks."""
        thread_ids = sorted(set(thread_ids))
        thread_versions = _thread_versions(thread_ids)
        stored = self.shell.make(html, data={"threads": thread_ids, "thread_versions": thread_versions},
                                 keep=store and versions.all_settled(thread_versions))
        return None if stored is None else self.shell.fill(stored, {"user": self.user})


def _thread_versions(thread_ids: list[int]) -> list[str]:
    if not thread_ids:
        return []
    keys = [thread_key(pk) for pk in thread_ids]
    return versions.current(cache.get_many(keys), keys)
