"""Whole pages for anonymous readers: the theme list, theme and thread pages, the home and article
pages.

A page is stored with the versions of what it shows (`forum.cache.versions`); serving it is one
cache round trip (the page and the current versions in one `get_many`) and no database query. A
change renews a version, so the stored page no longer matches and the next reader gets a fresh
one. The page is kept as the bytes sent, in pieces around its CSP nonce, and served joined with
the request's own nonce. Pages made while a version is
settling are served but not stored (`config.versions`). Entries also expire after PAGE_TIMEOUT as
a backstop.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from config import versions
from forum.cache.digest import PAGE_TIMEOUT, digest, site_templates_digest
from forum.cache.versions import EVERYTHING

NONCE_MARK = "cgnoncemark0000000000000"
# Query parameters that do not stop a page being served from the cache.
CACHEABLE_PARAMS = {"page"}


class AnonymousPage:
    """A page an anonymous reader may get from the cache.

        cached = AnonymousPage(request, thread_key(pk))
        if (response := cached.response()) is not None:
            return response
        ...render...
        return cached.keep(response)
    """

    def __init__(self, request, *version_keys: str, any_query: bool = False):
        """`any_query`: the page is the same for every anonymous reader whatever its query
        string (the search page); otherwise only a page number may be given."""
        self.request = request
        self.keys = [EVERYTHING, *version_keys]
        self.usable = (
            settings.SHARED_CACHE
            and _anonymous_and_plain(request)
            and (any_query or set(request.GET) <= CACHEABLE_PARAMS)
        )
        self.versions: list[str] | None = None
        self.storable = False
        self.page_key = ""

    def response(self) -> HttpResponse | None:
        if not self.usable:
            return None
        path = self.request.get_full_path()
        # Keyed by the code that made it too: instances of two releases (a rolling deploy) never
        # read each other's pages, whose format or templates may differ.
        self.page_key = "forum:page:" + digest((site_templates_digest(), path))
        found, current = versions.read(self.keys, self.page_key, local=(self.page_key,))  # kept here too
        self.versions = current
        self.storable = versions.all_settled(current)
        stored = found.get(self.page_key)
        if not isinstance(stored, dict) or stored.get("versions") != current or "pieces" not in stored:
            return None
        nonce = request_nonce(self.request).encode()
        response = HttpResponse(nonce.join(stored["pieces"]), content_type=stored["content_type"])
        response["X-Forum-Cache"] = "hit"
        return response

    def keep(self, response: HttpResponse) -> HttpResponse:
        """Store a fresh 200 answer (not one that set a cookie or used a CSRF token)."""
        if self.usable:
            response["X-Forum-Cache"] = "miss"
        if (
            not self.storable
            or response.status_code != 200
            or response.streaming
            or response.cookies
            or self.request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        ):
            return response
        # Kept as the bytes sent, in pieces around the nonce: serving joins them with the request's
        # own, with no decoding, searching or encoding of the whole page.
        nonce = request_nonce(self.request).encode()
        pieces = tuple(response.content.split(nonce)) if nonce else (response.content,)
        entry = {"versions": self.versions, "pieces": pieces, "content_type": response["Content-Type"]}
        cache.set(self.page_key, entry, timeout=PAGE_TIMEOUT)
        return response


def request_nonce(request) -> str:
    # django-csp's lazy nonce is falsy until first read: compare with None, never use `or`.
    nonce = getattr(request, "csp_nonce", None)
    return str(nonce) if nonce is not None else ""


def _anonymous_and_plain(request) -> bool:
    """A GET with no session (so certainly signed out, with no messages or kept text waiting)."""
    if request.method != "GET":
        return False
    return not (settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES)
