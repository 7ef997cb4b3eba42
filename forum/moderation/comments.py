"""Moderators' actions on one comment, each a step of the one flow (`forum.moderation.flow`).

Counters: hiding, deleting or rejecting a public comment takes it out of its thread's and theme's
figures; showing or approving it again puts it back (`forum.posting.counters`).
"""

from __future__ import annotations

from django.utils import timezone

from forum import events
from forum.models import Comment, FlagStatus, Thread
from forum.moderation.flow import ModerationError, Notice, Step, because
from forum.moderation.log import Action
from forum.posting import counters, services

MODERATOR_DELETED = "Deleted by moderators"


def hide(comment: Comment, *, by, reason: str, automatically: bool = False) -> None:
    """Mark the comment hidden (it is saved); the counters are the caller's."""
    comment.is_hidden = True
    comment.hidden_automatically = automatically
    comment.hidden_reason = reason
    comment.hidden_by = by
    comment.hidden_at = timezone.now()
    comment.save(update_fields=["is_hidden", "hidden_automatically", "hidden_reason", "hidden_by", "hidden_at"])


def withhold_earlier_versions(comment: Comment, *, reason: str) -> None:
    """Take every version but the current one out of readers' view (moderators still see them)."""
    current = comment.revisions.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
    comment.revisions.filter(withheld_at__isnull=True).exclude(pk=current).update(
        withheld_at=timezone.now(), withheld_reason=reason
    )


def unhide(comment: Comment) -> None:
    """Show a hidden comment again and count it back in, unless it still waits for approval."""
    comment.is_hidden = False
    comment.hidden_automatically = False
    comment.hidden_reason = ""
    comment.hidden_by = None
    comment.hidden_at = None
    comment.save(update_fields=["is_hidden", "hidden_automatically", "hidden_reason", "hidden_by", "hidden_at"])
    if not comment.needs_approval:
        counters.shift_comment_count(comment, +1)


class Keep(Step):
    """Dismiss the open reports; a comment hidden automatically by them is shown again."""

    action = Action.KEEP
    resolves = FlagStatus.KEPT

    def act(self, locked):
        if locked.is_hidden and locked.hidden_automatically and not locked.is_deleted:
            unhide(locked)


class Hide(Step):
    """Hide a comment behind "Hidden by moderators: <reason>"; its text stays for moderators."""

    action = Action.HIDE
    reason_needed = "Give a reason. Readers see it in place of the comment."
    resolves = FlagStatus.ACTIONED

    def act(self, locked):
        if locked.is_deleted:
            raise ModerationError("This comment has been deleted, so there is nothing to hide.")
        was_counted = locked.is_public
        hide(locked, by=self.actor, reason=self.reason)
        withhold_earlier_versions(locked, reason=self.reason)
        services.withdraw_quotes_of(locked)
        if was_counted:
            counters.shift_comment_count(locked, -1)

    def notice(self, locked):
        return Notice(locked.author, f"Moderators have hidden your comment in “{locked.thread.title}”."
                      f"{because(self.reason)}", comment=locked, appealable=True)


class Unhide(Step):
    action = Action.UNHIDE

    def act(self, locked):
        if not locked.is_hidden or locked.is_deleted:
            raise ModerationError("This comment is not hidden.")
        if locked.needs_approval:
            raise ModerationError("This comment was never approved; approve it instead.")
        unhide(locked)

    def notice(self, locked):
        return Notice(locked.author, f"Moderators have shown your comment in “{locked.thread.title}” again."
                      f"{because(self.reason)}", comment=locked)


class Delete(Step):
    """Remove a comment's text and history for good; a tombstone with the reason keeps its place."""

    action = Action.DELETE
    reason_needed = "Give a reason. Readers see it in place of the comment."
    resolves = FlagStatus.ACTIONED

    def act(self, locked):
        if locked.is_deleted:
            raise ModerationError("This comment has already been deleted.")
        # Only a public comment is taken from the counters: a hidden one is out of them already.
        services.delete_comment(comment=locked, deleted_by=self.actor)
        hide(locked, by=self.actor, reason=self.reason)

    def notice(self, locked):
        return Notice(locked.author, f"Moderators have deleted your comment in “{locked.thread.title}”."
                      f"{because(self.reason)}", thread=locked.thread, appealable=True)


