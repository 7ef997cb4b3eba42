"""`manage.py create_moderator`: a new install's first moderator in one command."""

from __future__ import annotations

import io
import logging
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.helpers import totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-moderator-password-42"


def create(monkeypatch, *args: str, password: str = PASSWORD) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("create_moderator", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_the_moderator_can_sign_in_with_the_code_and_open_the_queue(monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    output = create(monkeypatch, "--email", "Mo@Example.org", "--name", "Morgan Hale")

    secret = re.search(r"Or type the secret: (\S+)", output).group(1)
    assert "otpauth://totp/" in output and "Recovery codes" in output
    assert secret not in caplog.text  # on the terminal only, never in the log
    user = User.objects.get(email="mo@example.org")
    assert EmailAddress.objects.get(user=user).verified
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    client = Client()
    response = client.post(reverse("account_login"), {"login": "mo@example.org", "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert client.get(reverse("forum:moderation_queue")).status_code == 200


def test_an_existing_address_or_name_or_a_weak_password_is_refused_and_nothing_is_made(monkeypatch):
    create(monkeypatch, "--email", "mo@example.org", "--name", "Morgan Hale")
    with pytest.raises(CommandError, match="already has an account"):
        create(monkeypatch, "--email", "MO@example.org", "--name", "Someone Else")
    with pytest.raises(CommandError, match="already called"):
        create(monkeypatch, "--email", "other@example.org", "--name", "Morgan Hale")
    with pytest.raises(CommandError):
        create(monkeypatch, "--email", "weak@example.org", "--name", "Weak Password", password="1234")
    assert not User.objects.filter(email__in=["other@example.org", "weak@example.org"]).exists()
