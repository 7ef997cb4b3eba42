"""Authentication backends that keep each signed-in member's row in the shared cache.

Django loads the member's row from the database on every request that reads `request.user`. The
row changes rarely, and every change goes through `save()` (a new password, a deactivation, a
profile edit) or `delete()`, which drop the cached copy through `config.versions` (at once and
again after the commit, with a settling time). The
checks Django makes on each request still run on the cached copy: the session's password hash
(a changed password signs other sessions out) and, here, whether the account may sign in.
Without a shared cache (`SHARED_CACHE` off) the row is read from the database as usual.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from config import versions

TIMEOUT = 300


def _key(user_id) -> str:
    return f"accounts:user:{user_id}"


class CachedUserMixin:
    def get_user(self, user_id):
        if not settings.SHARED_CACHE:
            return super().get_user(user_id)
        user = cache.get(_key(user_id))
        if user is None:
            user = super().get_user(user_id)
            if user is not None and not versions.settling(_key(user_id)):  # see `forget_user`
                cache.set(_key(user_id), user, TIMEOUT)
            return user
        return user if self.user_can_authenticate(user) else None


class CachedModelBackend(CachedUserMixin, ModelBackend):
    pass


class CachedAuthenticationBackend(CachedUserMixin, AuthenticationBackend):
    """allauth's backend (email sign-in), with the member's row from the cache."""


def forget_user(sender, instance, **kwargs) -> None:
    """Drop the member's cached row now and again after the commit; for a few seconds after
    each, a row read is used but not stored, so a request that read it just before the commit
    cannot store the old row after it."""
    versions.drop([_key(instance.pk)], settle=True)
