"""Appeals: a member's one reply to a decision about them, and a moderator's decision on it.

Upholding reverses the decision where it can be reversed: a hidden comment or discussion is shown
again, a comment that was not approved is approved, a suspension is lifted. Deleted text is gone
for good, and an edit is undone by editing again, so upholding those records the outcome and tells
the member.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from forum.models import Appeal, AppealStatus, Comment, ModerationLogEntry, Suspension, Thread
from forum.moderation import comments, members, threads
from forum.moderation.flow import ModerationError, Notice, Step, because, carry_out, required
from forum.moderation.log import Action, entry_target
from forum.moderation.queue import forget_queue_count


@transaction.atomic
def submit_appeal(*, entry: ModerationLogEntry, member, text: str) -> Appeal:
    """A member's one reply to a decision about them; it goes to the review queue."""
    text = required(text, "Write your appeal.")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(log_entry=entry, member=member, text=text)
    except IntegrityError:
        raise ModerationError("You have already appealed this decision.") from None
    forget_queue_count()
    return appeal


class Decide(Step):
    """Uphold (reverse the decision where it can be) or turn down an appeal, and say why."""

    reason_needed = "Give a reason. The member is told the outcome and why."

    def __init__(self, target, *, actor, reason: str = "", uphold: bool):
        super().__init__(target, actor=actor, reason=reason)
        self.uphold = uphold
        self.action = Action.APPEAL_UPHELD if uphold else Action.APPEAL_REJECTED

    def lock(self):
        return Appeal.objects.select_for_update().select_related("log_entry", "member").get(pk=self.target.pk)

    def act(self, appeal):
        if appeal.status != AppealStatus.OPEN:
            raise ModerationError("This appeal has already been decided.")
        if self.uphold:
            _reverse(appeal.log_entry, moderator=self.actor, reason=self.reason)
        appeal.status = AppealStatus.UPHELD if self.uphold else AppealStatus.REJECTED
        appeal.decided_at = timezone.now()
        appeal.decided_by = self.actor
        appeal.save(update_fields=["status", "decided_at", "decided_by"])

    def logged_target(self, appeal):
        return entry_target(appeal.log_entry) or appeal.member

    def notice(self, appeal):
        outcome = "upheld" if self.uphold else "turned down"
        return Notice(appeal.member, f"Your appeal about “{appeal.log_entry.target_repr}” has been {outcome}."
                      f"{because(self.reason)}")


def _reverse(entry: ModerationLogEntry, *, moderator, reason: str) -> None:
    """Undo the decision `entry` records, where it can be undone and still stands."""
    target = entry_target(entry)
    step = _undoing(entry, target) if target is not None else None
    if step is not None:
        carry_out(step(target, actor=moderator, reason=reason))


def _undoing(entry: ModerationLogEntry, target) -> type[Step] | None:
    """The step that undoes `entry`'s decision on `target`, if that decision still stands."""
    if isinstance(target, Comment) and entry.action in {Action.HIDE, Action.FLAG_AUTO_HIDE}:
        return comments.Unhide if target.is_hidden and not target.is_deleted and not target.needs_approval else None
    if isinstance(target, Comment) and entry.action == Action.REJECT:
        return comments.Approve if target.needs_approval else None
    if isinstance(target, Thread) and entry.action == Action.HIDE_THREAD:
        return threads.Unhide if target.is_hidden else None
    if entry.action == Action.SUSPEND and entry.target_type == "member":
        return members.Unsuspend if Suspension.objects.filter(member=target, lifted_at__isnull=True).exists() else None
    return None
