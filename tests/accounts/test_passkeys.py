"""Passkeys and security keys (WebAuthn) count as a second factor, like an authenticator app: a
moderator with only a passkey may open moderation pages once the session has used it, and a
session that signed in with the passkey alone has passed the second factor."""

from __future__ import annotations

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from accounts.permissions import has_mfa, mfa_refusal
from tests.conftest import password_only_login
from tests.forum.moderation_support import make_moderator

pytestmark = pytest.mark.django_db


def give_passkey(user) -> Authenticator:
    """A stored passkey; its credential is never checked by these tests."""
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop", "passwordless": True, "credential": {}}
    )


@pytest.fixture
def no_credential_data(monkeypatch):
    """Pages that start a WebAuthn ceremony read the stored public key; these keys have none."""
    from allauth.mfa.webauthn.internal import auth

    monkeypatch.setattr(auth, "get_credentials", lambda user: [])


@pytest.fixture
def passkey_moderator(db):
    moderator = make_moderator(mfa=False)
    give_passkey(moderator)
    return moderator


def signed_in_with_passkey(user) -> Client:
    """A session as allauth leaves it after "Sign in with a passkey": one record, no password."""
    client = Client()
    password_only_login(client, user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "at": time.time(), "id": user.authenticator_set.get().pk, "type": "webauthn",
         "passwordless": True},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


def test_a_passkey_counts_as_two_factor_authentication(passkey_moderator):
    assert has_mfa(passkey_moderator)
    assert mfa_refusal(passkey_moderator) is None


def test_a_moderator_signed_in_with_a_passkey_reaches_the_queue(passkey_moderator):
    response = signed_in_with_passkey(passkey_moderator).get(reverse("forum:moderation_queue"))

    assert response.status_code == 200


def test_a_password_only_session_of_a_passkey_moderator_is_asked_for_the_passkey(passkey_moderator):
    client = Client()
    password_only_login(client, passkey_moderator)

    response = client.get(reverse("forum:moderation_queue"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_reauthenticate_webauthn") + "?next=%2Fmoderation%2F"


def test_a_moderator_with_an_app_and_a_passkey_is_asked_for_a_code_with_the_passkey_offered(passkey_moderator):
    from tests.forum.moderation_support import give_totp

    give_totp(passkey_moderator)
    client = Client()
    password_only_login(client, passkey_moderator)

    response = client.get(reverse("forum:moderation_queue"))

    assert response["Location"] == reverse("mfa_reauthenticate") + "?next=%2Fmoderation%2F"
    page = client.get(response["Location"]).content.decode()
    assert reverse("mfa_reauthenticate_webauthn") in page and "Use a passkey or security key" in page


def test_the_passkey_confirmation_page_says_javascript_is_needed(passkey_moderator, no_credential_data):
    client = Client()
    password_only_login(client, passkey_moderator)

    html = client.get(reverse("mfa_reauthenticate_webauthn")).content.decode()

    assert "<noscript>" in html and "need JavaScript" in html
    assert 'id="js_data" type="application/json"' in html


def test_the_list_names_each_passkey_with_rename_and_remove_links(passkey_moderator):
    client = signed_in_with_passkey(passkey_moderator)
    key = passkey_moderator.authenticator_set.get()

    html = client.get(reverse("mfa_list_webauthn")).content.decode()

    assert "Laptop" in html and "Passkey" in html
    assert reverse("mfa_remove_webauthn", args=[key.pk]) in html
    assert reverse("mfa_edit_webauthn", args=[key.pk]) in html


def test_the_sign_in_page_offers_a_passkey_and_says_it_needs_javascript(client):
    html = client.get(reverse("account_login")).content.decode()

    assert 'id="passkey_login"' in html and "need JavaScript" in html


def test_the_code_page_offers_a_passkey_only_to_people_who_have_one(db, no_credential_data):
    app_only = make_moderator("app@example.org", display_name="App Only")
    client = Client()
    client.post(reverse("account_login"), {"login": app_only.email, "password": "a-long-test-password-42"})
    assert "Use a passkey" not in client.get(reverse("mfa_authenticate")).content.decode()

    both = make_moderator("both@example.org", display_name="Both Ways")
    give_passkey(both)
    client = Client()
    client.post(reverse("account_login"), {"login": both.email, "password": "a-long-test-password-42"})
    assert "Use a passkey" in client.get(reverse("mfa_authenticate")).content.decode()
