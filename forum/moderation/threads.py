"""Moderators' actions on a whole discussion, each a step of the one flow (`forum.moderation.flow`).

Hiding, showing or moving a discussion recounts its theme's (and paragraph's) figures from their
threads, so they cannot drift.
"""

from __future__ import annotations

from forum.models import FlagStatus, Theme, Thread
from forum.moderation.flow import ModerationError, Notice, Step, because
from forum.moderation.log import Action
from forum.posting import counters
from forum.search.indexing import copy_theme_to_comments


class Keep(Step):
    action = Action.KEEP
    resolves = FlagStatus.KEPT


class Hide(Step):
    """Hide a whole discussion from everyone but moderators."""

    action = Action.HIDE_THREAD
    reason_needed = "Give a reason. The member who started it is told why."
    resolves = FlagStatus.ACTIONED

    def act(self, locked):
        if locked.is_hidden:
            raise ModerationError("This discussion is already hidden.")
        _show(locked, shown=False)

    def notice(self, locked):
        return Notice(locked.author, f"Moderators have hidden your discussion “{locked.title}”.{because(self.reason)}",
                      thread=locked, appealable=True)


class Unhide(Step):
    action = Action.UNHIDE_THREAD

    def act(self, locked):
        if not locked.is_hidden:
            raise ModerationError("This discussion is not hidden.")
        _show(locked, shown=True)

    def notice(self, locked):
        return Notice(locked.author, f"Moderators have shown your discussion “{locked.title}” again."
                      f"{because(self.reason)}", thread=locked)


def _show(thread: Thread, *, shown: bool) -> None:
    thread.is_hidden = not shown
    thread.save(update_fields=["is_hidden"])
    counters.recount_theme(thread.theme_id)
    counters.recount_paragraph(thread.anchor_paragraph_id)


class Lock(Step):
    """Stop new comments; the reason is shown where the reply form was."""

    action = Action.LOCK
    reason_needed = "Give a reason. It is shown on the discussion."
    resolves = FlagStatus.ACTIONED

    def act(self, locked):
        locked.is_locked, locked.lock_reason = True, self.reason[:300]
        locked.save(update_fields=["is_locked", "lock_reason"])


class Unlock(Step):
    action = Action.UNLOCK

    def act(self, locked):
        locked.is_locked, locked.lock_reason = False, ""
        locked.save(update_fields=["is_locked", "lock_reason"])


class Pin(Step):
    """List a discussion first in its theme; the reason, when given, is shown on it."""

    action = Action.PIN
    pinned = True

    def act(self, locked):
        locked.is_pinned = self.pinned
        locked.pin_reason = self.reason[:300] if self.pinned else ""
        locked.save(update_fields=["is_pinned", "pin_reason"])


class Unpin(Pin):
    action = Action.UNPIN
    pinned = False


class Move(Step):
    """Move a discussion to another theme, saying why (shown on it); both themes' figures are recounted."""

    action = Action.MOVE
    reason_needed = "Give a reason. Readers see it on the discussion."

    def __init__(self, target, *, actor, reason: str = "", theme: Theme):
        super().__init__(target, actor=actor, reason=reason)
        self.theme = theme

    def act(self, locked):
        if locked.theme_id == self.theme.pk:
            raise ModerationError("The discussion is already in that theme.")
        self.old_theme = locked.theme
        locked.theme = self.theme
        locked.moved_from, locked.move_reason = self.old_theme.title[:200], self.reason[:300]
        locked.save(update_fields=["theme", "moved_from", "move_reason"])
        copy_theme_to_comments(locked)  # search's copy of the theme
        counters.recount_theme(self.old_theme.pk)
        counters.recount_theme(self.theme.pk)

    def logged_reason(self) -> str:
        moved = f"From “{self.old_theme.title}” to “{self.theme.title}”."
        return f"{moved} {self.reason}" if self.reason else moved


STEPS = {"keep": Keep, "hide": Hide, "unhide": Unhide, "lock": Lock, "unlock": Unlock, "pin": Pin, "unpin": Unpin}
