"""Passkeys in a real browser, with Chromium's virtual authenticator (the DevTools WebAuthn domain):
a moderator adds a passkey, signs out, signs in with it alone and reaches the review queue; after
removing it, signing in falls back to the password and the authenticator app's code. Every new
page passes axe and the HTML checker, and the browser reports no Content Security Policy violation
(allauth's scripts come from our origin; their data sits in blocks the browser never runs)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.models import StakeholderGroup
from tests.browser.axe import assert_accessible
from tests.browser.nu import assert_valid_html
from tests.conftest import make_member
from tests.forum.moderation_support import give_totp, grant, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password-42"

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__violations.push(event.effectiveDirective + ' ' + event.blockedURI);
});
"""


@pytest.fixture
def moderator_with_secret(transactional_db):
    user = make_member("moderator@example.org", display_name="Mina Moderator",
                       stakeholder_group=StakeholderGroup.OTHER)
    grant(user, "moderate_comment")
    return user, give_totp(user)


def add_virtual_authenticator(page) -> None:
    """A platform authenticator that holds passkeys and always verifies the person (fingerprint)."""
    client = page.context.new_cdp_session(page)
    client.send("WebAuthn.enable")
    client.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})


def check_page(page) -> None:
    """axe at desktop and phone widths, the HTML checker, and no CSP violation on this page."""
    for width, height in ((1280, 900), (375, 800)):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_valid_html(page)
    assert page.evaluate("window.__violations") == []


def confirm_it_is_you(page) -> None:
    """Adding or removing a key asks for the password again first (allauth's reauthentication)."""
    page.get_by_role("heading", name="Confirm it is you").wait_for()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_load_state()


def next_step_code(secret: str) -> str:
    """The code the app shows in the next 30 seconds (accepted: MFA_TOTP_TOLERANCE is 1). The
    current one may already be spent, and allauth refuses a code twice."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD + 1))


def sign_in_with_password_and_code(page, live_server, email: str, secret: str, *, code=totp_code) -> None:
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Enter your authentication code").wait_for()
    page.get_by_label("Authentication code").fill(code(secret))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/2fa/" not in url)


def test_a_moderator_signs_in_with_a_passkey_and_falls_back_to_the_app_without_it(page, live_server,
                                                                                    moderator_with_secret):
    moderator, secret = moderator_with_secret
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.add_init_script(RECORD_VIOLATIONS)
    add_virtual_authenticator(page)

    # Signed in the ordinary way, the moderator adds a passkey from the two-factor page.
    sign_in_with_password_and_code(page, live_server, moderator.email, secret)
    page.goto(live_server.url + reverse("mfa_index"))
    page.get_by_role("heading", name="Passkeys and security keys").wait_for()
    check_page(page)
    page.get_by_role("button", name="Add a passkey or security key").click()
    confirm_it_is_you(page)
    page.get_by_role("heading", name="Add a passkey or security key").wait_for()
    check_page(page)
    page.get_by_label("Name").fill("Work laptop")
    page.get_by_label("Also use it to sign in without a password").check()
    page.get_by_role("button", name="Add passkey or security key").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    key = Authenticator.objects.get(user=moderator, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless

    page.goto(live_server.url + reverse("mfa_list_webauthn"))
    page.get_by_role("cell", name="Work laptop Passkey").wait_for()
    check_page(page)

    # Signed out, the passkey alone signs the moderator in, and the review queue opens.
    sign_out(page)
    page.goto(live_server.url + reverse("account_login"))
    check_page(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(live_server.url + reverse("forum:moderation_queue"))
    page.get_by_role("heading", name="Review queue", exact=True).wait_for()

    # Removing the passkey leaves the authenticator app: password and code again.
    page.goto(live_server.url + reverse("mfa_list_webauthn"))
    page.get_by_role("link", name="Remove Work laptop").click()
    page.get_by_role("heading", name="Confirm it is you").wait_for()  # with the passkey this time
    page.get_by_role("link", name="Use a passkey or security key").click()
    page.get_by_role("button", name="Use a passkey or security key").wait_for()
    check_page(page)
    page.get_by_role("button", name="Use a passkey or security key").click()
    page.get_by_role("heading", name="Remove “Work laptop”").wait_for()
    check_page(page)
    page.get_by_role("button", name="Remove", exact=True).click()
    page.wait_for_url(lambda url: "/remove/" not in url)
    assert not Authenticator.objects.filter(user=moderator, type=Authenticator.Type.WEBAUTHN).exists()
    sign_out(page)
    sign_in_with_password_and_code(page, live_server, moderator.email, secret, code=next_step_code)
    page.goto(live_server.url + reverse("forum:moderation_queue"))
    page.get_by_role("heading", name="Review queue", exact=True).wait_for()

    complaints = [line for line in console if "Content Security Policy" in line]
    assert complaints == []


def test_without_javascript_the_pages_say_passkeys_need_it(page_no_js, live_server):
    page_no_js.goto(live_server.url + reverse("account_login"))

    # Chromium with scripts switched off by DevTools still parses <noscript> as if they ran, so
    # the message is checked in the markup rather than on screen.
    assert "Passkeys and security keys need JavaScript" in page_no_js.locator("noscript").first.inner_html()
    page_no_js.get_by_label("Email address").fill("moderator@example.org")  # the password form still works
    page_no_js.get_by_label("Password", exact=True).fill(PASSWORD)
