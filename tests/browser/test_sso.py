"""Single sign-on in Chromium against a real OpenID provider: allauth's identity provider in its own
process on loopback (tests/browser/oidc_idp). Nothing is mocked: discovery, the authorisation
redirect, the token endpoint, the signed ID token and userinfo are the provider's own."""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts.models import User
from tests.accounts.helpers import give_mfa, totp_code
from tests.browser.axe import assert_accessible
from tests.browser.oidc_idp.adapter import ALLOWED_TENANT
from tests.browser.oidc_idp.serve import CLIENT_ID, CLIENT_SECRET, PEOPLE
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def idp(live_server, settings, tmp_path):
    """The provider, started for one test with Common Ground's callback as its only redirect URI,
    and Common Ground configured to use it as "NHSmail" from the allowed tenant only."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    callback = live_server.url + reverse("openid_connect_callback", kwargs={"provider_id": "nhsmail"})
    env = {**os.environ, "IDP_DATABASE": str(tmp_path / "idp.sqlite3"), "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = tmp_path / "idp.log"  # a file, not a pipe: the server logs every request and must never block
    log_file = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.browser.oidc_idp.serve", str(port), callback],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=1)
                break
            except OSError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("The test identity provider did not start: " + log.read_text()) from exc
                time.sleep(0.2)
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "nhsmail",
                        "name": "NHSmail",
                        "client_id": CLIENT_ID,
                        "secret": CLIENT_SECRET,
                        "settings": {"server_url": issuer, "allowed_tenants": [ALLOWED_TENANT], "allowed_domains": []},
                    }
                ],
            }
        }
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], issuer]
        settings.CONTENT_SECURITY_POLICY = policy
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        log_file.close()


def start_sso(page, live_server, *, check=False) -> None:
    page.goto(live_server.url + reverse("account_login"))
    if check:
        assert_accessible(page)
    page.get_by_role("button", name="Sign in with NHSmail").click()


def sign_in_at_provider(page, issuer: str, email: str, password: str) -> None:
    page.wait_for_url(issuer + "/**")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.locator('form button[type="submit"]').last.click()


def test_sign_up_complete_the_profile_sign_out_and_sign_in_again(page, live_server, idp):
    email, password = PEOPLE[0]
    start_sso(page, live_server)
    sign_in_at_provider(page, idp, email, password)

    page.get_by_role("heading", name="Complete your profile").wait_for()
    member = User.objects.get(email=email)
    assert EmailAddress.objects.get(user=member).verified  # the allowed tenant vouches for it
    assert SocialAccount.objects.filter(user=member, provider="nhsmail").exists()
    page.get_by_label("Display name").fill("Priya Shah")
    page.get_by_label("NHS trust or NHS staff").check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Your profile is complete").wait_for()

    page.goto(live_server.url + reverse("socialaccount_connections"))
    page.get_by_role("heading", name="Signing in with your organisation").wait_for()
    assert "NHSmail" in page.locator(".nhsuk-summary-list").inner_text()
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.wait_for()

    start_sso(page, live_server)  # still signed in at the provider: straight back
    page.get_by_role("button", name="Sign out").wait_for()
    assert "Priya Shah" in page.locator(".nhsuk-header__account").inner_text()
    assert User.objects.filter(email=email).count() == 1


def test_a_person_from_another_tenant_is_refused_and_no_account_is_made(page, live_server, idp):
    email, password = PEOPLE[1]
    start_sso(page, live_server, check=True)
    sign_in_at_provider(page, idp, email, password)
    page.get_by_role("heading", name="You cannot sign in with NHSmail").wait_for()
    assert_accessible(page)
    assert "not one this site accepts" in page.content()
    assert not User.objects.filter(email=email).exists()
    assert not SocialAccount.objects.exists()


def test_a_replayed_callback_is_refused(page, live_server, idp):
    email, password = PEOPLE[0]
    callbacks = []
    page.on("request", lambda request: callbacks.append(request.url) if "/login/callback/" in request.url else None)
    start_sso(page, live_server)
    sign_in_at_provider(page, idp, email, password)
    page.get_by_role("heading", name="Complete your profile").wait_for()
    [callback] = callbacks
    assert "state=" in callback and "code=" in callback

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.wait_for()
    page.goto(callback)  # the same state and code again, as an attacker who saw the URL would
    page.get_by_role("heading", name="Sign-in did not work").wait_for()
    assert_accessible(page)
    assert page.get_by_role("button", name="Sign out").count() == 0


def test_signing_in_through_the_provider_still_asks_for_the_authenticator_code(page, live_server, idp):
    email, password = PEOPLE[0]
    start_sso(page, live_server)
    sign_in_at_provider(page, idp, email, password)
    page.get_by_role("heading", name="Complete your profile").wait_for()
    secret = give_mfa(User.objects.get(email=email))
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.wait_for()

    start_sso(page, live_server)  # the provider asserts no second factor, so ours is asked for
    page.get_by_role("heading", name="Enter your authentication code").wait_for()
    assert page.get_by_role("button", name="Sign out").count() == 0
    page.get_by_label("Authentication code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Sign out").wait_for()


def test_the_single_sign_on_pages_are_accessible_on_a_phone(page, live_server, idp, login):
    """The sign-in page with its provider button, a refusal, and the connections page, at 375 px."""
    page.set_viewport_size({"width": 375, "height": 900})
    start_sso(page, live_server, check=True)
    email, password = PEOPLE[1]  # not at nhs.net: another tenant
    sign_in_at_provider(page, idp, email, password)
    page.get_by_role("heading", name="You cannot sign in with NHSmail").wait_for()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    login(page, make_member("mo@example.org", display_name="Mo Member"))
    page.goto(live_server.url + reverse("socialaccount_connections"))
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
