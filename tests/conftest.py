"""Fixtures shared by the whole suite."""

from __future__ import annotations

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from django.core.cache import cache, caches
from django.test import Client

from accounts.models import StakeholderGroup, User
from accounts.permissions import has_mfa

password_only_login = Client.force_login  # a session that has not passed a second factor


def record_second_factor(client: Client, user) -> None:
    """Note in the client's session that it passed a second factor, as allauth does after a code."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "at": time.time(), "type": "totp"}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached pages must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cache_reads(monkeypatch):
    """The keys of each cache read, one list per round trip (the local-memory cache answers
    get_many with a get per key: those are not counted again)."""
    backend = caches["default"]
    reads: list[list[str]] = []
    get, get_many = backend.get, backend.get_many
    inside = []  # the local-memory cache answers get_many with a get per key

    def recording_get(key, *args, **kwargs):
        if not inside:
            reads.append([key])
        return get(key, *args, **kwargs)

    def recording_get_many(keys, *args, **kwargs):
        keys = list(keys)
        reads.append(keys)
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(backend, "get", recording_get)
    monkeypatch.setattr(backend, "get_many", recording_get_many)
    return reads


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`force_login` signs in as the real sign-in would: a member with two-factor authentication
    on has passed it in that session. Tests of a password-only session use `password_only_login`."""

    def force_login(self, user, backend=None):
        password_only_login(self, user, backend)
        if has_mfa(user):
            record_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _members_cache_settles_at_once(monkeypatch):
    """A member's row and standing may be stored straight after a change (signing in saves the
    row); the settling time itself is tested on its own."""
    from config import versions

    monkeypatch.setattr(versions, "DROP_SETTLE_SECONDS", 0)


def make_member(
    email: str = "member@example.org",
    *,
    password: str = "a-long-test-password-42",  # noqa: S107 - test fixture
    display_name: str = "Alex Member",
    stakeholder_group: str = StakeholderGroup.NHS,
    verified: bool = True,
    **extra,
) -> User:
    """A member with a complete profile and (by default) a verified email address."""
    user = User.objects.create_user(
        email=email,
        password=password,
        display_name=display_name,
        stakeholder_group=stakeholder_group,
        **extra,
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


@pytest.fixture
def member(db) -> User:
    return make_member()


@pytest.fixture
def unverified_member(db) -> User:
    return make_member("unverified@example.org", display_name="Una Verified", verified=False)


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client
