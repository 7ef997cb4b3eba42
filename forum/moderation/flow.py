"""The one flow every moderation action goes through: lock, act, resolve the reports, log, tell.

Each action is a small `Step` (in `comments`, `threads`, `members`, `themes`, `appeals` and
`reports`) that says what it does to its target and what to tell whom; `carry_out` runs the
steps in this order, inside one transaction:

1. check that a reason was given, when the action needs one;
2. lock the target's row (a comment or discussion) and read it afresh, so two moderators cannot
   act on it at once and each acts on what is there now;
3. act: the step's own change, which raises ModerationError (a sentence for a person) when it no
   longer applies;
4. resolve the target's open reports (kept, or action taken), when the action settles them;
5. log it: one append-only entry, which announces the action (cached pages are renewed);
6. tell the member it is about, with the reason, saying when they may appeal: in the app and by
   email, once the transaction commits (`events.member_told`).

    carry_out(comments.Hide(comment, actor=moderator, reason="Names a patient"))

The caller's object is brought up to date with the locked row, so the page it renders next shows
the change; the step keeps its log entry (`entry`) and what it made (a suspension, a response).
Permission checks are the views' (`forum.moderation.rules`); steps only guard their own invariants.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from forum import events
from forum.models import Comment, FlagStatus, Thread
from forum.moderation.log import log_action


class ModerationError(Exception):
    """A moderation request that cannot be carried out; the message says why, for a person."""


@dataclass(frozen=True)
class Notice:
    """What to tell a member about a decision."""

    member: object
    message: str
    comment: Comment | None = None
    thread: Thread | None = None
    appealable: bool = False


class Step:
    """One moderation action on one target. Subclasses set `action` (what the log records) and
    say what they do (`act`) and tell (`notice`)."""

    action: str = ""
    reason_needed: str = ""  # the sentence shown when no reason was given ("" when it is optional)
    resolves: str | None = None  # what the target's open reports become (a FlagStatus), if anything
    automatic: bool = False

    def __init__(self, target, *, actor, reason: str = ""):
        self.target = target
        self.actor = actor
        self.reason = (reason or "").strip()
        self.entry = None

    def lock(self):
        return lock_row(self.target)

    def act(self, locked) -> None:
        """The action's own change; raise ModerationError when it does not apply."""

    def notice(self, locked) -> Notice | None:
        return None

    def logged_target(self, locked):
        return locked

    def logged_reason(self) -> str:
        return self.reason


@transaction.atomic
def carry_out(step: Step) -> Step:
    """Lock, act, resolve the reports, log, tell (see the module's docstring); returns the step,
    with `target` up to date and `entry` the log entry."""
    if step.reason_needed and not step.reason:
        raise ModerationError(step.reason_needed)
    locked = step.lock()
    step.act(locked)
    if step.resolves is not None:
        resolve_flags(locked, moderator=step.actor, status=step.resolves)
    step.entry = log_action(actor=step.actor, action=step.action, target=step.logged_target(locked),
                            reason=step.logged_reason(), automatic=step.automatic)
    if (notice := step.notice(locked)) is not None:
        tell(notice, actor=step.actor)
    _bring_up_to_date(step.target, locked)
    return step


def lock_row(target):
    """A comment (with its discussion and theme) or a discussion (with its theme), its row locked
    for the rest of the transaction; anything else as it is."""
    if isinstance(target, Comment):
        locked = Comment.objects.select_for_update().get(pk=target.pk)
        locked.thread = Thread.objects.select_related("theme").get(pk=locked.thread_id)
        return locked
    if isinstance(target, Thread):
        return Thread.objects.select_for_update().select_related("theme").get(pk=target.pk)
    return target


def _bring_up_to_date(target, locked) -> None:
    if target is locked or not isinstance(target, Comment | Thread):
        return
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(locked, field.attname))
    for relation in ("thread", "theme"):
        if relation in locked._state.fields_cache:
            setattr(target, relation, getattr(locked, relation))


def resolve_flags(target, *, moderator, status: str) -> None:
    """Close the target's open reports as kept or actioned, by this moderator, now."""
    target.flags.filter(status=FlagStatus.OPEN).update(status=status, resolved_at=timezone.now(),
                                                       resolved_by=moderator)


def because(reason: str) -> str:
    return f" The reason given: {reason}" if reason else ""


def notices_url() -> str:
    return f"{settings.SITE_URL}{reverse('forum:moderation_notices')}"


def tell(notice: Notice, *, actor) -> None:
    """Tell a member about a decision: in the app always, by email as they chose (once the
    transaction commits). Nobody is told about a deleted account."""
    member = notice.member
    if member is None or member.is_former_member:
        return
    message = notice.message
    if notice.appealable:
        message = f"{message} If you disagree, you can reply once with an appeal: {notices_url()}"
    thread = notice.thread if notice.thread is not None or notice.comment is None else notice.comment.thread
    events.member_told.send(
        member_id=member.pk,
        message=message,
        comment_id=notice.comment.pk if notice.comment is not None else None,
        thread_id=thread.pk if thread is not None else None,
        actor_id=actor.pk if actor is not None else None,
        at=timezone.now().isoformat(),
    )


def required(text: str, message: str) -> str:
    """`text` without surrounding spaces; ModerationError(message) when nothing is left."""
    text = (text or "").strip()
    if not text:
        raise ModerationError(message)
    return text
