"""Facilitators' updates on a commitment, as a step of the one flow: a new status (or the same one,
with a note), recorded as a dated update; the theme's followers are told once it commits.

The log entry is about the commitment's theme, so the theme's cached pages (and every discussion
page that shows its status) are renewed at once by the `moderated` event.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from forum import events
from forum.models import Commitment, CommitmentStatus
from forum.moderation.flow import ModerationError, Step
from forum.moderation.log import Action

LABELS = dict(CommitmentStatus.choices)


class ChangeCommitment(Step):
    """Record a commitment's new status and the note beside it; dropping one needs the reason."""

    action = Action.COMMITMENT_STATUS

    def __init__(self, target: Commitment, *, actor, status: str, note: str = ""):
        super().__init__(target, actor=actor, reason=note)
        self.status = status
        self.old_status = target.status
        if status == CommitmentStatus.DROPPED:
            self.reason_needed = "Give the reason it was dropped. Readers see it."

    def lock(self):
        return Commitment.objects.select_for_update().select_related("theme").get(pk=self.target.pk)

    def act(self, commitment):
        self.old_status = commitment.status
        if self.status == commitment.status and not self.reason:
            raise ModerationError(f"It is already {LABELS[self.status].lower()}. Add a note to post an update "
                                  "without changing its status.")
        try:
            self.update = commitment.change_status(status=self.status, note=self.reason, author=self.actor)
        except ValidationError as error:
            raise ModerationError(" ".join(error.messages)) from error
        self.target.status = commitment.status
        events.commitment_changed.send(commitment_id=commitment.pk, status=commitment.status,
                                       at=self.update.created_at.isoformat())

    def logged_target(self, commitment):
        return commitment.theme

    def logged_reason(self) -> str:
        change = f"“{self.target.what}”: {LABELS.get(self.old_status, self.old_status)} → {LABELS[self.status]}."
        return f"{change} {self.reason}" if self.reason else change
