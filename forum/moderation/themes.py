"""Facilitators' and moderators' actions on a theme, as steps of the one flow: opening and closing
it for comment, and the official "you said, we did" response with its commitments."""

from __future__ import annotations

from django.utils import timezone

from forum import events
from forum.models import Commitment, ThemeResponse, ThemeStatus
from forum.moderation.flow import ModerationError, Step, required
from forum.moderation.log import Action

STATUS_ACTIONS = {
    ThemeStatus.OPEN: Action.OPEN_THEME,
    ThemeStatus.CLOSED: Action.CLOSE_THEME,
    ThemeStatus.UNDER_REVIEW: Action.REVIEW_THEME,
}
# The statuses whose reason readers see on the theme ("Closed by the facilitators: …").
REASON_SHOWN = {ThemeStatus.CLOSED, ThemeStatus.UNDER_REVIEW}
COMMITMENT_FIELDS = ("what", "owner_organisation", "due_on")


class SetStatus(Step):
    """Open or close a theme for comment, or mark it under review. Closing needs a reason, which
    readers see on the theme."""

    def __init__(self, target, *, actor, reason: str = "", status: str):
        super().__init__(target, actor=actor, reason=reason)
        self.status = status
        self.action = STATUS_ACTIONS.get(status, "")
        if status == ThemeStatus.CLOSED:
            self.reason_needed = "Give a reason for closing the theme. Readers see it on the theme."

    def act(self, theme):
        if self.status not in STATUS_ACTIONS:
            raise ModerationError("Choose open, under review or closed.")
        if theme.status == self.status:
            raise ModerationError(f"The theme is already {theme.get_status_display().lower()}.")
        theme.status = self.status
        theme.status_reason = self.reason[:300] if self.status in REASON_SHOWN else ""
        theme.save(update_fields=["status", "status_reason"])


class Respond(Step):
    """The official response, with the commitments it makes (each a dict of what, owner_organisation
    and due_on): shown at the top of the theme, the theme marked as responded to unless the response
    is interim, and everyone following the theme told (once the transaction commits)."""

    action = Action.THEME_RESPONSE

    def __init__(self, target, *, actor, body: str, commitments=(), interim: bool = False):
        super().__init__(target, actor=actor)
        self.body = body
        self.commitments = list(commitments)
        self.interim = interim

    def act(self, theme):
        body = required(self.body, "Write the response.")
        if any(not all(commitment.get(name) for name in COMMITMENT_FIELDS) for commitment in self.commitments):
            raise ModerationError("Each commitment needs what will be done, which organisation and by when.")
        self.response = ThemeResponse.objects.create(
            theme=theme, author=self.actor, author_name=self.actor.public_name, body=body, is_interim=self.interim
        )
        Commitment.objects.bulk_create(
            Commitment(response=self.response, theme=theme, position=position,
                       **{name: commitment[name] for name in COMMITMENT_FIELDS})
            for position, commitment in enumerate(self.commitments, start=1)
        )
        if not self.interim:
            theme.status, theme.status_reason = ThemeStatus.RESPONDED, ""
            theme.save(update_fields=["status", "status_reason"])
        events.theme_responded.send(theme_id=theme.pk, at=timezone.now().isoformat())

    def logged_reason(self) -> str:
        made = f"{len(self.commitments)} commitment{'s' if len(self.commitments) != 1 else ''}."
        return f"Interim response: the theme stays {self.target.get_status_display().lower()}. {made}" \
            if self.interim else made
