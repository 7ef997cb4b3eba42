"""Authentication backends that keep each signed-in member's row in the shared cache.

Django loads the member's row from the database on every request that reads `request.user`. The
row changes rarely, and every change goes through `save()` (a new password, a deactivation, a
profile edit) or `delete()`, which drop the cached copy through `config.versions` (at once and
again after the commit, with a settling time). The
checks Django makes on each request still run on the cached copy: the session's password hash
(a changed password signs other sessions out) and, here, whether the account may sign in.
Without a shared cache (`SHARED_CACHE` off) the row is read from the database as usual.

Other packages that read a cache entry of the member's on every signed-in request (the forum's
standing, the unread notification count) register its keys with `read_with_member` in their
`AppConfig.ready()`: they come in the same round trip as the row, and wait on the user until the
package takes them (`take_read_with_member`), once. The session store (`accounts.sessions`) reads
all of them in the same round trip as the session, when it knows whose the session is.
"""

from __future__ import annotations

import threading

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.signals import request_finished, request_started

from config import versions

TIMEOUT = 300

_COMPANIONS: list = []  # functions of a user id giving keys to read with the row
_ahead = threading.local()  # this request's row and companions, read with the session


def _key(user_id) -> str:
    return f"accounts:user:{user_id}"


def read_with_member(keys_for) -> None:
    """Read `keys_for(user_id)` in the same round trip as each signed-in member's row."""
    _COMPANIONS.append(keys_for)


def member_keys(user_id) -> list[str]:
    """The member's row's key and every key registered to be read with it."""
    return [_key(user_id), *(key for keys_for in _COMPANIONS for key in keys_for(user_id))]


def read_ahead(user_id, keys: list[str], found: dict) -> None:
    """The session store read `keys` (`member_keys(user_id)`) with the session: `get_user` takes
    them instead of reading them again, in this request only."""
    _ahead.read = (str(user_id), keys, found)


def _take_ahead(user_id) -> dict | None:
    read, _ahead.read = getattr(_ahead, "read", None), None
    if read is None or read[0] != str(user_id):
        return None
    return read[2]


def _forget_ahead(**kwargs) -> None:
    _ahead.read = None


# What was read ahead belongs to one request: never to the next one this thread serves.
request_started.connect(_forget_ahead, dispatch_uid="accounts.backends.forget_ahead_started")
request_finished.connect(_forget_ahead, dispatch_uid="accounts.backends.forget_ahead_finished")


def take_read_with_member(user, keys: list[str]) -> dict | None:
    """What came back under `keys` with `user`'s row (absent keys were not in the cache), or None
    when they were not read with it or were taken already: the caller then reads them itself."""
    read = getattr(user, "_read_with_row", None)
    if read is None or not set(keys) <= read["waiting"]:
        return None
    read["waiting"].difference_update(keys)
    return {key: read["found"][key] for key in keys if key in read["found"]}


class CachedUserMixin:
    def get_user(self, user_id):
        if not settings.SHARED_CACHE:
            return super().get_user(user_id)
        companions = member_keys(user_id)[1:]
        found = _take_ahead(user_id)
        if found is None:
            found = cache.get_many([_key(user_id), *companions])
        user = found.pop(_key(user_id), None)
        if user is None:
            user = super().get_user(user_id)
            if user is not None and not versions.settling(_key(user_id)):  # see `forget_user`
                cache.set(_key(user_id), user, TIMEOUT)
            return user
        if not self.user_can_authenticate(user):
            return None
        user._read_with_row = {"found": found, "waiting": set(companions)}
        return user


class CachedModelBackend(CachedUserMixin, ModelBackend):
    pass


class CachedAuthenticationBackend(CachedUserMixin, AuthenticationBackend):
    """allauth's backend (email sign-in), with the member's row from the cache."""


def forget_user(sender, instance, **kwargs) -> None:
    """Drop the member's cached row now and again after the commit; for a few seconds after
    each, a row read is used but not stored, so a request that read it just before the commit
    cannot store the old row after it."""
    versions.drop([_key(instance.pk)], settle=True)
