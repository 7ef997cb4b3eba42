"""A member's standing in the forum: whether they moderate, whether they facilitate, whether their
email address is confirmed, and the suspension in force. The permission rules ask here.

Each answer is worked out once per request and remembered on the user object. `load(user)` fills
them all from the shared cache, so a signed-in page does not ask the database each time (a miss
costs three small queries); without it, each question costs one EXISTS the first time, and the
visibility filters ask inside their own query (`forum.models.viewer`).

The cached entry is dropped (through `config.versions`, now and again after the commit, with a
settling time) whenever what it was made from changes: a suspension saved, deleted or lifted, the
member's groups or permissions changed, an email address of theirs saved or removed, or the
member's row saved (active, superuser). A change to a group's permissions, or a deleted group or
permission, starts a new generation, which every entry is checked against in the same round trip.
Suspensions are stored with their dates and judged at each request, so one that starts or ends
later needs no drop. Entries also expire after TIMEOUT.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models import F, Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import empty

from accounts.backends import take_read_with_member
from config import versions
from forum.models import Suspension
from forum.models.viewer import (
    MODERATE_PERMISSION,
    RESPOND_PERMISSION,
    known_moderator_status,
    permission_held,
    remember_moderator_status,
    suspension_in_force,
)

TIMEOUT = 300
GENERATION = "forum:standing:generation"


@dataclass(frozen=True)
class Standing:
    generation: str
    is_moderator: bool
    can_respond: bool
    email_verified: bool
    suspensions: tuple  # not lifted and not ended when stored; judged against the time when read


def _key(user_id: int) -> str:
    return f"forum:standing:{user_id}"


def keys_for(user_id: int) -> list[str]:
    """What `load` reads: registered to come with the member's row (`forum.apps`)."""
    return [GENERATION, _key(user_id)]


# The answers -------------------------------------------------------------------------------------


def is_moderator(user) -> bool:
    """Members with the `forum.moderate_comment` permission (directly, by group) and superusers.

    One EXISTS query the first time (ModelBackend's `has_perm` loads every permission in two),
    then remembered on the user object for the rest of the request. Pages that fetch a thread
    learn the answer from the thread query itself, or from `load`, and ask nothing here.
    """
    known = known_moderator_status(user)
    if known is None:
        known = permission_held(user, MODERATE_PERMISSION).exists()
        remember_moderator_status(user, known)
    return known


