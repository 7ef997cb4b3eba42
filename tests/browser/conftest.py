"""Playwright fixtures: the system Chromium against pytest-django's live server.

Browser tests skip when Chromium is missing, unless REQUIRE_BROWSER=1 (CI), where they fail.
The Nu HTML Checker (tests/browser/nu.py) starts with the browser, in the background, and stops with it.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser import nu

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's sync API runs an event loop in this thread; the ORM calls tests make around it are
# synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


_browser_required = nu.browser_required


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM_PATH) or shutil.which("chromium")):
        if _browser_required():
            pytest.fail(f"REQUIRE_BROWSER is set but Chromium is missing at {CHROMIUM_PATH}")
        pytest.skip(f"Chromium not installed at {CHROMIUM_PATH}; browser tests need it (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if _browser_required():
            raise
        pytest.skip("playwright is not installed")
    nu.start()  # Java reads the checker's schemas while Chromium and the live server start
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        nu.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def page_no_js(browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(live_server):
    """Sign a Playwright page in as `user` by copying a Django session cookie into it."""
    from django.conf import settings
    from django.test import Client

    def _login(page, user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )
        return page

    return _login
