"""The forum's permission rules for taking part: posting, replying, editing, deleting, seeing,
agreeing and downloading. Moderation's own rules (reports, suspensions, appeals) are in
`forum.moderation.rules`; who a member is (moderator, facilitator, suspended) is `forum.standing`.

Each rule comes in two forms: `*_refusal(user, obj) -> str | None` gives the sentence to show a
person when the answer is no (None means yes), and `can_*(user, obj) -> bool` answers the
question. Views raise `PermissionDenied(reason)` or put the sentence on the form; templates use
the `can_*` filters in `forum_tags`, so a button is never shown that the server would refuse.
"""

from __future__ import annotations

from django.conf import settings

from forum.models import VoteValue
from forum.standing import active_suspension, describe_until, is_facilitator, is_moderator


def suspension_refusal(user) -> str | None:
    """Why a suspended member may not post, react, flag or follow: the reason and until when."""
    suspension = active_suspension(user)
    if suspension is None:
        return None
    return (
        f"Your account is suspended {describe_until(suspension)}, so you can read and download your data "
        f"but cannot post, react, report or follow. The reason given: {suspension.reason}"
    )


def participation_refusal(user) -> str | None:
    """Why this person may not post at all (anonymous, unconfirmed email, incomplete profile)."""
    if user is None or not user.is_authenticated:
        return "Sign in to take part in the discussion."
    if not user.is_active:
        return "Your account is not active, so you cannot post."
    if not user.email_verified:
        return "Confirm your email address before you take part. We sent you a link when you signed up."
    if not user.profile_complete:
        return "Add your display name and stakeholder group to your profile before you take part."
    return suspension_refusal(user)


def can_participate(user) -> bool:
    return participation_refusal(user) is None


def theme_refusal(theme) -> str | None:
    """Why a theme is not taking new comments, or None when it is open."""
    if theme.is_accepting_posts:
        return None
    if theme.status == "open":
        return f"The theme “{theme.title}” closed to new comments on its closing date."
    return f"The theme “{theme.title}” is {theme.get_status_display().lower()} and not taking new comments."


def start_thread_refusal(user, theme) -> str | None:
    return participation_refusal(user) or theme_refusal(theme)


def can_start_thread(user, theme) -> bool:
    return start_thread_refusal(user, theme) is None


def comment_refusal(user, thread) -> str | None:
    """Why this person may not add a comment to this thread."""
    reason = participation_refusal(user) or theme_refusal(thread.theme)
    if reason:
        return reason
    if thread.is_locked and not is_moderator(user):
        suffix = f" The reason given: {thread.lock_reason}" if thread.lock_reason else ""
        return f"This discussion has been locked, so no new comments can be added.{suffix}"
    if not thread.is_public and not is_moderator(user):
        return "This discussion is waiting for a moderator, so it cannot take replies yet."
    return None


def can_comment(user, thread) -> bool:
    return comment_refusal(user, thread) is None


def reply_refusal(user, comment) -> str | None:
    """Why this person may not reply to (or quote) this comment."""
    reason = comment_refusal(user, comment.thread)
    if reason:
        return reason
    if comment.is_deleted:
        return "You cannot reply to this comment because its author has deleted it."
    if not comment.is_public:
        return "You cannot reply to this comment because it is not published."
    return None


def can_reply(user, comment) -> bool:
    return reply_refusal(user, comment) is None


def edit_refusal(user, comment) -> str | None:
    """Only the author edits a comment, while the discussion is still open to comments."""
    reason = participation_refusal(user)
    if reason:
        return reason
    if comment.author_id != user.pk:
        return "You can only edit your own comments."
    if comment.is_deleted:
        return "This comment has been deleted, so it cannot be edited."
    if comment.is_hidden:
        return "A moderator has hidden this comment, so it cannot be edited."
    if thread_reason := theme_refusal(comment.thread.theme):
        return thread_reason
    if comment.thread.is_locked:
        return "This discussion has been locked, so its comments can no longer be edited."
    return None


def can_edit_comment(user, comment) -> bool:
    return edit_refusal(user, comment) is None


def delete_refusal(user, comment) -> str | None:
    """Authors may always withdraw what they wrote, even in a closed theme or a locked thread."""
    if user is None or not user.is_authenticated:
        return "Sign in to delete your comments."
    if comment.author_id != user.pk:
        return "You can only delete your own comments."
    if comment.is_deleted:
        return "This comment has already been deleted."
    return None