def is_facilitator(user) -> bool:
    """Members with `forum.respond_to_theme` (and superusers): they post the official response
    on a theme. Asked by every reply form, so remembered on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    known = getattr(user, "_forum_can_respond", None)
    if known is None:
        known = user._forum_can_respond = permission_held(user, RESPOND_PERMISSION).exists()
    return known


def is_admin(user) -> bool:
    """Site administrators: staff or superusers. Moderators cannot suspend them."""
    return bool(user is not None and user.is_authenticated and (user.is_staff or user.is_superuser))


def active_suspension(user):
    """The suspension in force for `user` now, or None: one indexed query, remembered on the user
    object for the rest of the request."""
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_forum_suspension"):
        user._forum_suspension = (
            suspension_in_force(user).order_by(F("ends_at").desc(nulls_first=True), "-pk").first()
        )
    return user._forum_suspension


def is_suspended(user) -> bool:
    return active_suspension(user) is not None


def describe_until(suspension) -> str:
    if suspension.ends_at is None:
        return "until a moderator lifts it"
    local = timezone.localtime(suspension.ends_at)
    return f"until {date_format(local, 'j F Y')} at {date_format(local, 'H:i')}"


def forget_suspension(user) -> None:
    """Drop the remembered answer (after suspending or lifting a suspension in this request), and
    the cached standing other requests would read it from."""
    if user is not None and hasattr(user, "_forum_suspension"):
        del user._forum_suspension
    if user is not None and user.pk is not None:
        forget(user.pk)


# The cached standing -----------------------------------------------------------------------------


def load(user) -> None:
    """Remember `user`'s standing on the user object (read with the member's row, or one cache
    round trip; three queries on a miss)."""
    if user is None or not user.is_authenticated or getattr(user, "_forum_standing_loaded", False):
        return
    if not settings.SHARED_CACHE:
        return  # no shared cache: pages ask inside their own queries, as `with_viewer_status` does
    found = take_read_with_member(user, keys_for(user.pk))
    if found is None:
        found, (generation,) = versions.read([GENERATION], _key(user.pk))
    else:
        (generation,) = versions.current(found, [GENERATION])
    standing = found.get(_key(user.pk))
    if not isinstance(standing, Standing) or standing.generation != generation:
        standing = _look_up(user, generation)
        if versions.is_settled(generation) and not versions.settling(_key(user.pk)):
            cache.set(_key(user.pk), standing, timeout=TIMEOUT)
    if known_moderator_status(user) is None:
        remember_moderator_status(user, standing.is_moderator)
    if getattr(user, "_forum_can_respond", None) is None:
        user._forum_can_respond = standing.can_respond
    if not hasattr(user, "_forum_suspension"):
        user._forum_suspension = _in_force(standing.suspensions)
    # The User's cached_property, on the user itself (request.user is a lazy wrapper with a
    # __dict__ of its own, which code holding the loaded user would not see).
    real = getattr(user, "_wrapped", user)
    (user if real is empty else real).__dict__.setdefault("email_verified", standing.email_verified)
    user._forum_standing_loaded = True


def _look_up(user, generation: str) -> Standing:
    wanted = [name.split(".", 1) for name in (MODERATE_PERMISSION, RESPOND_PERMISSION)]
    held = Permission.objects.filter(Q(user=user) | Q(group__user=user)).filter(
        content_type__app_label__in={app for app, _ in wanted}, codename__in={codename for _, codename in wanted}
    )
    held = {f"{app}.{codename}" for app, codename in held.values_list("content_type__app_label", "codename")}
    now = timezone.now()
    suspensions = tuple(
        Suspension.objects.filter(member_id=user.pk, lifted_at__isnull=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("pk")
    )
    return Standing(
        generation=generation,
        is_moderator=MODERATE_PERMISSION in held,
        can_respond=RESPOND_PERMISSION in held,
        email_verified=user.email_verified,
        suspensions=suspensions,
    )


def _in_force(suspensions):
    """The suspension in force now, chosen as `active_suspension` does: one without an end first,
    then the one that ends last, then the newest."""
    now = timezone.now()
    current = [s for s in suspensions if s.starts_at <= now and (s.ends_at is None or s.ends_at > now)]
    if not current:
        return None
    return max(current, key=lambda s: (s.ends_at is None, s.ends_at or now, s.pk))


def forget(*user_ids) -> None:
    """Drop these members' standing, now and again when the transaction commits, with a settling
    time: a request that read the rows just before the commit must not store them after it."""
    versions.drop([_key(user_id) for user_id in user_ids if user_id is not None], settle=True)


def forget_everyone() -> None:
    """Start a new generation: every stored standing is made again when next read."""
    versions.replace([GENERATION])


# Keeping entries true ------------------------------------------------------------------------------


def _suspension_changed(sender, instance, **kwargs):
    forget(instance.member_id)


def _member_saved(sender, instance, **kwargs):
    forget(instance.pk)


def _email_address_changed(sender, instance, **kwargs):
    forget(instance.user_id)


def _memberships_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A member's groups or own permissions changed (from either side of the relation)."""
    if not action.startswith("post_"):
        return
    if not reverse:
        forget(instance.pk)
    elif pk_set:
        forget(*pk_set)
    else:  # a group or permission cleared of all its members
        forget_everyone()


def _group_permissions_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        forget_everyone()


def _everyone(sender, **kwargs):
    forget_everyone()


def connect_signals() -> None:
    """Subscribe to the model signals that change a standing (called from ForumConfig.ready)."""
    user_model = get_user_model()
    post_save.connect(_suspension_changed, sender=Suspension, dispatch_uid="standing.suspension_saved")
    post_delete.connect(_suspension_changed, sender=Suspension, dispatch_uid="standing.suspension_deleted")
    post_save.connect(_member_saved, sender=user_model, dispatch_uid="standing.member_saved")
    post_save.connect(_email_address_changed, sender=EmailAddress, dispatch_uid="standing.email_saved")
    post_delete.connect(_email_address_changed, sender=EmailAddress, dispatch_uid="standing.email_deleted")
    for through in (user_model.groups.through, user_model.user_permissions.through):
        m2m_changed.connect(_memberships_changed, sender=through, dispatch_uid=f"standing.{through.__name__}")
    m2m_changed.connect(_group_permissions_changed, sender=Group.permissions.through,
                        dispatch_uid="standing.group_permissions")
    for model in (Group, Permission):
        post_delete.connect(_everyone, sender=model, dispatch_uid=f"standing.{model.__name__}_deleted")
