"""Kept anonymous pages served before most of the middleware (forum.cache.pages.KeptPageMiddleware):
the same page and headers as when the view made it, and never where the view would answer
otherwise."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from config import versions
from forum.cache import pages

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settled_at_once")]

NONCE = re.compile(r"'nonce-[^']+'")


@pytest.fixture
def addresses(thread, theme, source):
    """An address of each kind of page kept for anonymous readers."""
    return [
        thread.get_absolute_url(),
        theme.get_absolute_url(),
        reverse("forum:theme_list"),
        reverse("home"),
        source.article.get_absolute_url(),
        reverse("forum:search") + "?q=waiting",
        reverse("forum:map"),
        reverse("forum:commitments"),
    ]


def made_then_kept(client, url):
    made = client.get(url)
    kept = client.get(url)
    assert (made.status_code, kept.status_code) == (200, 200), url
    assert (made["X-Forum-Cache"], kept["X-Forum-Cache"]) == ("miss", "hit"), url
    return made, kept


def headers_but_the_nonce(response) -> dict[str, str]:
    found = {name: value for name, value in response.headers.items() if name != "X-Forum-Cache"}
    found["Content-Security-Policy"] = NONCE.sub("'nonce-…'", found["Content-Security-Policy"])
    return found


def test_every_kind_of_kept_page_has_the_headers_the_view_gave_it(client, addresses):
    for url in addresses:
        made, kept = made_then_kept(client, url)

        assert headers_but_the_nonce(kept) == headers_but_the_nonce(made), url
        assert kept["Vary"] == "Cookie"


def test_a_kept_page_is_the_page_the_view_made_with_this_requests_nonce(client, addresses):
    for url in addresses:
        made, kept = made_then_kept(client, url)
        nonce = re.search(r"'nonce-([^']+)'", kept["Content-Security-Policy"]).group(1)
        made_nonce = re.search(r"'nonce-([^']+)'", made["Content-Security-Policy"]).group(1)

        assert nonce != made_nonce
        assert kept.content == made.content.replace(made_nonce.encode(), nonce.encode()), url


def test_a_kept_page_is_served_before_the_session_and_the_view(client, thread):
    made, kept = made_then_kept(client, thread.get_absolute_url())

    assert hasattr(made.wsgi_request, "session")
    assert not hasattr(kept.wsgi_request, "session")
    assert not hasattr(kept.wsgi_request, "user")


def test_a_kept_page_is_not_served_to_an_unknown_host(client, thread):
    made_then_kept(client, thread.get_absolute_url())

    response = client.get(thread.get_absolute_url(), HTTP_HOST="elsewhere.example")

    assert response.status_code == 400


def test_a_kept_page_is_not_served_with_a_session_or_messages_cookie_or_to_a_post(client, thread):
    made_then_kept(client, thread.get_absolute_url())

    with_messages = type(client)()
    with_messages.cookies["messages"] = "anything"
    with_session = type(client)()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"

    assert "X-Forum-Cache" not in with_messages.get(thread.get_absolute_url())
    assert "X-Forum-Cache" not in with_session.get(thread.get_absolute_url())
    assert "X-Forum-Cache" not in client.post(thread.get_absolute_url())


def test_a_page_stored_without_its_version_keys_is_made_again(client, thread):
    made_then_kept(client, thread.get_absolute_url())
    request = client.get(thread.get_absolute_url()).wsgi_request
    key = pages.page_key(request)
    entry = dict(cache.get(key))
    del entry["keys"]  # as stored by the release before this one
    cache.set(key, entry)
    versions.local_copies.clear()

    assert client.get(thread.get_absolute_url())["X-Forum-Cache"] == "miss"
    assert client.get(thread.get_absolute_url())["X-Forum-Cache"] == "hit"


def test_the_finishing_middleware_follows_the_order_of_the_settings():
    below = settings.MIDDLEWARE[settings.MIDDLEWARE.index("forum.cache.pages.KeptPageMiddleware") + 1 :]

    assert [path for path in below if path in pages.FINISHING] == list(pages.FINISHING)