class Edit(Step):
    """Change a comment's text as a moderator. The new text is a revision by the moderator, so the
    history shows who changed it; the author is told why."""

    action = Action.EDIT
    reason_needed = "Give a reason. The author is told why their comment changed."
    resolves = FlagStatus.ACTIONED

    def __init__(self, target, *, actor, reason: str = "", body: str):
        super().__init__(target, actor=actor, reason=reason)
        self.body = body

    def act(self, locked):
        if locked.is_deleted:
            raise ModerationError("This comment has been deleted, so it cannot be edited.")
        services.edit_comment(comment=locked, editor=self.actor, body=self.body, reason=self.reason)
        withhold_earlier_versions(locked, reason=self.reason)
        services.withdraw_quotes_of(locked)

    def notice(self, locked):
        return Notice(locked.author, f"Moderators have edited your comment in “{locked.thread.title}”. Its earlier "
                      f"versions are no longer shown to readers.{because(self.reason)}", comment=locked,
                      appealable=True)


class Warn(Step):
    """Send the comment's author a private notice (the reason is the message); nothing changes on
    the comment."""

    action = Action.WARN
    reason_needed = "Write the message the author will read."

    def act(self, locked):
        if locked.author is None:
            raise ModerationError("The author of this comment has left, so they cannot be warned.")

    def notice(self, locked):
        return Notice(locked.author, f"A message from the moderators about your comment in “{locked.thread.title}”: "
                      f"{self.reason}", comment=locked)


class Approve(Step):
    """Publish a comment that waited for a moderator (and its discussion, for an opening comment).

    Approval does what posting does for everyone else: counters, then the usual notifications.
    """

    action = Action.APPROVE
    resolves = FlagStatus.KEPT

    def act(self, locked):
        if not locked.needs_approval:
            raise ModerationError("This comment does not need approval.")
        thread = Thread.objects.select_for_update().get(pk=locked.thread_id)
        self.opening = thread.needs_approval and locked.position == 1
        if self.opening:
            thread.needs_approval = False
            thread.is_hidden = False
            thread.save(update_fields=["needs_approval", "is_hidden"])
        self.was_hidden = locked.is_hidden
        locked.needs_approval = False
        locked.is_hidden = False
        locked.hidden_reason = ""
        locked.hidden_by = None
        locked.hidden_at = None
        locked.approved_by = self.actor
        locked.approved_at = timezone.now()
        locked.save(update_fields=["needs_approval", "is_hidden", "hidden_reason", "hidden_by", "hidden_at",
                                   "approved_by", "approved_at"])
        locked.thread = thread
        counters.count_in(locked, new_thread=self.opening)
        events.comment_published.send(comment_id=locked.pk, opening=self.opening)

    def notice(self, locked):
        what = "discussion" if self.opening else "comment"
        return Notice(locked.author, f"Your {what} in “{locked.thread.title}” has been approved and is now public."
                      f"{because(self.reason)}", comment=locked, appealable=self.was_hidden)


class Reject(Step):
    """Keep a waiting comment from being published. It stays with the moderators (the author may
    appeal); an opening comment takes its discussion with it."""

    action = Action.REJECT
    reason_needed = "Give a reason. The author is told why."
    resolves = FlagStatus.ACTIONED

    def act(self, locked):
        if not locked.needs_approval:
            raise ModerationError("This comment is not waiting for approval.")
        hide(locked, by=self.actor, reason=self.reason)
        if locked.position == 1 and locked.thread.needs_approval:
            Thread.objects.filter(pk=locked.thread_id).update(is_hidden=True)

    def notice(self, locked):
        return Notice(locked.author, f"Your comment in “{locked.thread.title}” was not approved."
                      f"{because(self.reason)}", thread=locked.thread, appealable=True)


class RemoveVersions(Step):
    """Remove the words of a comment's withheld versions for good (patient-identifiable text, say).
    The versions stay as markers; the log keeps who did it and why, never the words."""

    action = Action.PURGE_VERSIONS
    reason_needed = "Give a reason. It is kept in the moderation log; the words removed are not."

    def act(self, locked):
        removed = locked.revisions.filter(withheld_at__isnull=False, purged_at__isnull=True).update(
            body="", body_html="", purged_at=timezone.now()
        )
        if not removed:
            raise ModerationError("This comment has no withheld versions whose words are still kept.")


STEPS = {"keep": Keep, "hide": Hide, "unhide": Unhide, "delete": Delete, "warn": Warn, "approve": Approve,
         "reject": Reject, "remove_versions": RemoveVersions}