def can_delete_comment(user, comment) -> bool:
    return delete_refusal(user, comment) is None


def can_see_comment(user, comment) -> bool:
    """Mirror of `Comment.objects.visible_to(user)` for a comment already in hand."""
    if comment.is_public:
        return True
    if is_moderator(user):
        return True
    return bool(
        user is not None
        and user.is_authenticated
        and comment.author_id == user.pk
        and comment.needs_approval
        and not comment.is_hidden
    )


def can_see_thread(user, thread) -> bool:
    """Mirror of `Thread.objects.visible_to(user)` for a thread already in hand."""
    if thread.is_public or is_moderator(user):
        return True
    return bool(user is not None and user.is_authenticated and thread.author_id == user.pk and not thread.is_hidden)


def can_see_history(user, comment) -> bool:
    """Revision history is public for a visible comment, and gone once its author deletes it."""
    return can_see_comment(user, comment) and not comment.is_deleted


# --- Agreeing with comments (common ground) and downloads -----------------------------------


def _agreement_frozen_refusal(comment) -> str | None:
    """Why agreements with this comment cannot change now (its state, its thread's or theme's)."""
    if comment.is_deleted:
        return "This comment has been deleted, so agreements with it can no longer change."
    if not comment.is_public:
        return "This comment is not published, so agreements with it cannot change."
    thread = comment.thread
    if not thread.is_public:
        return "This discussion is not published, so agreements with its comments cannot change."
    if not thread.theme.is_accepting_posts:
        return f"The theme “{thread.theme.title}” is no longer open, so agreements with its comments cannot change."
    if thread.is_locked:
        return "This discussion has been locked, so agreements with its comments cannot change."
    return None


def vote_refusal(user, comment, value: int = VoteValue.AGREE) -> str | None:
    """Why this person may not vote on this comment: members who may take part (and are not
    suspended) agree or disagree with other people's published comments while the discussion is
    open."""
    reason = participation_refusal(user)  # includes suspensions
    if reason:
        return reason
    if comment.author_id == user.pk:
        verb = "agree" if value == VoteValue.AGREE else "disagree"
        return f"You cannot {verb} with your own comment."
    return _agreement_frozen_refusal(comment)


def agree_refusal(user, comment) -> str | None:
    """Why this person may not agree with this comment (see `vote_refusal`)."""
    return vote_refusal(user, comment, VoteValue.AGREE)


def disagree_refusal(user, comment) -> str | None:
    """Why this person may not disagree with this comment (see `vote_refusal`)."""
    return vote_refusal(user, comment, VoteValue.DISAGREE)


def can_agree(user, comment) -> bool:
    return agree_refusal(user, comment) is None


def can_disagree(user, comment) -> bool:
    return disagree_refusal(user, comment) is None


def withdraw_agreement_refusal(user, comment) -> str | None:
    """Anyone signed in may take back their own vote while votes can still change."""
    if user is None or not user.is_authenticated:
        return "Sign in to change your agreements."
    return _agreement_frozen_refusal(comment)


def can_withdraw_agreement(user, comment) -> bool:
    return withdraw_agreement_refusal(user, comment) is None


def export_refusal(user) -> str | None:
    """Downloads are for signed-in members; EXPORT_REQUIRES_GROUP narrows them to one group."""
    if user is None or not user.is_authenticated:
        return "Sign in to download the discussion."
    if not user.is_active:
        return "Your account is not active, so you cannot download the discussion."
    group = getattr(settings, "EXPORT_REQUIRES_GROUP", "")
    if not group or user.is_superuser:
        return None
    allowed = getattr(user, "_forum_in_export_group", None)
    if allowed is None:
        allowed = user.groups.filter(name=group).exists()
        user._forum_in_export_group = allowed
    if not allowed:
        return f"Downloads are open to the “{group}” group only. Ask an administrator if you need them."
    return None


def can_export(user) -> bool:
    return export_refusal(user) is None


def can_post_as_moderator(user) -> bool:
    """Moderators may post with a Moderator tag."""
    return is_moderator(user)


def can_respond_to_theme(user) -> bool:
    """Facilitators (and superusers) post the official "you said, we did" response, and may post
    with a Facilitator tag."""
    return is_facilitator(user)
