"""What one request knows about its reader: moderator or not, suspended or not.

The answers are kept on the user object for the rest of the request (`forum.standing` fills them
from the shared cache; a page's own query can answer them with the EXISTS expressions below).
They live beside the models because the visibility filters in `querysets` read them, and nothing
at this level may import the rules above it.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Exists, Q
from django.utils import timezone

MODERATE_PERMISSION = "forum.moderate_comment"
RESPOND_PERMISSION = "forum.respond_to_theme"


def permission_held(user, permission: str):
    """Permission rows for `permission` that `user` holds directly or through a group."""
    app_label, codename = permission.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).filter(
        Q(user=user) | Q(group__user=user)
    )


def moderator_exists(user):
    """An SQL EXISTS that is true when `user` holds the moderation permission (directly or by
    group), so a visibility filter can answer "is the reader a moderator?" inside its own query."""
    return Exists(permission_held(user, MODERATE_PERMISSION))


def suspension_in_force(user):
    """The member's suspensions in force now (reached through the user, so no model import)."""
    now = timezone.now()
    return user.suspensions.filter(lifted_at__isnull=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )


def suspension_exists(user):
    """An SQL EXISTS that is true when `user` is suspended now, so a page's own query can answer
    the question (see `ThreadQuerySet.with_viewer_status`) instead of a query of its own."""
    return Exists(suspension_in_force(user))


def known_moderator_status(user) -> bool | None:
    """True or False when the answer costs no query (anonymous, superuser, already asked)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return getattr(user, "_forum_is_moderator", None)


def remember_moderator_status(user, value: bool) -> None:
    """Keep an answer a query already gave (see `ThreadQuerySet.with_viewer_status`)."""
    if user is not None and user.is_authenticated:
        user._forum_is_moderator = bool(value)


def remember_suspension_status(user, suspended: bool) -> None:
    """Keep the answer `suspension_exists` gave. "Not suspended" needs nothing more; a suspended
    member's suspension (reason, end) is loaded when a page first needs it."""
    if user is not None and user.is_authenticated and not suspended:
        user._forum_suspension = None
