"""Every account page for anonymous, unverified and verified people, and with the wrong method."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse

from tests.accounts.helpers import give_mfa, reauthenticate
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

LOGIN = "login"
REAUTH = "reauthenticate"
HOME = "home"

# (URL name, anonymous, unverified, verified, which client tries the wrong method)
# An int is the status code; LOGIN, REAUTH and HOME are where the page redirects.
PAGES = [
    ("account_login", 200, HOME, HOME, "anonymous"),
    ("account_signup", 200, HOME, HOME, "anonymous"),
    ("account_reset_password", 200, 200, 200, "anonymous"),
    ("account_reset_password_done", 200, 200, 200, "anonymous"),
    ("account_request_login_code", 200, HOME, HOME, "anonymous"),
    ("account_email_verification_sent", 200, 200, 200, "anonymous"),
    ("account_logout", HOME, 200, 200, "verified"),
    ("account_email", LOGIN, 200, 200, "verified"),
    ("account_change_password", LOGIN, 200, 200, "verified"),
    ("account_reauthenticate", LOGIN, 200, 200, "verified"),
    ("mfa_index", LOGIN, 200, 200, "verified"),
    ("mfa_activate_totp", LOGIN, "mfa_index", REAUTH, "reauthenticated"),
    ("usersessions_list", LOGIN, 200, 200, "verified"),
    ("accounts:settings", LOGIN, 200, 200, "verified"),
    ("accounts:edit_profile", LOGIN, 200, 200, "verified"),
    ("accounts:data_export", LOGIN, 200, 200, "verified"),
    ("accounts:delete_account", LOGIN, REAUTH, REAUTH, "verified"),
]


def _expected_location(expected: str, path: str) -> str:
    if expected == LOGIN:
        return reverse("account_login") + "?next="
    if expected == REAUTH:
        return reverse("account_reauthenticate") + "?next="
    if expected == HOME:
        return "/"
    return reverse(expected)


@pytest.fixture
def clients(db):
    unverified = make_member("unverified@example.org", display_name="Una Verified", verified=False)
    verified = make_member("verified@example.org", display_name="Vera Verified")
    result = {"anonymous": Client()}
    for kind, user in (("unverified", unverified), ("verified", verified)):
        client = Client()
        client.force_login(user)
        result[kind] = client
    result["reauthenticated"] = Client()
    result["reauthenticated"].force_login(make_member("again@example.org", display_name="Re Authenticated"))
    reauthenticate(result["reauthenticated"])
    return result


@pytest.mark.parametrize(("name", "anonymous", "unverified", "verified", "_"), PAGES)
@pytest.mark.parametrize("kind", ["anonymous", "unverified", "verified"])
def test_page_answers_each_kind_of_visitor(clients, kind, name, anonymous, unverified, verified, _):
    expected = {"anonymous": anonymous, "unverified": unverified, "verified": verified}[kind]
    path = reverse(name)
    response = clients[kind].get(path)
    if isinstance(expected, int):
        assert response.status_code == expected
    else:
        assert response.status_code == 302
        location = response["Location"]
        wanted = _expected_location(expected, path)
        assert location == wanted if expected == HOME else location.startswith(wanted), location


@pytest.mark.parametrize(("name", "_a", "_u", "_v", "kind"), PAGES)
def test_page_refuses_the_wrong_http_method(clients, name, _a, _u, _v, kind):
    assert clients[kind].delete(reverse(name)).status_code == 405


def test_get_on_sign_out_asks_and_does_not_sign_out(clients):
    response = clients["verified"].get(reverse("account_logout"))
    assert response.status_code == 200
    assert "Do you want to sign out" in response.content.decode()
    assert "_auth_user_id" in clients["verified"].session


def test_pages_behind_reauthentication_open_after_the_password_is_confirmed(clients):
    client = clients["verified"]
    reauthenticate(client)
    assert client.get(reverse("accounts:delete_account")).status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


@pytest.mark.parametrize("name", ["mfa_deactivate_totp", "mfa_view_recovery_codes", "mfa_generate_recovery_codes"])
def test_mfa_pages_need_mfa_and_open_with_it(clients, name):
    client = clients["verified"]
    assert client.get(reverse(name)).status_code in {302, 404}
    user = make_member("withmfa@example.org", display_name="Mo Factor")
    give_mfa(user)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(user)
    with_mfa = Client()
    with_mfa.force_login(user)
    reauthenticate(with_mfa)
    assert with_mfa.get(reverse(name)).status_code == 200
    assert with_mfa.delete(reverse(name)).status_code == 405


def test_onboarding_for_each_kind_of_visitor(clients):
    assert clients["anonymous"].get(reverse("accounts:onboarding"))["Location"].startswith(reverse("account_login"))
    # Complete profiles go to the edit page.
    assert clients["verified"].get(reverse("accounts:onboarding"))["Location"] == reverse("accounts:edit_profile")
    for verified in (False, True):
        user = make_member(f"new{verified}@example.org", display_name="", stakeholder_group="", verified=verified)
        client = Client()
        client.force_login(user)
        response = client.get(reverse("accounts:onboarding"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Complete your profile" in html
        assert ("Send the link again" in html) is (not verified)
        assert client.delete(reverse("accounts:onboarding")).status_code == 405


def test_resend_verification_for_each_kind_of_visitor(clients, mailoutbox):
    url = reverse("accounts:resend_verification")
    assert clients["anonymous"].post(url)["Location"].startswith(reverse("account_login"))
    response = clients["unverified"].post(url, {"next": "/articles/"})
    assert response["Location"] == "/articles/"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["unverified@example.org"]
    # A second request within allauth's cooldown sends nothing and says why.
    response = clients["unverified"].post(url, follow=True)
    assert len(mailoutbox) == 1
    assert "in the last few minutes" in response.content.decode()
    response = clients["verified"].post(url, follow=True)
    assert "already confirmed" in response.content.decode()
    assert len(mailoutbox) == 1
    assert clients["verified"].get(url).status_code == 405


def test_resend_verification_ignores_a_next_url_on_another_site(clients):
    response = clients["unverified"].post(reverse("accounts:resend_verification"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("accounts:settings")


def test_settings_tell_an_unverified_member_why_they_cannot_post(clients):
    html = clients["unverified"].get(reverse("accounts:settings")).content.decode()
    assert "Confirm your email address before you take part" in html
    assert reverse("accounts:resend_verification") in html
    html = clients["verified"].get(reverse("accounts:settings")).content.decode()
    assert "Confirm your email address before you take part" not in html
    assert reverse("accounts:data_export") in html and reverse("accounts:delete_account") in html


def test_confirm_login_code_without_a_pending_code_goes_back_to_requesting_one(clients):
    response = clients["anonymous"].get(reverse("account_confirm_login_code"))
    assert response["Location"] == reverse("account_request_login_code")


def test_mfa_authenticate_without_a_pending_sign_in_goes_to_sign_in(clients):
    response = clients["anonymous"].get(reverse("mfa_authenticate"))
    assert response["Location"] == reverse("account_login")


def test_every_account_page_has_its_own_title(clients):
    user = make_member("titles@example.org", display_name="Tia Tles", verified=True)
    give_mfa(user)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(user)
    member = Client()
    member.force_login(user)
    reauthenticate(member)
    newcomer = Client()
    newcomer.force_login(make_member("new@example.org", display_name="", stakeholder_group=""))
    reauthenticate(newcomer)
    pages = [
        (clients["anonymous"], "account_login"),
        (clients["anonymous"], "account_signup"),
        (clients["anonymous"], "account_reset_password"),
        (clients["anonymous"], "account_reset_password_done"),
        (clients["anonymous"], "account_request_login_code"),
        (clients["anonymous"], "account_email_verification_sent"),
        (member, "account_logout"),
        (member, "account_email"),
        (member, "account_change_password"),
        (member, "account_reauthenticate"),
        (member, "mfa_index"),
        (member, "mfa_reauthenticate"),
        (member, "mfa_deactivate_totp"),
        (member, "mfa_view_recovery_codes"),
        (member, "mfa_generate_recovery_codes"),
        (newcomer, "mfa_activate_totp"),
        (member, "usersessions_list"),
        (member, "accounts:settings"),
        (member, "accounts:edit_profile"),
        (newcomer, "accounts:onboarding"),
        (member, "accounts:data_export"),
        (member, "accounts:delete_account"),
    ]
    titles = {}
    for client, name in pages:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        title = " ".join(BeautifulSoup(response.content, "html.parser").title.get_text().split())
        assert title.endswith("– Common Ground"), (name, title)
        titles.setdefault(title, []).append(name)
    profile = clients["anonymous"].get(user.get_absolute_url())
    title = " ".join(BeautifulSoup(profile.content, "html.parser").title.get_text().split())
    titles.setdefault(title, []).append("profile")
    duplicates = {title: names for title, names in titles.items() if len(names) > 1}
    assert duplicates == {}


def test_every_account_page_uses_the_site_layout_and_nhs_form_markup(clients):
    response = clients["anonymous"].get(reverse("account_login"))
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.html["lang"] == "en-GB"
    assert soup.select_one("header.nhsuk-header") is not None
    assert soup.select_one("main#maincontent form .nhsuk-form-group label.nhsuk-label[for=id_login]") is not None
    assert soup.select_one("input#id_login.nhsuk-input") is not None
    assert soup.select_one("[placeholder]") is None
