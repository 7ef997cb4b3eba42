"""Reports: members reporting a comment or a discussion, and what the reports do by themselves.

A comment is hidden automatically (a step of the one flow, logged as automatic) when
FLAG_HIDE_THRESHOLD different members have open reports on it, or at the first report of
patient-identifiable information. Discussions are never hidden automatically; their reports wait
in the queue. An author's edit that trips a "send to review" filter is reported by the filters.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from forum.models import Comment, Flag, FlagReason, FlagStatus, Thread
from forum.moderation.comments import hide
from forum.moderation.flow import ModerationError, Notice, Step, carry_out, lock_row
from forum.moderation.log import Action
from forum.moderation.queue import forget_queue_count
from forum.posting import counters
from forum.posting.filters import apply_filters

AUTO_HIDE_REASON = "Reported by several members; hidden until a moderator has looked at it."
PATIENT_INFORMATION_HIDE_REASON = (
    "Reported as containing patient-identifiable information; hidden until a moderator has looked at it."
)


def open_flag_count(comment: Comment) -> int:
    """Distinct members with an open report on this comment (each member counts once)."""
    return comment.flags.filter(status=FlagStatus.OPEN, flagger__isnull=False).values("flagger").distinct().count()


def _file(*, flagger, reason: str, detail: str, already: str, **target) -> Flag:
    """Record one member's report of a comment or discussion, once; ModerationError otherwise."""
    if reason not in FlagReason.values:
        raise ModerationError("Choose a reason from the list.")
    if reason == FlagReason.OTHER and not detail.strip():
        raise ModerationError("Tell us what is wrong with it.")
    try:
        with transaction.atomic():
            flag = Flag.objects.create(flagger=flagger, reason=reason, detail=detail.strip(), **target)
    except IntegrityError:
        raise ModerationError(already) from None
    forget_queue_count()
    return flag


@transaction.atomic
def flag_comment(*, comment: Comment, flagger, reason: str, detail: str = "") -> Flag:
    """Record a member's report of a comment, and hide it at once when the reports say so."""
    flag = _file(flagger=flagger, reason=reason, detail=detail, comment=comment,
                 already="You have already reported this comment. A moderator will look at it.")
    patient = reason == FlagReason.PATIENT_INFORMATION
    locked = lock_row(comment)
    live = not locked.is_hidden and not locked.needs_approval and not locked.is_deleted
    if live and (patient or open_flag_count(locked) >= settings.FLAG_HIDE_THRESHOLD):
        reason_shown = PATIENT_INFORMATION_HIDE_REASON if patient else AUTO_HIDE_REASON
        carry_out(AutoHide(comment, actor=None, reason=reason_shown))
    return flag


@transaction.atomic
def flag_thread(*, thread: Thread, flagger, reason: str, detail: str = "") -> Flag:
    """Record a member's report of a discussion (its title or subject)."""
    return _file(flagger=flagger, reason=reason, detail=detail, thread=thread,
                 already="You have already reported this discussion. A moderator will look at it.")


class AutoHide(Step):
    """Hide a reported comment until a moderator has looked at it."""

    action = Action.FLAG_AUTO_HIDE
    automatic = True

    def act(self, locked):
        hide(locked, by=None, reason=self.reason, automatically=True)
        counters.shift_comment_count(locked, -1)

    def notice(self, locked):
        return Notice(locked.author, f"Your comment in “{locked.thread.title}” has been hidden while a moderator "
                      f"looks at it. {self.reason}", comment=locked, appealable=True)


class SendForReview(Step):
    """The filters report an author's edit that trips a "send to review" filter (once while a
    report by them is open), without taking the comment down."""

    action = Action.FILTER_REVIEW
    automatic = True

    def __init__(self, target, *, matched: list[str]):
        super().__init__(target, actor=None, reason="Matched the filters: " + ", ".join(matched))

    def lock(self):
        return self.target  # locked already by the edit

    def act(self, comment):
        Flag.objects.create(comment=comment, flagger=None, reason=FlagReason.OTHER, detail=self.reason[:1000])


def review_after_edit(*, comment: Comment, editor) -> None:
    """An author's edit that trips a "send to review" filter puts the comment in the queue."""
    if comment.author_id != getattr(editor, "pk", None) or comment.is_deleted:
        return
    result = apply_filters(comment.body, editor)
    if not result.needs_review or comment.flags.filter(status=FlagStatus.OPEN, flagger__isnull=True).exists():
        return
    carry_out(SendForReview(comment, matched=result.matched))
