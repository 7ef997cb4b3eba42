"""The moderation log: what every action records, and reading it back.

Each moderation action writes one append-only ModerationLogEntry (`log_action`), in the same
transaction as the action itself; writing it announces the action (`events.moderated`), so the
cached pages showing its target are renewed, and drops the header's count of the review queue.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import User
from forum import events
from forum.models import Comment, ModerationLogEntry, Theme, Thread, WordFilter
from forum.moderation.queue import forget_queue_count


class Action:
    """What the log records. The values are stored; the labels are shown."""

    FLAG_AUTO_HIDE = "auto_hide"
    KEEP = "keep"
    HIDE = "hide"
    UNHIDE = "unhide"
    DELETE = "delete"
    EDIT = "edit"
    WARN = "warn"
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"
    HIDE_THREAD = "hide_thread"
    UNHIDE_THREAD = "unhide_thread"
    LOCK = "lock"
    UNLOCK = "unlock"
    PIN = "pin"
    UNPIN = "unpin"
    MOVE = "move"
    CLOSE_THEME = "close_theme"
    OPEN_THEME = "open_theme"
    REVIEW_THEME = "review_theme"
    THEME_RESPONSE = "theme_response"
    COMMITMENT_STATUS = "commitment_status"
    FILTER_ADD = "filter_add"
    FILTER_CHANGE = "filter_change"
    FILTER_DELETE = "filter_delete"
    FILTER_REVIEW = "filter_review"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_REJECTED = "appeal_rejected"
    PURGE_VERSIONS = "purge_versions"

    LABELS = {
        FLAG_AUTO_HIDE: "Hidden automatically after reports",
        KEEP: "Kept (reports dismissed)",
        HIDE: "Hidden",
        UNHIDE: "Shown again",
        DELETE: "Deleted",
        EDIT: "Edited by a moderator",
        WARN: "Author warned",
        APPROVE: "Approved",
        REJECT: "Not approved",
        SUSPEND: "Member suspended",
        UNSUSPEND: "Suspension lifted",
        HIDE_THREAD: "Discussion hidden",
        UNHIDE_THREAD: "Discussion shown again",
        LOCK: "Discussion locked",
        UNLOCK: "Discussion unlocked",
        PIN: "Discussion pinned",
        UNPIN: "Discussion unpinned",
        MOVE: "Discussion moved",
        CLOSE_THEME: "Theme closed",
        OPEN_THEME: "Theme opened",
        REVIEW_THEME: "Theme under review",
        THEME_RESPONSE: "Official response posted",
        COMMITMENT_STATUS: "Commitment updated",
        FILTER_ADD: "Filter added",
        FILTER_CHANGE: "Filter changed",
        FILTER_DELETE: "Filter removed",
        FILTER_REVIEW: "Sent for review by a filter",
        APPEAL_UPHELD: "Appeal upheld",
        APPEAL_REJECTED: "Appeal turned down",
        PURGE_VERSIONS: "Earlier versions removed for good",
    }
    CHOICES = list(LABELS.items())


# Decisions the member they are about may answer once with an appeal.
APPEALABLE_ACTIONS = frozenset(
    {
        Action.FLAG_AUTO_HIDE,
        Action.HIDE,
        Action.DELETE,
        Action.EDIT,
        Action.REJECT,
        Action.SUSPEND,
        Action.HIDE_THREAD,
    }
)


def label(entry: ModerationLogEntry) -> str:
    return Action.LABELS.get(entry.action, entry.action)


def as_told_to_its_subject(entry: ModerationLogEntry) -> str:
    """What the entry is about, in the words its subject reads: "Your comment in “…”"."""
    if entry.target_type == "comment":
        _comment, _in, title = entry.target_repr.partition(" in “")
        return f"Your comment in “{title}" if title else "Your comment"
    if entry.target_type == "thread":
        return entry.target_repr.replace("Discussion ", "Your discussion ", 1)
    if entry.target_type == "member":
        return "Your account"
    return entry.target_repr


def _target_fields(target) -> dict:
    if isinstance(target, Comment):
        text = f"Comment {target.position} by {target.author_name} in “{target.thread.title}”"
        return {"target_type": "comment", "target_id": target.pk, "target_repr": text[:200]}
    if isinstance(target, Thread):
        return {"target_type": "thread", "target_id": target.pk, "target_repr": f"Discussion “{target.title}”"[:200]}
    if isinstance(target, Theme):
        return {"target_type": "theme", "target_id": target.pk, "target_repr": f"Theme “{target.title}”"[:200]}
    if isinstance(target, User):
        return {"target_type": "member", "target_id": target.pk, "target_repr": f"Member {target.public_name}"[:200]}
    if isinstance(target, WordFilter):
        return {"target_type": "filter", "target_id": target.pk, "target_repr": f"Filter “{target.pattern}”"[:200]}
    raise TypeError(f"Cannot log an action on {type(target).__name__}.")


def log_action(*, actor, action: str, target, reason: str = "", automatic: bool = False) -> ModerationLogEntry:
    """Append one entry to the moderation log: who, what, on what, why, when, automatic or not."""
    forget_queue_count()
    entry = ModerationLogEntry.objects.create(
        actor=actor,
        actor_name=actor.public_name if actor is not None else "Automatic",
        action=action,
        reason=reason,
        automatic=automatic,
        **_target_fields(target),
    )
    events.moderated.send(target=target, action=action)
    return entry


TARGET_MODELS = {"comment": Comment, "thread": Thread, "member": User, "theme": Theme}


def entry_target(entry: ModerationLogEntry):
    """What an entry is about, if it is still there (a comment, discussion, member or theme)."""
    model = TARGET_MODELS.get(entry.target_type)
    return model.objects.filter(pk=entry.target_id).first() if model is not None else None


def entry_subject_id(entry: ModerationLogEntry) -> int | None:
    """The member a log entry is about: the author of the comment or thread, or the member."""
    if entry.target_type == "member":
        return entry.target_id
    if entry.target_type == "comment":
        return Comment.objects.filter(pk=entry.target_id).values_list("author_id", flat=True).first()
    if entry.target_type == "thread":
        return Thread.objects.filter(pk=entry.target_id).values_list("author_id", flat=True).first()
    return None


def entries_about(member):
    """Log entries about `member`'s comments, discussions or account, newest first (one query)."""
    return ModerationLogEntry.objects.filter(
        Q(target_type="member", target_id=member.pk)
        | Q(target_type="comment", target_id__in=Comment.objects.filter(author=member).values("pk"))
        | Q(target_type="thread", target_id__in=Thread.objects.filter(author=member).values("pk"))
    ).filter(action__in=APPEALABLE_ACTIONS | {Action.APPROVE, Action.WARN, Action.UNSUSPEND, Action.APPEAL_UPHELD,
                                              Action.APPEAL_REJECTED, Action.UNHIDE, Action.UNHIDE_THREAD})
