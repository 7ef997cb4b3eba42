"""Facilitators' and moderators' actions on a theme, as steps of the one flow: opening and closing
it for comment, and the official "you said, we did" response."""

from __future__ import annotations

from django.utils import timezone

from forum import events
from forum.models import ThemeResponse, ThemeStatus
from forum.moderation.flow import ModerationError, Step, required
from forum.moderation.log import Action

STATUS_ACTIONS = {
    ThemeStatus.OPEN: Action.OPEN_THEME,
    ThemeStatus.CLOSED: Action.CLOSE_THEME,
    ThemeStatus.UNDER_REVIEW: Action.REVIEW_THEME,
}


class SetStatus(Step):
    """Open or close a theme for comment, or mark it under review."""

    def __init__(self, target, *, actor, reason: str = "", status: str):
        super().__init__(target, actor=actor, reason=reason)
        self.status = status
        self.action = STATUS_ACTIONS.get(status, "")

    def act(self, theme):
        if self.status not in STATUS_ACTIONS:
            raise ModerationError("Choose open, under review or closed.")
        if theme.status == self.status:
            raise ModerationError(f"The theme is already {theme.get_status_display().lower()}.")
        theme.status = self.status
        theme.save(update_fields=["status"])


class Respond(Step):
    """The official response: shown at the top of the theme, the theme marked as responded to,
    and everyone following the theme told (once the transaction commits)."""

    action = Action.THEME_RESPONSE

    def __init__(self, target, *, actor, body: str):
        super().__init__(target, actor=actor)
        self.body = body

    def act(self, theme):
        body = required(self.body, "Write the response.")
        self.response = ThemeResponse.objects.create(
            theme=theme, author=self.actor, author_name=self.actor.public_name, body=body
        )
        theme.status = ThemeStatus.RESPONDED
        theme.save(update_fields=["status"])
        events.theme_responded.send(theme_id=theme.pk, at=timezone.now().isoformat())
