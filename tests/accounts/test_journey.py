"""A member's whole journey, through the real views: sign up to deletion."""

from __future__ import annotations

import json

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.models import AffiliationSource, StakeholderGroup, User
from tests.accounts.helpers import PASSWORD, activate_totp, confirmation_path, login_code, reauthenticate, totp_code

pytestmark = pytest.mark.django_db


def sign_up_and_confirm(client, mailoutbox, email: str) -> User:
    response = client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [email]
    assert mailoutbox[0].subject.startswith("[Common Ground] Confirm your email address")

    link = confirmation_path(mailoutbox[0])
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm email address" in page.content.decode()
    response = client.post(link)
    # The browser that signed up is signed in on confirming, and sent to complete the profile.
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:onboarding")
    return User.objects.get(email=email)


def complete_profile(client, **overrides) -> None:
    data = {
        "display_name": "Priya Shah",
        "stakeholder_group": StakeholderGroup.NHS,
        "organisation_name": "Leeds Teaching Hospitals NHS Trust",
        "job_title": "Head of Planned Care",
        "declared_interests": "",
        **overrides,
    }
    response = client.post(reverse("accounts:onboarding"), data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_the_whole_journey_from_sign_up_to_deletion(client, mailoutbox):
    # Sign up, confirm, complete the profile: a trust's nhs.uk address verifies the NHS group.
    user = sign_up_and_confirm(client, mailoutbox, "priya.shah@leedsth.nhs.uk")
    assert EmailAddress.objects.get(user=user).verified
    onboarding = client.get(reverse("accounts:onboarding"))
    assert onboarding.status_code == 200
    html = onboarding.content.decode()
    assert 'value="nhs" checked' in html  # the register suggests the group its domain confirms
    complete_profile(client)
    user.refresh_from_db()
    assert user.can_participate
    assert user.affiliation_verified
    assert user.affiliation_source == AffiliationSource.EMAIL_DOMAIN

    profile = client.get(user.get_absolute_url()).content.decode()
    assert "Verified" in profile and "Self-declared" not in profile
    assert "priya.shah@leedsth.nhs.uk" not in profile

    # Sign out (POST only) and in again with the password.
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("account_login"), {"login": "priya.shah@leedsth.nhs.uk", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"

    # Sign out and in by a code sent by email.
    client.post(reverse("account_logout"))
    mailoutbox.clear()
    response = client.post(reverse("account_request_login_code"), {"email": "priya.shah@leedsth.nhs.uk"})
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    code = login_code(mailoutbox[0])
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk

    # Turn on an authenticator app; the next sign-in asks for its code.
    secret = activate_totp(client)
    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": "priya.shah@leedsth.nhs.uk", "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, steps_ahead=1)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk

    # Download my data: it holds the profile, the addresses and the affiliation history.
    reauthenticate(client)
    download = client.post(reverse("accounts:data_export"))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="common-ground-my-data-')
    data = json.loads(download.content)
    assert data["accounts"]["profile"]["display_name"] == "Priya Shah"
    addresses = data["accounts"]["email_addresses"]
    assert addresses == [{"email": "priya.shah@leedsth.nhs.uk", "confirmed": True, "primary": True}]
    history = [e["what"] for e in data["accounts"]["affiliation_history"]]
    assert history == [
        "Organisation verified by email domain",
        "Group changed by the member",
        "Verified by email domain",
    ]
    assert "secret" not in download.content.decode().lower()

    # Delete the account: the row stays, emptied, and can no longer sign in.
    response = client.post(reverse("accounts:delete_account"), {"confirm": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_former_member and not user.is_active
    assert user.public_name == "Former member"
    assert user.display_name == "" and "nhs.uk" not in user.email
    assert not EmailAddress.objects.filter(email="priya.shah@leedsth.nhs.uk").exists()
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("account_login"), {"login": "priya.shah@leedsth.nhs.uk", "password": PASSWORD})
    assert response.status_code == 200
    assert "The email address or password is not right" in response.content.decode()


def test_a_gmail_address_leaves_the_group_self_declared(client, mailoutbox):
    user = sign_up_and_confirm(client, mailoutbox, "sam.jones@gmail.com")
    onboarding = client.get(reverse("accounts:onboarding")).content.decode()
    assert 'checked' not in onboarding.split('name="stakeholder_group"')[1][:200]
    complete_profile(client, display_name="Sam Jones")
    user.refresh_from_db()
    assert user.profile_complete
    assert not user.affiliation_verified
    profile = client.get(user.get_absolute_url()).content.decode()
    assert "Self-declared" in profile


def test_someone_who_confirms_in_another_browser_signs_in_then_completes_their_profile(client, mailoutbox):
    client.post(reverse("account_signup"), {"email": "ola@example.org", "password1": PASSWORD, "password2": PASSWORD})
    link = confirmation_path(mailoutbox[0])
    other_browser = type(client)()
    response = other_browser.post(link)
    assert response["Location"] == reverse("account_login")
    response = other_browser.post(reverse("account_login"), {"login": "ola@example.org", "password": PASSWORD})
    assert response["Location"] == reverse("accounts:onboarding")


def test_confirming_the_address_shows_one_banner_not_two(client, mailoutbox):
    sign_up_and_confirm(client, mailoutbox, "one.banner@example.org")
    page = BeautifulSoup(client.get(reverse("accounts:onboarding")).content, "html.parser")
    banners = [" ".join(b.get_text(" ").split()) for b in page.select("main [role=status]")]
    assert banners == ["Information: You have confirmed one.banner@example.org."]
