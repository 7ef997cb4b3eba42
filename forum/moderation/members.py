"""Suspending members and lifting suspensions, as steps of the one flow (`forum.moderation.flow`).

A suspended member keeps reading and downloading their data; they cannot post, react, report or
follow (`forum.permissions.suspension_refusal`). They are told why and until when.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from forum.models import Suspension
from forum.moderation.flow import ModerationError, Notice, Step, because
from forum.moderation.log import Action
from forum.moderation.rules import suspend_refusal
from forum.standing import describe_until, forget_suspension


class Suspend(Step):
    """Suspend a member for `days` days, or until lifted when `days` is None."""

    action = Action.SUSPEND
    reason_needed = "Give a reason. The member is told why."

    def __init__(self, target, *, actor, reason: str = "", days: int | None = None):
        super().__init__(target, actor=actor, reason=reason)
        self.days = days

    def act(self, member):
        if refusal := suspend_refusal(self.actor, member):
            raise ModerationError(refusal)
        now = timezone.now()
        Suspension.objects.filter(member=member, lifted_at__isnull=True).update(lifted_at=now, lifted_by=self.actor)
        self.suspension = Suspension.objects.create(
            member=member,
            reason=self.reason,
            starts_at=now,
            ends_at=now + timedelta(days=self.days) if self.days else None,
            suspended_by=self.actor,
        )
        forget_suspension(member)

    def logged_reason(self) -> str:
        return f"{self.reason} (suspended {describe_until(self.suspension)})"

    def notice(self, member):
        return Notice(member, f"Your account has been suspended {describe_until(self.suspension)}. You can still "
                      "read the forum and download your data, but you cannot post, react, report or follow."
                      f"{because(self.reason)}", appealable=True)


class Unsuspend(Step):
    """Lift every suspension in force."""

    action = Action.UNSUSPEND

    def act(self, member):
        self.lifted = Suspension.objects.filter(member=member, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=self.actor
        )
        if not self.lifted:
            raise ModerationError("This member is not suspended.")
        forget_suspension(member)

    def notice(self, member):
        return Notice(member, f"Your suspension has been lifted; you can take part again.{because(self.reason)}")
