"""Account pages in Chromium: the sign-up journey, and axe on every account page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Organisation, OrganisationDomain, StakeholderGroup
from tests.accounts.helpers import PASSWORD, confirmation_path, give_mfa, totp_code
from tests.browser.axe import assert_accessible
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)


def ensure_nhs_rule() -> None:
    """Transactional tests empty the database between tests, seeded rows included."""
    organisation, _ = Organisation.objects.get_or_create(
        name="NHS organisations (nhs.uk addresses)",
        defaults={"organisation_type": "shared_domain", "stakeholder_group": StakeholderGroup.NHS},
    )
    OrganisationDomain.objects.get_or_create(domain="*.nhs.uk", defaults={"organisation": organisation})


def sign_in(page, live_server, email: str, password: str = PASSWORD) -> None:
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def confirm_password(page, live_server, password: str = PASSWORD) -> None:
    page.goto(live_server.url + reverse("account_reauthenticate"))
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue").click()


def test_sign_up_confirm_and_complete_the_profile(page, live_server):
    ensure_nhs_rule()
    mail.outbox.clear()
    page.goto(live_server.url + reverse("account_signup"))
    assert_accessible(page)
    page.get_by_label("Email address").fill("priya.shah@leedsth.nhs.uk")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    assert page.title() == "Check your email – Common Ground"
    assert_accessible(page)

    link = confirmation_path(mail.outbox[0])
    page.goto(live_server.url + link)
    assert_accessible(page)
    page.get_by_role("button", name="Confirm email address").click()
    page.get_by_role("heading", name="Complete your profile").wait_for()
    assert_accessible(page)
    assert page.get_by_label("NHS trust or NHS staff").is_checked()

    page.get_by_role("button", name="Save and continue").click()
    page.locator(".nhsuk-error-summary").wait_for()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Display name").fill("Priya Shah")
    page.get_by_label("Organisation").fill("Leeds Teaching Hospitals NHS Trust")
    page.get_by_label("Declared interests").fill("Trustee of a hospice charity.")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Your profile is complete").wait_for()

    page.goto(live_server.url + reverse("accounts:settings"))
    page.get_by_role("link", name="See your public profile").click()
    page.get_by_role("heading", name="Priya Shah").wait_for()
    expect(page.locator(".nhsuk-tag", has_text="Verified")).to_be_visible()
    assert "priya.shah@leedsth.nhs.uk" not in page.content()
    assert_accessible(page)


def test_the_sign_up_journey_works_without_javascript(page_no_js, live_server):
    page = page_no_js
    mail.outbox.clear()
    page.goto(live_server.url + reverse("account_signup"))
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    page.goto(live_server.url + confirmation_path(mail.outbox[0]))
    page.get_by_role("button", name="Confirm email address").click()
    page.get_by_role("heading", name="Complete your profile").wait_for()


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_email_verification_sent",
        "account_reset_password",
        "account_reset_password_done",
        "account_request_login_code",
    ],
)
def test_entrance_pages_have_no_axe_violations(page, live_server, name):
    page.goto(live_server.url + reverse(name))
    assert_accessible(page)


def test_forms_with_errors_have_no_axe_violations(page, live_server):
    make_member("known@example.org", display_name="Known Person")
    sign_in(page, live_server, "known@example.org", "not-the-password")
    page.locator(".nhsuk-error-summary").wait_for()
    assert_accessible(page)
    page.goto(live_server.url + reverse("account_signup"))
    page.get_by_role("button", name="Create account").click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert_accessible(page)


def test_code_and_link_pages_have_no_axe_violations(page, live_server):
    make_member("known@example.org", display_name="Known Person")
    mail.outbox.clear()
    page.goto(live_server.url + reverse("account_request_login_code"))
    page.get_by_label("Email address").fill("known@example.org")
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_role("heading", name="Enter your sign-in code").wait_for()
    assert_accessible(page)
    page.get_by_label("Sign-in code").fill("BBBB-CCCC")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert_accessible(page)

    page.goto(live_server.url + reverse("account_reset_password"))
    page.get_by_label("Email address").fill("known@example.org")
    page.get_by_role("button", name="Send reset link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    reset_link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    page.goto(live_server.url + reset_link)
    page.get_by_role("heading", name="Choose a new password").wait_for()
    assert_accessible(page)
    page.goto(live_server.url + reverse("account_confirm_email", kwargs={"key": "made-up"}))
    assert page.title() == "Confirmation link not valid – Common Ground"
    assert_accessible(page)


MEMBER_PAGES = [
    "accounts:settings",
    "accounts:edit_profile",
    "accounts:data_export",
    "account_email",
    "account_change_password",
    "account_logout",
    "mfa_index",
    "usersessions_list",
    "account_reauthenticate",
]


def test_member_pages_have_no_axe_violations(page, live_server):
    member = make_member(
        "verified@example.org", display_name="Vera Fied", declared_interests="Shares in a provider.", verified=True
    )
    make_member("unverified@example.org", display_name="Una Verified", verified=False)
    sign_in(page, live_server, "verified@example.org")
    page.wait_for_url(live_server.url + "/")
    for name in MEMBER_PAGES:
        page.goto(live_server.url + reverse(name))
        assert_accessible(page)
    page.goto(live_server.url + member.get_absolute_url())
    assert_accessible(page)
    confirm_password(page, live_server)
    for name in ("accounts:delete_account", "mfa_activate_totp"):
        page.goto(live_server.url + reverse(name))
        assert page.url.endswith(reverse(name))
        assert_accessible(page)


def test_pages_for_an_unverified_or_new_member_have_no_axe_violations(page, live_server, login):
    newcomer = make_member("unverified@example.org", display_name="", stakeholder_group="", verified=False)
    # Signing in before confirming leads back to "check your email".
    sign_in(page, live_server, "unverified@example.org")
    page.get_by_role("heading", name="Check your email").wait_for()
    login(page, newcomer)
    for name in ("accounts:onboarding", "accounts:settings"):
        page.goto(live_server.url + reverse(name))
        expect(page.get_by_role("button", name="Send the link again")).to_be_visible()
        assert_accessible(page)


def test_two_factor_pages_have_no_axe_violations(page, live_server):
    user = make_member("mfa@example.org", display_name="Mo Factor")
    secret = give_mfa(user)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(user)
    sign_in(page, live_server, "mfa@example.org")
    page.get_by_role("heading", name="Enter your authentication code").wait_for()
    assert_accessible(page)
    page.get_by_label("Authentication code").fill("000000" if totp_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator(".nhsuk-error-summary").wait_for()
    assert_accessible(page)
    page.get_by_label("Authentication code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + reverse("mfa_reauthenticate"))
    assert_accessible(page)
    page.get_by_label("Authentication code").fill(totp_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    for name in ("mfa_index", "mfa_view_recovery_codes", "mfa_generate_recovery_codes", "mfa_deactivate_totp"):
        page.goto(live_server.url + reverse(name))
        assert page.url.endswith(reverse(name)), page.url
        assert_accessible(page)


def test_the_mfa_required_page_has_no_axe_violations(page, live_server, login):
    staff = make_member("admin@example.org", display_name="Ad Ministrator", is_staff=True)
    login(page, staff)
    page.goto(live_server.url + reverse("admin:index"))
    page.get_by_role("heading", name="Two-factor authentication needed").wait_for()
    assert_accessible(page)
