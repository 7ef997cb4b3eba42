"""Moderation permission rules: suspensions, flags, appeals, acting as a moderator or facilitator.

Re-exported by `forum.permissions` (one import line at its end), so views and templates ask one
module. Like that module, it imports no models at import time: querysets import permissions, and
models import querysets. `forum.permissions` is imported inside the functions for the same reason
(either module may be imported first).

Who may act:
- Moderators hold `forum.moderate_comment` (the Moderators group, or superusers). They work the
  review queue, hide, delete and edit comments, warn and suspend members, lock, pin and move
  threads, open and close themes, edit the word filters and read the moderation log.
- Facilitators hold `forum.respond_to_theme`: they post the official response on a theme.
- Both must have two-factor authentication switched on before any of it
  (`accounts.permissions.require_mfa` on every such view).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format

RESPOND_PERMISSION = "forum.respond_to_theme"


def _is_moderator(user) -> bool:
    from forum.permissions import is_moderator

    return is_moderator(user)


def is_admin(user) -> bool:
    """Site administrators: staff or superusers. Moderators cannot suspend them."""
    return bool(user is not None and user.is_authenticated and (user.is_staff or user.is_superuser))


def active_suspension(user):
    """The suspension in force for `user` now, or None.

    Asked on every page where the member could act, so it is one indexed query remembered on the
    user object for the rest of the request.
    """
    if user is None or not user.is_authenticated:
        return None
    if hasattr(user, "_forum_suspension"):
        return user._forum_suspension
    from django.db.models import F, Q

    from forum.models import Suspension

    now = timezone.now()
    suspension = (
        Suspension.objects.filter(member_id=user.pk, lifted_at__isnull=True, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by(F("ends_at").desc(nulls_first=True), "-pk")
        .first()
    )
    user._forum_suspension = suspension
    return suspension


def suspension_exists(user):
    """An SQL EXISTS that is true when `user` is suspended now, so a page's own query can answer
    the question (see `ThreadQuerySet.with_viewer_status`) instead of a query of its own."""
    from django.db.models import Exists, Q

    from forum.models import Suspension

    now = timezone.now()
    return Exists(
        Suspension.objects.filter(member_id=user.pk, lifted_at__isnull=True, starts_at__lte=now).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )
    )


def remember_suspension_status(user, suspended: bool) -> None:
    """Keep the answer `suspension_exists` gave. "Not suspended" needs nothing more; a suspended
    member's suspension (reason, end) is loaded when a page first needs it."""
    if user is not None and user.is_authenticated and not suspended:
        user._forum_suspension = None


def forget_suspension(user) -> None:
    """Drop the remembered answer (after suspending or lifting a suspension in this request), and
    the cached standing other requests would read it from."""
    from forum import standing

    if user is not None and hasattr(user, "_forum_suspension"):
        del user._forum_suspension
    if user is not None and user.pk is not None:
        standing.forget(user.pk)


def is_suspended(user) -> bool:
    return active_suspension(user) is not None


def describe_until(suspension) -> str:
    if suspension.ends_at is None:
        return "until a moderator lifts it"
    local = timezone.localtime(suspension.ends_at)
    return f"until {date_format(local, 'j F Y')} at {date_format(local, 'H:i')}"


def suspension_refusal(user) -> str | None:
    """Why a suspended member may not post, react, flag or follow: the reason and until when."""
    suspension = active_suspension(user)
    if suspension is None:
        return None
    return (
        f"Your account is suspended {describe_until(suspension)}, so you can read and download your data "
        f"but cannot post, react, report or follow. The reason given: {suspension.reason}"
    )


# Flags -----------------------------------------------------------------------------------------


def flag_comment_refusal(user, comment) -> str | None:
    """Why this person may not report this comment (verified, not suspended, not their own)."""
    from forum.permissions import participation_refusal

    if reason := participation_refusal(user):
        return reason
    if comment.author_id == user.pk:
        return "You cannot report your own comment. You can edit or delete it instead."
    if comment.is_deleted:
        return "This comment has been deleted, so there is nothing to report."
    if comment.is_hidden and not comment.hidden_automatically:
        return "Moderators have already hidden this comment."
    if comment.needs_approval:
        return "This comment is waiting for a moderator already."
    return None


def can_flag_comment(user, comment) -> bool:
    return flag_comment_refusal(user, comment) is None


def flag_thread_refusal(user, thread) -> str | None:
    from forum.permissions import participation_refusal

    if reason := participation_refusal(user):
        return reason
    if thread.author_id == user.pk:
        return "You cannot report a discussion you started."
    if thread.is_hidden:
        return "Moderators have already hidden this discussion."
    if thread.needs_approval:
        return "This discussion is waiting for a moderator already."
    return None


def can_flag_thread(user, thread) -> bool:
    return flag_thread_refusal(user, thread) is None


# Acting as a moderator or facilitator ------------------------------------------------------------


def can_moderate(user) -> bool:
    return _is_moderator(user)


def can_post_as_moderator(user) -> bool:
    return _is_moderator(user)


def can_respond_to_theme(user) -> bool:
    """Facilitators (and superusers) post the official "you said, we did" response."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_forum_can_respond", None)
    if cached is None:
        # One EXISTS query (ModelBackend's has_perm would load every permission in two); asked
        # by every reply form, so remembered on the user object for the request.
        from django.contrib.auth.models import Permission
        from django.db.models import Q

        app_label, codename = RESPOND_PERMISSION.split(".")
        cached = (
            Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            .filter(Q(user=user) | Q(group__user=user))
            .exists()
        )
        user._forum_can_respond = cached
    return cached


def can_change_theme_status(user) -> bool:
    """Closing or reopening a theme: moderators and facilitators."""
    return _is_moderator(user) or can_respond_to_theme(user)


def suspend_refusal(actor, member) -> str | None:
    """Why `actor` may not suspend `member`: only moderators, never an admin or themself."""
    if not _is_moderator(actor):
        return "Only moderators can suspend members."
    if member.pk == actor.pk:
        return "You cannot suspend yourself."
    if is_admin(member):
        return "Administrators cannot be suspended by moderators."
    if member.is_former_member:
        return "This account has been deleted."
    return None


def can_suspend(actor, member) -> bool:
    return suspend_refusal(actor, member) is None


# Appeals ---------------------------------------------------------------------------------------


def appeal_refusal(user, entry, subject_id: int | None) -> str | None:
    """Why `user` may not appeal the decision `entry` (about the member `subject_id`).

    Suspended members may appeal: an appeal is how they answer the suspension.
    """
    from forum.moderation import APPEALABLE_ACTIONS

    if user is None or not user.is_authenticated:
        return "Sign in to appeal a decision."
    if subject_id != user.pk:
        return "You can only appeal decisions about your own contributions or account."
    if entry.action not in APPEALABLE_ACTIONS:
        return "This decision cannot be appealed."
    if _has_appeal(entry):
        return "You have already appealed this decision. A moderator will look at it."
    return None


def _has_appeal(entry) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return entry.appeal is not None
    except ObjectDoesNotExist:
        return False
