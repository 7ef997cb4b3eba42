"""Whole pages for anonymous readers: the theme list, theme and thread pages, the home and article
pages, the planning map, search and commitments.

A page is stored with the keys and versions of what it shows (`forum.cache.versions`) and served
by `KeptPageMiddleware` before the view, or most of the middleware, runs: one cache read (none
when the page is kept in this process too and its versions are held, `config.versions`) and no
database query. A change renews a version, so the stored page no longer matches and the next
reader gets a fresh one from the view. The page is kept as the bytes sent, in pieces around its
CSP nonce, and served joined with the request's own nonce. Pages made while a version is
settling are served but not stored (`config.versions`). Entries also expire after PAGE_TIMEOUT as
a backstop.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

from config import versions
from forum.cache.digest import PAGE_TIMEOUT, digest, site_templates_digest
from forum.cache.versions import EVERYTHING

NONCE_MARK = "cgnoncemark0000000000000"
# Query parameters that do not stop a page being stored.
CACHEABLE_PARAMS = {"page"}
# The middleware below KeptPageMiddleware in settings.MIDDLEWARE that still runs around a kept
# page, because it shapes every page's response: the host check and Content-Length, the
# X-Frame-Options header, the CSP header with this request's nonce. The others below it (the
# session, CSRF, authentication, messages, allauth, the database's 503 page) do nothing to the
# response of a GET with no session cookie and no messages: tests/forum/test_kept_page_middleware.py
# checks that a page served either way carries the same headers.
FINISHING = (
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
)


class KeptPageMiddleware:
    """Serve a kept anonymous page before the session, authentication, CSRF checks, messages and
    URL resolution, as WhiteNoise serves files: the page needs none of them, and they cost more
    than the rest of serving it. The middleware above this one, and FINISHING, still run."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.serve = _finished(self._kept_response)

    def __call__(self, request):
        entry = kept_page(request)
        if entry is None:
            return self.get_response(request)
        request.kept_page = entry
        return self.serve(request)

    @staticmethod
    def _kept_response(request) -> HttpResponse:
        entry = request.kept_page
        nonce = request_nonce(request).encode()
        response = HttpResponse(nonce.join(entry["pieces"]), content_type=entry["content_type"])
        response["X-Forum-Cache"] = "hit"
        # What a reader is sent depends on their session cookie, as SessionMiddleware says of the
        # page when the view makes it.
        patch_vary_headers(response, ("Cookie",))
        return response


def _finished(handler):
    """`handler` inside the FINISHING middleware, in the order settings.MIDDLEWARE gives them."""
    below = settings.MIDDLEWARE[settings.MIDDLEWARE.index(f"{__name__}.KeptPageMiddleware") + 1 :]
    for path in reversed(below):
        if path in FINISHING:
            handler = import_string(path)(handler)
    return handler


def kept_page(request) -> dict | None:
    """The current kept page for this request, if it is an anonymous reader's plain GET."""
    if not settings.SHARED_CACHE or not _anonymous_and_plain(request):
        return None
    return versions.read_current(page_key(request))


def page_key(request) -> str:
    # Keyed by the code that made it too: instances of two releases (a rolling deploy) never read
    # each other's pages, whose format or templates may differ.
    return "forum:page:" + digest((site_templates_digest(), request.get_full_path()))


class AnonymousPage:
    """A page an anonymous reader may be served from the cache next time (`KeptPageMiddleware`).

        cached = AnonymousPage(request, thread_key(pk))
        ...render...
        return cached.keep(response)
    """

    def __init__(self, request, *version_keys: str, any_query: bool = False):
        """`any_query`: the page is the same for every anonymous reader whatever its query
        string (the search page); otherwise only a page number may be given. The versions are
        read now, before the view reads the rows they cover."""
        self.request = request
        self.keys = [EVERYTHING, *version_keys]
        self.usable = (
            settings.SHARED_CACHE
            and _anonymous_and_plain(request)
            and (any_query or set(request.GET) <= CACHEABLE_PARAMS)
        )
        self.versions: list[str] = []
        if self.usable:
            _found, self.versions = versions.read(self.keys)
        self.storable = self.usable and all(self.versions) and versions.all_settled(self.versions)

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
        entry = {
            "keys": self.keys,
            "versions": self.versions,
            "pieces": pieces,
            "content_type": response["Content-Type"],
        }
        cache.set(page_key(self.request), entry, timeout=PAGE_TIMEOUT)
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
