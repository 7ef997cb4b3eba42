"""Helpers for driving allauth's real views in tests."""

from __future__ import annotations

import re
import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.permissions import MODERATORS_GROUP

PASSWORD = "a-long-test-password-42"
LINK_RE = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)")
CODE_RE = re.compile(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]+)*)\s*$", re.MULTILINE)


def confirmation_path(message) -> str:
    """The path of the email-confirmation link in a sent email."""
    match = LINK_RE.search(message.body)
    assert match, f"No confirmation link in: {message.body}"
    return match.group(1)


def login_code(message) -> str:
    match = CODE_RE.search(message.body)
    assert match, f"No sign-in code in: {message.body}"
    return match.group(1)


def totp_code(secret: str, steps_ahead: int = 0) -> str:
    """The authenticator app's code now (or `steps_ahead` 30-second steps later)."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + steps_ahead
    return format_hotp_value(hotp_value(secret, counter))


def reauthenticate(client, password: str = PASSWORD):
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def activate_totp(client, password: str = PASSWORD) -> str:
    """Turn on an authenticator app through allauth's views; returns the TOTP secret."""
    reauthenticate(client, password)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:3000]
    return secret


def give_mfa(user) -> str:
    """Give `user` an authenticator directly (for tests that are not about setting it up)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def make_moderator(user) -> None:
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    # Permission caches live on the instance.
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attr, None)
