"""Helpers and fixtures for the moderation tests. Import the fixtures a test module needs:

    from tests.forum.moderation_support import mod_client, totp_moderator  # noqa: F401
"""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group, Permission
from django.test import Client

from accounts.models import StakeholderGroup
from forum.moderation import members as member_actions
from forum.moderation.flow import carry_out
from tests.conftest import make_member


def give_totp(user) -> str:
    """Switch on an authenticator app for `user` through allauth's own API; returns the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code an authenticator app would show now."""
    import time

    from allauth.mfa import app_settings

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def grant(user, *codenames: str, group_name: str | None = None) -> None:
    group = Group.objects.create(name=group_name or f"Test group for {user.email}")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="forum", codename__in=codenames))
    user.groups.add(group)


def make_moderator(email="mod@example.org", *, display_name="Dana Moderator", mfa=True):
    user = make_member(email, display_name=display_name, stakeholder_group=StakeholderGroup.OTHER)
    grant(user, "moderate_comment")
    if mfa:
        give_totp(user)
    return user


def make_facilitator(email="facilitator@example.org", *, display_name="Fran Facilitator", mfa=True):
    user = make_member(email, display_name=display_name, stakeholder_group=StakeholderGroup.ICB)
    grant(user, "respond_to_theme")
    if mfa:
        give_totp(user)
    return user


def make_admin(email="admin@example.org", *, display_name="Ada Admin", mfa=True):
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.create_superuser(email=email, password="a-long-test-password-42",
                                         display_name=display_name, stakeholder_group=StakeholderGroup.OTHER)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    if mfa:
        give_totp(user)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def has_authenticator(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def suspend(member, moderator, *, reason="Repeated personal attacks.", days=7):
    return carry_out(member_actions.Suspend(member, actor=moderator, reason=reason, days=days)).suspension


@pytest.fixture
def totp_moderator(db):
    return make_moderator()


@pytest.fixture
def mod_client(totp_moderator):
    return client_for(totp_moderator)


@pytest.fixture
def facilitator(db):
    return make_facilitator()


@pytest.fixture
def site_admin(db):
    return make_admin()
