"""Moderation's permission rules: reporting, acting as a moderator, suspending, appealing.

Who may act:
- Moderators hold `forum.moderate_comment` (the Moderators group, or superusers). They work the
  review queue, hide, delete and edit comments, warn and suspend members, lock, pin and move
  threads, open and close themes, edit the word filters and read the moderation log.
- Facilitators hold `forum.respond_to_theme`: they post the official response on a theme.
- Both must have two-factor authentication switched on, and have passed it in this session,
  before any of it (`accounts.permissions.second_factor_response`, in the views' gates).

Like `forum.permissions`, each rule is a `*_refusal` giving the sentence to show (None means yes)
and a `can_*` question; the templates ask the same through `moderation_tags`.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist

from forum.moderation.log import APPEALABLE_ACTIONS
from forum.permissions import participation_refusal
from forum.standing import is_admin, is_facilitator, is_moderator

# Reports -----------------------------------------------------------------------------------------


def flag_comment_refusal(user, comment) -> str | None:
    """Why this person may not report this comment (verified, not suspended, not their own)."""
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
    return is_moderator(user)


def can_change_theme_status(user) -> bool:
    """Closing or reopening a theme: moderators and facilitators."""
    return is_moderator(user) or is_facilitator(user)


def suspend_refusal(actor, member) -> str | None:
    """Why `actor` may not suspend `member`: only moderators, never an admin or themself."""
    if not is_moderator(actor):
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
    try:
        return entry.appeal is not None
    except ObjectDoesNotExist:
        return False
