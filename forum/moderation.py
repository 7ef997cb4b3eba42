"""Moderation workflows: reports, the review queue's actions, suspensions, filters, appeals and
facilitator responses. Every action writes one ModerationLogEntry (`log_action`) in the same
transaction, and the member it is about is told, with the reason, through
`forum.notifications.notify_moderation` (in the app, and by email per their preferences).

Counters: hiding, deleting or rejecting a public comment takes it out of its thread's and theme's
`comment_count` (and the paragraph's figures); showing or approving it again puts it back.
Moving or hiding a thread recounts both themes from their threads, so they cannot drift.

Permission checks live in `forum.permissions` (see `forum.moderation_permissions`); these
functions assume the caller has checked them and only guard their own invariants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Func, IntegerField, Max, Min, Prefetch, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from config import versions
from forum import caching
from forum.models import (
    Appeal,
    AppealStatus,
    Comment,
    FilterAction,
    Flag,
    FlagReason,
    FlagStatus,
    ModerationLogEntry,
    ParagraphDiscussion,
    Suspension,
    Theme,
    ThemeResponse,
    ThemeStatus,
    Thread,
    WordFilter,
)
from forum.moderation_permissions import forget_suspension


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
    FILTER_ADD = "filter_add"
    FILTER_CHANGE = "filter_change"
    FILTER_DELETE = "filter_delete"
    FILTER_REVIEW = "filter_review"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_REJECTED = "appeal_rejected"

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
        FILTER_ADD: "Filter added",
        FILTER_CHANGE: "Filter changed",
        FILTER_DELETE: "Filter removed",
        FILTER_REVIEW: "Sent for review by a filter",
        APPEAL_UPHELD: "Appeal upheld",
        APPEAL_REJECTED: "Appeal turned down",
    }
    CHOICES = list(LABELS.items())


# Decisions the member they are about may answer once with an appeal.
APPEALABLE_ACTIONS = frozenset(
    {
        Action.FLAG_AUTO_HIDE,
        Action.HIDE,
        Action.DELETE,
        Action.EDIT,
        Action.APPROVE,
        Action.REJECT,
        Action.SUSPEND,
        Action.HIDE_THREAD,
    }
)

AUTO_HIDE_REASON = "Reported by several members; hidden until a moderator has looked at it."
PATIENT_INFORMATION_HIDE_REASON = (
    "Reported as containing patient-identifiable information; hidden until a moderator has looked at it."
)
MODERATOR_DELETED = "Deleted by moderators"


class ModerationError(Exception):
    """A moderation request that cannot be carried out; the message says why, for a person."""


# The log ---------------------------------------------------------------------------------------


def _target_fields(target) -> dict:
    from accounts.models import User

    if isinstance(target, Comment):
        thread = target.thread
        text = f"Comment {target.position} by {target.author_name} in “{thread.title}”"
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
    caching.changed(target, action=action)  # every action changes what readers see: renew cached pages
    return ModerationLogEntry.objects.create(
        actor=actor,
        actor_name=actor.public_name if actor is not None else "Automatic",
        action=action,
        reason=reason,
        automatic=automatic,
        **_target_fields(target),
    )


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
    ).filter(action__in=APPEALABLE_ACTIONS | {Action.WARN, Action.UNSUSPEND, Action.APPEAL_UPHELD,
                                              Action.APPEAL_REJECTED, Action.UNHIDE, Action.UNHIDE_THREAD})


# Telling people ----------------------------------------------------------------------------------


def _notices_url() -> str:
    return f"{settings.SITE_URL}{reverse('forum:moderation_notices')}"


def _tell(member, message: str, *, comment=None, thread=None, actor=None, appealable: bool = False) -> None:
    """Tell a member about a decision, in the app and by email as they chose.

    Imported late: notifications belong to the following feature and import the forum models.
    """
    if member is None or member.is_former_member:
        return
    if appealable:
        message = f"{message} If you disagree, you can reply once with an appeal: {_notices_url()}"
    from forum import notifications

    notifications.notify_moderation(member, message=message, comment=comment, thread=thread, actor=actor)


def _published(comment: Comment, *, opening: bool) -> None:
    """The notifications posting would have sent (queued by notifications for after the commit)."""
    from forum import notifications

    if opening:
        notifications.on_thread_published(comment.thread)
    else:
        notifications.on_comment_published(comment)


def _reason_sentence(reason: str) -> str:
    return f" The reason given: {reason}" if reason else ""


# Counters ----------------------------------------------------------------------------------------


def _shift_comment_count(comment: Comment, delta: int) -> None:
    """Add `delta` to the public comment counts of the comment's thread, theme and paragraph."""
    thread = comment.thread
    Thread.objects.filter(pk=thread.pk).update(comment_count=F("comment_count") + delta)
    if thread.is_public:
        Theme.objects.filter(pk=thread.theme_id).update(comment_count=F("comment_count") + delta)
        if thread.anchor_paragraph_id:
            ParagraphDiscussion.objects.filter(paragraph_id=thread.anchor_paragraph_id).update(
                comment_count=F("comment_count") + delta
            )


def recount_theme(theme_id: int) -> None:
    """Recompute a theme's thread and comment counts, groups and last activity from its public threads."""
    threads = Thread.objects.filter(theme_id=theme_id, is_hidden=False, needs_approval=False)
    totals = threads.aggregate(threads=Count("pk"), comments=Sum("comment_count"), last=Max("last_activity_at"))
    groups = set()
    for row in threads.values_list("participant_groups", flat=True):
        groups.update(row or [])
    Theme.objects.filter(pk=theme_id).update(
        thread_count=totals["threads"] or 0,
        comment_count=totals["comments"] or 0,
        last_activity_at=totals["last"],
        participant_groups=sorted(groups),
    )


def recount_paragraph(paragraph_id: int | None) -> None:
    if not paragraph_id:
        return
    threads = Thread.objects.filter(anchor_paragraph_id=paragraph_id, is_hidden=False, needs_approval=False)
    totals = threads.aggregate(threads=Count("pk"), comments=Sum("comment_count"), last=Max("last_activity_at"))
    groups = set()
    for row in threads.values_list("participant_groups", flat=True):
        groups.update(row or [])
    ParagraphDiscussion.objects.filter(paragraph_id=paragraph_id).update(
        thread_count=totals["threads"] or 0,
        comment_count=totals["comments"] or 0,
        last_activity_at=totals["last"],
        participant_groups=sorted(groups),
    )


def _locked(comment: Comment) -> Comment:
    """The comment row, locked for the rest of the transaction, with its thread."""
    fresh = Comment.objects.select_for_update().get(pk=comment.pk)
    fresh.thread = Thread.objects.select_related("theme").get(pk=fresh.thread_id)
    return fresh


def _copy_state(target: Comment, source: Comment) -> Comment:
    for name in (
        "is_hidden", "hidden_reason", "hidden_by_id", "hidden_at", "hidden_automatically", "needs_approval",
        "approved_by_id", "approved_at", "is_deleted", "deleted_at", "body", "body_html", "edited_at",
    ):
        setattr(target, name, getattr(source, name))
    return target


# Reports -----------------------------------------------------------------------------------------


def open_flag_count(comment: Comment) -> int:
    """Distinct members with an open report on this comment (each member counts once)."""
    return comment.flags.filter(status=FlagStatus.OPEN, flagger__isnull=False).values("flagger").distinct().count()


@transaction.atomic
def flag_comment(*, comment: Comment, flagger, reason: str, detail: str = "") -> Flag:
    """Record a member's report of a comment, and hide it at once when the reports say so.

    Hidden automatically when FLAG_HIDE_THRESHOLD different members have open reports on it, or
    at the first report of patient-identifiable information. Raises ModerationError when this
    member has reported the comment before.
    """
    if reason not in FlagReason.values:
        raise ModerationError("Choose a reason from the list.")
    if reason == FlagReason.OTHER and not detail.strip():
        raise ModerationError("Tell us what is wrong with it.")
    try:
        with transaction.atomic():
            flag = Flag.objects.create(comment=comment, flagger=flagger, reason=reason, detail=detail.strip())
    except IntegrityError:
        raise ModerationError("You have already reported this comment. A moderator will look at it.") from None
    forget_queue_count()
    locked = _locked(comment)
    if not locked.is_hidden and not locked.needs_approval and not locked.is_deleted:
        patient = reason == FlagReason.PATIENT_INFORMATION
        if patient or open_flag_count(locked) >= settings.FLAG_HIDE_THRESHOLD:
            _auto_hide(locked, PATIENT_INFORMATION_HIDE_REASON if patient else AUTO_HIDE_REASON)
            _copy_state(comment, locked)
    return flag


def _auto_hide(comment: Comment, reason: str) -> None:
    comment.is_hidden = True
    comment.hidden_automatically = True
    comment.hidden_reason = reason
    comment.hidden_by = None
    comment.hidden_at = timezone.now()
    comment.save(update_fields=["is_hidden", "hidden_automatically", "hidden_reason", "hidden_by", "hidden_at"])
    _shift_comment_count(comment, -1)
    log_action(actor=None, action=Action.FLAG_AUTO_HIDE, target=comment, reason=reason, automatic=True)
    _tell(
        comment.author,
        f"Your comment in “{comment.thread.title}” has been hidden while a moderator looks at it. {reason}",
        comment=comment,
        appealable=True,
    )


@transaction.atomic
def flag_thread(*, thread: Thread, flagger, reason: str, detail: str = "") -> Flag:
    """Record a member's report of a discussion (its title or subject). Threads are never hidden
    automatically; the report waits in the queue."""
    if reason not in FlagReason.values:
        raise ModerationError("Choose a reason from the list.")
    if reason == FlagReason.OTHER and not detail.strip():
        raise ModerationError("Tell us what is wrong with it.")
    try:
        with transaction.atomic():
            flag = Flag.objects.create(thread=thread, flagger=flagger, reason=reason, detail=detail.strip())
    except IntegrityError:
        raise ModerationError("You have already reported this discussion. A moderator will look at it.") from None
    forget_queue_count()
    return flag


def _resolve_flags(flags, *, moderator, status: str) -> None:
    flags.filter(status=FlagStatus.OPEN).update(status=status, resolved_at=timezone.now(), resolved_by=moderator)


# Acting on comments ------------------------------------------------------------------------------


@transaction.atomic
def keep_comment(*, comment: Comment, moderator, reason: str = "") -> Comment:
    """Dismiss the open reports; a comment hidden automatically by them is shown again."""
    locked = _locked(comment)
    _resolve_flags(locked.flags.all(), moderator=moderator, status=FlagStatus.KEPT)
    if locked.is_hidden and locked.hidden_automatically and not locked.is_deleted:
        _unhide(locked)
    log_action(actor=moderator, action=Action.KEEP, target=locked, reason=reason)
    return _copy_state(comment, locked)


def _unhide(comment: Comment) -> None:
    comment.is_hidden = False
    comment.hidden_automatically = False
    comment.hidden_reason = ""
    comment.hidden_by = None
    comment.hidden_at = None
    comment.save(update_fields=["is_hidden", "hidden_automatically", "hidden_reason", "hidden_by", "hidden_at"])
    if not comment.needs_approval:
        _shift_comment_count(comment, +1)


@transaction.atomic
def hide_comment(*, comment: Comment, moderator, reason: str) -> Comment:
    """Hide a comment behind "Hidden by moderators: <reason>"; its text stays for moderators."""
    reason = _required(reason, "Give a reason. Readers see it in place of the comment.")
    locked = _locked(comment)
    if locked.is_deleted:
        raise ModerationError("This comment has been deleted, so there is nothing to hide.")
    was_counted = locked.is_public
    locked.is_hidden = True
    locked.hidden_automatically = False
    locked.hidden_reason = reason
    locked.hidden_by = moderator
    locked.hidden_at = timezone.now()
    locked.save(update_fields=["is_hidden", "hidden_automatically", "hidden_reason", "hidden_by", "hidden_at"])
    if was_counted:
        _shift_comment_count(locked, -1)
    _resolve_flags(locked.flags.all(), moderator=moderator, status=FlagStatus.ACTIONED)
    log_action(actor=moderator, action=Action.HIDE, target=locked, reason=reason)
    _tell(
        locked.author,
        f"Moderators have hidden your comment in “{locked.thread.title}”.{_reason_sentence(reason)}",
        comment=locked,
        actor=moderator,
        appealable=True,
    )
    return _copy_state(comment, locked)


@transaction.atomic
def unhide_comment(*, comment: Comment, moderator, reason: str = "") -> Comment:
    locked = _locked(comment)
    if not locked.is_hidden or locked.is_deleted:
        raise ModerationError("This comment is not hidden.")
    if locked.needs_approval:
        raise ModerationError("This comment was never approved; approve it instead.")
    _unhide(locked)
    log_action(actor=moderator, action=Action.UNHIDE, target=locked, reason=reason)
    _tell(
        locked.author,
        f"Moderators have shown your comment in “{locked.thread.title}” again.{_reason_sentence(reason)}",
        comment=locked,
        actor=moderator,
    )
    return _copy_state(comment, locked)


@transaction.atomic
def delete_comment(*, comment: Comment, moderator, reason: str) -> Comment:
    """Remove a comment's text and history for good; a tombstone with the reason keeps its place."""
    from forum import services

    reason = _required(reason, "Give a reason. Readers see it in place of the comment.")
    locked = _locked(comment)
    if locked.is_deleted:
        raise ModerationError("This comment has already been deleted.")
    # Only a public comment is subtracted from the counters: a hidden one is out of them already.
    services.delete_comment(comment=locked, deleted_by=moderator)
    locked.is_hidden = True
    locked.hidden_automatically = False
    locked.hidden_reason = reason
    locked.hidden_by = moderator
    locked.hidden_at = timezone.now()
    locked.save(update_fields=["is_hidden", "hidden_automatically", "hidden_reason", "hidden_by", "hidden_at"])
    _resolve_flags(locked.flags.all(), moderator=moderator, status=FlagStatus.ACTIONED)
    log_action(actor=moderator, action=Action.DELETE, target=locked, reason=reason)
    _tell(
        locked.author,
        f"Moderators have deleted your comment in “{locked.thread.title}”.{_reason_sentence(reason)}",
        thread=locked.thread,
        actor=moderator,
        appealable=True,
    )
    return _copy_state(comment, locked)


@transaction.atomic
def edit_comment(*, comment: Comment, moderator, body: str, reason: str) -> Comment:
    """Change a comment's text as a moderator. The new text is a revision by the moderator, so the
    history shows who changed it; the author is told why."""
    from forum import services

    reason = _required(reason, "Give a reason. The author is told why their comment changed.")
    locked = _locked(comment)
    if locked.is_deleted:
        raise ModerationError("This comment has been deleted, so it cannot be edited.")
    services.edit_comment(comment=locked, editor=moderator, body=body)
    _resolve_flags(locked.flags.all(), moderator=moderator, status=FlagStatus.ACTIONED)
    log_action(actor=moderator, action=Action.EDIT, target=locked, reason=reason)
    _tell(
        locked.author,
        f"Moderators have edited your comment in “{locked.thread.title}”; the earlier version is in its "
        f"history.{_reason_sentence(reason)}",
        comment=locked,
        actor=moderator,
        appealable=True,
    )
    return _copy_state(comment, locked)


@transaction.atomic
def warn_author(*, comment: Comment, moderator, message: str) -> ModerationLogEntry:
    """Send the comment's author a private notice; nothing changes on the comment."""
    message = _required(message, "Write the message the author will read.")
    if comment.author is None:
        raise ModerationError("The author of this comment has left, so they cannot be warned.")
    entry = log_action(actor=moderator, action=Action.WARN, target=comment, reason=message)
    _tell(
        comment.author,
        f"A message from the moderators about your comment in “{comment.thread.title}”: {message}",
        comment=comment,
        actor=moderator,
    )
    return entry


# Pre-moderation ----------------------------------------------------------------------------------


def needs_premoderation(*, author, body: str) -> bool:
    """Whether a new comment waits for a moderator before anyone else sees it.

    Yes for a member's first PREMODERATE_FIRST_COMMENTS comments (counting those that were
    published and not hidden), and for any comment that trips a "send to review" filter.
    Moderators and facilitators are never held.
    """
    from forum.moderation_permissions import can_moderate, can_respond_to_theme

    if author is None or can_moderate(author) or can_respond_to_theme(author):
        return False
    first = settings.PREMODERATE_FIRST_COMMENTS
    if first > 0:
        published = Comment.objects.filter(author=author, needs_approval=False, is_hidden=False).values("pk")[:first]
        if len(published) < first:
            return True
    return apply_filters(body, author).needs_review


@transaction.atomic
def approve_comment(*, comment: Comment, moderator, reason: str = "") -> Comment:
    """Publish a comment that waited for a moderator (and its discussion, for an opening comment).

    Approval does what posting does for everyone else: counters, then the usual notifications.
    """
    from forum import services

    locked = _locked(comment)
    if not locked.needs_approval:
        raise ModerationError("This comment does not need approval.")
    thread = Thread.objects.select_for_update().get(pk=locked.thread_id)
    previous_thread_activity = thread.last_activity_at
    previous_theme_activity = Theme.objects.filter(pk=thread.theme_id).values_list("last_activity_at", flat=True)[0]
    opening = thread.needs_approval and locked.position == 1
    if opening:
        thread.needs_approval = False
        thread.is_hidden = False
        thread.save(update_fields=["needs_approval", "is_hidden"])
    was_hidden = locked.is_hidden
    locked.needs_approval = False
    locked.is_hidden = False
    locked.hidden_reason = ""
    locked.hidden_by = None
    locked.hidden_at = None
    locked.approved_by = moderator
    locked.approved_at = timezone.now()
    locked.save(
        update_fields=["needs_approval", "is_hidden", "hidden_reason", "hidden_by", "hidden_at", "approved_by",
                       "approved_at"]
    )
    locked.thread = thread
    services._count_in(locked, new_thread=opening)
    # _count_in dates the activity to the comment's own time; approval must not move it backwards.
    if previous_thread_activity:
        Thread.objects.filter(pk=thread.pk, last_activity_at__lt=previous_thread_activity).update(
            last_activity_at=previous_thread_activity
        )
    if previous_theme_activity:
        Theme.objects.filter(pk=thread.theme_id, last_activity_at__lt=previous_theme_activity).update(
            last_activity_at=previous_theme_activity
        )
    _resolve_flags(locked.flags.all(), moderator=moderator, status=FlagStatus.KEPT)
    log_action(actor=moderator, action=Action.APPROVE, target=locked, reason=reason)
    what = "discussion" if opening else "comment"
    _tell(
        locked.author,
        f"Your {what} in “{thread.title}” has been approved and is now public.{_reason_sentence(reason)}",
        comment=locked,
        actor=moderator,
        appealable=was_hidden,
    )
    _published(locked, opening=opening)
    return _copy_state(comment, locked)


@transaction.atomic
def reject_comment(*, comment: Comment, moderator, reason: str) -> Comment:
    """Keep a waiting comment from being published. It stays with the moderators (the author may
    appeal); an opening comment takes its discussion with it."""
    reason = _required(reason, "Give a reason. The author is told why.")
    locked = _locked(comment)
    if not locked.needs_approval:
        raise ModerationError("This comment is not waiting for approval.")
    locked.is_hidden = True
    locked.hidden_reason = reason
    locked.hidden_by = moderator
    locked.hidden_at = timezone.now()
    locked.save(update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at"])
    if locked.position == 1 and locked.thread.needs_approval:
        Thread.objects.filter(pk=locked.thread_id).update(is_hidden=True)
    _resolve_flags(locked.flags.all(), moderator=moderator, status=FlagStatus.ACTIONED)
    log_action(actor=moderator, action=Action.REJECT, target=locked, reason=reason)
    _tell(
        locked.author,
        f"Your comment in “{locked.thread.title}” was not approved.{_reason_sentence(reason)}",
        thread=locked.thread,
        actor=moderator,
        appealable=True,
    )
    return _copy_state(comment, locked)


# Filters -----------------------------------------------------------------------------------------

FILTER_CACHE_KEY = "forum:word-filters"
_LINK = re.compile(r"(?i)\bhttps?://|\bwww\.[a-z0-9-]+\.")


@dataclass
class FilterResult:
    """What the word and link filters make of a comment: the text to save (with replacements made),
    a message when it may not be posted, and whether it must wait for a moderator."""

    body: str
    blocked: str | None = None
    needs_review: bool = False
    matched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.blocked is None


def compile_pattern(pattern: str, is_regex: bool) -> re.Pattern:
    """A filter as a case-insensitive regular expression; plain words match whole words only."""
    if is_regex:
        return re.compile(pattern, re.IGNORECASE)
    words = r"\s+".join(re.escape(word) for word in pattern.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def _filters() -> list[tuple[str, str, str, str, re.Pattern]]:
    """The filter list, compiled; cached until a moderator changes it."""
    cached = cache.get(FILTER_CACHE_KEY)
    if cached is None:
        cached = list(WordFilter.objects.order_by("pk").values_list("pattern", "is_regex", "action", "replacement",
                                                                     "message"))
        cache.set(FILTER_CACHE_KEY, cached, timeout=3600)
    compiled = []
    for pattern, is_regex, action, replacement, message in cached:
        try:
            compiled.append((pattern, action, replacement, message, compile_pattern(pattern, is_regex)))
        except re.error:
            continue  # refused when saved; an old bad row must not stop everyone posting
    return compiled


def forget_filters() -> None:
    """Drop the cached list now, and again after commit so no request re-caches the old list."""
    versions.drop([FILTER_CACHE_KEY])


def count_links(body: str) -> int:
    return len(_LINK.findall(body))


def apply_filters(body: str, author) -> FilterResult:
    """Run `body` through the moderators' filters and the new-member link limit.

    Blocks win over everything (the first matching block's message is shown); replacements are
    made in the returned body; any "review" match sends the comment to the queue. Moderators'
    and facilitators' comments pass unchanged.
    """
    from forum.moderation_permissions import can_moderate, can_respond_to_theme
    from forum.ratelimits import is_new_member

    result = FilterResult(body=body)
    if author is not None and (can_moderate(author) or can_respond_to_theme(author)):
        return result
    for pattern, action, replacement, message, regex in _filters():
        if not regex.search(result.body):
            continue
        result.matched.append(pattern)
        if action == FilterAction.BLOCK and result.blocked is None:
            result.blocked = message or (
                f"Your comment contains “{regex.search(result.body).group(0)}”, which is not allowed here. "
                "Change it and post again."
            )
        elif action == FilterAction.REPLACE:
            result.body = regex.sub(replacement, result.body)
        elif action == FilterAction.REVIEW:
            result.needs_review = True
    limit = settings.NEW_MEMBER_MAX_LINKS
    if result.blocked is None and author is not None and is_new_member(author) and count_links(result.body) > limit:
        links = "link" if limit == 1 else "links"
        result.blocked = (
            f"New members can include up to {limit} {links} in a comment, for the first "
            f"{settings.NEW_MEMBER_DAYS} days. Remove some links and post again."
        )
    return result


def screen_post(form, *, author, action: str | None, field_name: str = "body") -> None:
    """Check a comment form against the rate limits and filters, from the form's clean().

    Puts any refusal on the body field (the text is kept), writes replacements into
    cleaned_data, and counts the post against the rate limit once the form is valid and is not
    a preview. `action` is the rate-limited action ("comment", "thread") or None for edits.
    """
    from forum import ratelimits

    if form.errors or author is None or not author.is_authenticated:
        return
    previewing = form.data.get("action") == "preview"
    if action and not previewing:
        actions = [action, ratelimits.COMMENT] if action == ratelimits.THREAD else [action]
        for name in actions:
            if reason := ratelimits.refusal(author, name):
                form.add_error(field_name, reason)
                return
    result = apply_filters(form.cleaned_data.get(field_name, ""), author)
    if not result.ok:
        form.add_error(field_name, result.blocked)
        return
    form.cleaned_data[field_name] = result.body
    if action and not previewing:
        for name in [action, ratelimits.COMMENT] if action == ratelimits.THREAD else [action]:
            ratelimits.record(author, name)


def review_after_edit(*, comment: Comment, editor) -> None:
    """An author's edit that trips a "send to review" filter puts the comment in the queue (as a
    report by the filters), without taking it down."""
    if comment.author_id != getattr(editor, "pk", None) or comment.is_deleted:
        return
    result = apply_filters(comment.body, editor)
    if not result.needs_review:
        return
    if comment.flags.filter(status=FlagStatus.OPEN, flagger__isnull=True).exists():
        return
    detail = "Matched the filters: " + ", ".join(result.matched)
    Flag.objects.create(comment=comment, flagger=None, reason=FlagReason.OTHER, detail=detail[:1000])
    log_action(actor=None, action=Action.FILTER_REVIEW, target=comment, reason=detail, automatic=True)


@transaction.atomic
def add_filter(
    *, moderator, pattern: str, action: str, is_regex: bool = False, replacement: str = "", message: str = ""
) -> WordFilter:
    word_filter = WordFilter.objects.create(
        pattern=pattern, is_regex=is_regex, action=action, replacement=replacement, message=message,
        created_by=moderator,
    )
    log_action(actor=moderator, action=Action.FILTER_ADD, target=word_filter,
               reason=f"{word_filter.get_action_display()}")
    forget_filters()
    return word_filter


@transaction.atomic
def delete_filter(*, word_filter: WordFilter, moderator) -> None:
    log_action(actor=moderator, action=Action.FILTER_DELETE, target=word_filter)
    word_filter.delete()
    forget_filters()


# Members -----------------------------------------------------------------------------------------


@transaction.atomic
def suspend_member(*, member, moderator, reason: str, days: int | None = None) -> Suspension:
    """Suspend a member for `days` days, or until lifted when `days` is None. They keep reading and
    downloading their data; they cannot post, react, report or follow. They are told why and until when."""
    from forum.moderation_permissions import describe_until, suspend_refusal

    reason = _required(reason, "Give a reason. The member is told why.")
    if refusal := suspend_refusal(moderator, member):
        raise ModerationError(refusal)
    now = timezone.now()
    Suspension.objects.filter(member=member, lifted_at__isnull=True).update(lifted_at=now, lifted_by=moderator)
    suspension = Suspension.objects.create(
        member=member,
        reason=reason,
        starts_at=now,
        ends_at=now + timedelta(days=days) if days else None,
        suspended_by=moderator,
    )
    forget_suspension(member)
    log_action(actor=moderator, action=Action.SUSPEND, target=member,
               reason=f"{reason} (suspended {describe_until(suspension)})")
    _tell(
        member,
        f"Your account has been suspended {describe_until(suspension)}. You can still read the forum and "
        f"download your data, but you cannot post, react, report or follow.{_reason_sentence(reason)}",
        actor=moderator,
        appealable=True,
    )
    return suspension


@transaction.atomic
def unsuspend_member(*, member, moderator, reason: str = "") -> int:
    """Lift every suspension in force; returns how many were lifted."""
    lifted = Suspension.objects.filter(member=member, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=moderator
    )
    if not lifted:
        raise ModerationError("This member is not suspended.")
    forget_suspension(member)
    log_action(actor=moderator, action=Action.UNSUSPEND, target=member, reason=reason)
    _tell(member, f"Your suspension has been lifted; you can take part again.{_reason_sentence(reason)}",
          actor=moderator)
    return lifted


# Threads and themes ------------------------------------------------------------------------------


def _locked_thread(thread: Thread) -> Thread:
    return Thread.objects.select_for_update().select_related("theme").get(pk=thread.pk)


@transaction.atomic
def keep_thread(*, thread: Thread, moderator, reason: str = "") -> Thread:
    _resolve_flags(thread.flags.all(), moderator=moderator, status=FlagStatus.KEPT)
    log_action(actor=moderator, action=Action.KEEP, target=thread, reason=reason)
    return thread


@transaction.atomic
def hide_thread(*, thread: Thread, moderator, reason: str) -> Thread:
    """Hide a whole discussion from everyone but moderators; the theme's counts are recounted."""
    reason = _required(reason, "Give a reason. The member who started it is told why.")
    locked = _locked_thread(thread)
    if locked.is_hidden:
        raise ModerationError("This discussion is already hidden.")
    Thread.objects.filter(pk=locked.pk).update(is_hidden=True)
    thread.is_hidden = True
    recount_theme(locked.theme_id)
    recount_paragraph(locked.anchor_paragraph_id)
    _resolve_flags(locked.flags.all(), moderator=moderator, status=FlagStatus.ACTIONED)
    log_action(actor=moderator, action=Action.HIDE_THREAD, target=locked, reason=reason)
    _tell(
        locked.author,
        f"Moderators have hidden your discussion “{locked.title}”.{_reason_sentence(reason)}",
        thread=locked,
        actor=moderator,
        appealable=True,
    )
    return thread


@transaction.atomic
def unhide_thread(*, thread: Thread, moderator, reason: str = "") -> Thread:
    locked = _locked_thread(thread)
    if not locked.is_hidden:
        raise ModerationError("This discussion is not hidden.")
    Thread.objects.filter(pk=locked.pk).update(is_hidden=False)
    thread.is_hidden = False
    recount_theme(locked.theme_id)
    recount_paragraph(locked.anchor_paragraph_id)
    log_action(actor=moderator, action=Action.UNHIDE_THREAD, target=locked, reason=reason)
    _tell(locked.author, f"Moderators have shown your discussion “{locked.title}” again.{_reason_sentence(reason)}",
          thread=locked, actor=moderator)
    return thread


@transaction.atomic
def lock_thread(*, thread: Thread, moderator, reason: str) -> Thread:
    """Stop new comments; the reason is shown where the reply form was."""
    reason = _required(reason, "Give a reason. It is shown on the discussion.")
    Thread.objects.filter(pk=thread.pk).update(is_locked=True, lock_reason=reason[:300])
    thread.is_locked, thread.lock_reason = True, reason[:300]
    _resolve_flags(thread.flags.all(), moderator=moderator, status=FlagStatus.ACTIONED)
    log_action(actor=moderator, action=Action.LOCK, target=thread, reason=reason)
    return thread


@transaction.atomic
def unlock_thread(*, thread: Thread, moderator, reason: str = "") -> Thread:
    Thread.objects.filter(pk=thread.pk).update(is_locked=False, lock_reason="")
    thread.is_locked, thread.lock_reason = False, ""
    log_action(actor=moderator, action=Action.UNLOCK, target=thread, reason=reason)
    return thread


@transaction.atomic
def pin_thread(*, thread: Thread, moderator, pinned: bool = True) -> Thread:
    Thread.objects.filter(pk=thread.pk).update(is_pinned=pinned)
    thread.is_pinned = pinned
    log_action(actor=moderator, action=Action.PIN if pinned else Action.UNPIN, target=thread)
    return thread


@transaction.atomic
def move_thread(*, thread: Thread, moderator, theme: Theme, reason: str = "") -> Thread:
    """Move a discussion to another theme; both themes' counts and groups are recounted."""
    locked = _locked_thread(thread)
    if locked.theme_id == theme.pk:
        raise ModerationError("The discussion is already in that theme.")
    old_theme = locked.theme
    Thread.objects.filter(pk=locked.pk).update(theme=theme)
    Comment.objects.filter(thread=locked).update(thread_theme=theme)  # search's copy of the theme
    thread.theme = theme
    recount_theme(old_theme.pk)
    recount_theme(theme.pk)
    log_action(actor=moderator, action=Action.MOVE, target=thread,
               reason=f"From “{old_theme.title}” to “{theme.title}”." + (f" {reason}" if reason else ""))
    return thread


@transaction.atomic
def set_theme_status(*, theme: Theme, actor, status: str, reason: str = "") -> Theme:
    """Open or close a theme for comment, or mark it under review."""
    actions = {
        ThemeStatus.OPEN: Action.OPEN_THEME,
        ThemeStatus.CLOSED: Action.CLOSE_THEME,
        ThemeStatus.UNDER_REVIEW: Action.REVIEW_THEME,
    }
    if status not in actions:
        raise ModerationError("Choose open, under review or closed.")
    if theme.status == status:
        raise ModerationError(f"The theme is already {theme.get_status_display().lower()}.")
    Theme.objects.filter(pk=theme.pk).update(status=status)
    theme.status = status
    log_action(actor=actor, action=actions[status], target=theme, reason=reason)
    return theme


@transaction.atomic
def post_theme_response(*, theme: Theme, facilitator, body: str) -> ThemeResponse:
    """The official "you said, we did" response: shown at the top of the theme, the theme marked
    as responded to, and everyone following the theme told."""
    body = _required(body, "Write the response.")
    response = ThemeResponse.objects.create(
        theme=theme, author=facilitator, author_name=facilitator.public_name, body=body
    )
    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.RESPONDED)
    theme.status = ThemeStatus.RESPONDED
    log_action(actor=facilitator, action=Action.THEME_RESPONSE, target=theme)
    from forum import notifications

    notifications.on_theme_response(theme)
    return response


# Appeals -----------------------------------------------------------------------------------------


@transaction.atomic
def submit_appeal(*, entry: ModerationLogEntry, member, text: str) -> Appeal:
    """A member's one reply to a decision about them; it goes to the review queue."""
    text = _required(text, "Write your appeal.")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(log_entry=entry, member=member, text=text)
    except IntegrityError:
        raise ModerationError("You have already appealed this decision.") from None
    forget_queue_count()
    return appeal


@transaction.atomic
def decide_appeal(*, appeal: Appeal, moderator, uphold: bool, reason: str) -> Appeal:
    """Uphold (reverse the decision where it can be reversed) or turn down an appeal, and say why.

    Reversible: a hidden comment or discussion is shown again, a comment that was not approved is
    approved, a suspension is lifted. Deleted text is gone for good, and an edit is undone by
    editing again, so upholding those records the outcome and tells the member.
    """
    reason = _required(reason, "Give a reason. The member is told the outcome and why.")
    appeal = Appeal.objects.select_for_update().select_related("log_entry", "member").get(pk=appeal.pk)
    if appeal.status != AppealStatus.OPEN:
        raise ModerationError("This appeal has already been decided.")
    entry = appeal.log_entry
    if uphold:
        _reverse(entry, moderator=moderator, reason=reason)
    appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    appeal.decided_at = timezone.now()
    appeal.decided_by = moderator
    appeal.save(update_fields=["status", "decided_at", "decided_by"])
    target = _entry_target(entry) or appeal.member
    log_action(actor=moderator, action=Action.APPEAL_UPHELD if uphold else Action.APPEAL_REJECTED, target=target,
               reason=reason)
    outcome = "upheld" if uphold else "turned down"
    _tell(appeal.member, f"Your appeal about “{entry.target_repr}” has been {outcome}.{_reason_sentence(reason)}",
          actor=moderator)
    return appeal


def _entry_target(entry: ModerationLogEntry):
    from accounts.models import User

    model = {"comment": Comment, "thread": Thread, "member": User, "theme": Theme}.get(entry.target_type)
    if model is None:
        return None
    return model.objects.filter(pk=entry.target_id).first()


def _reverse(entry: ModerationLogEntry, *, moderator, reason: str) -> None:
    target = _entry_target(entry)
    if target is None:
        return
    if entry.action in {Action.HIDE, Action.FLAG_AUTO_HIDE} and isinstance(target, Comment):
        if target.is_hidden and not target.is_deleted and not target.needs_approval:
            unhide_comment(comment=target, moderator=moderator, reason=reason)
    elif entry.action == Action.REJECT and isinstance(target, Comment):
        if target.needs_approval:
            approve_comment(comment=target, moderator=moderator, reason=reason)
    elif entry.action == Action.HIDE_THREAD and isinstance(target, Thread):
        if target.is_hidden:
            unhide_thread(thread=target, moderator=moderator, reason=reason)
    elif (
        entry.action == Action.SUSPEND
        and entry.target_type == "member"
        and Suspension.objects.filter(member=target, lifted_at__isnull=True).exists()
    ):
        unsuspend_member(member=target, moderator=moderator, reason=reason)


# The review queue --------------------------------------------------------------------------------

QUEUE_SECTION_SIZE = 50


def _open_flags_shown():
    return Flag.objects.filter(status=FlagStatus.OPEN).select_related("flagger").order_by("created_at", "pk")


def _matching_flags(*, reason: str = "", flagger_id: int | None = None):
    flags = Flag.objects.filter(status=FlagStatus.OPEN)
    if reason:
        flags = flags.filter(reason=reason)
    if flagger_id:
        flags = flags.filter(flagger_id=flagger_id)
    return flags


def reported_comments(*, reason: str = "", flagger_id: int | None = None):
    """Comments with open reports, oldest report first, each with every open report and who made it.

    Filtering by reason or reporter chooses which comments are listed; each still shows all its
    open reports so the moderator sees the whole picture.
    """
    matching = _matching_flags(reason=reason, flagger_id=flagger_id).filter(comment__isnull=False)
    return (
        Comment.objects.filter(pk__in=matching.values("comment_id"))
        .annotate(first_flagged_at=Min("flags__created_at", filter=Q(flags__status=FlagStatus.OPEN)))
        .select_related("author", "thread__theme", "hidden_by")
        .prefetch_related(Prefetch("flags", queryset=_open_flags_shown(), to_attr="open_flags"))
        .order_by("first_flagged_at", "pk")
    )


def reported_threads(*, reason: str = "", flagger_id: int | None = None):
    matching = _matching_flags(reason=reason, flagger_id=flagger_id).filter(thread__isnull=False)
    return (
        Thread.objects.filter(pk__in=matching.values("thread_id"))
        .annotate(first_flagged_at=Min("flags__created_at", filter=Q(flags__status=FlagStatus.OPEN)))
        .select_related("author", "theme")
        .prefetch_related(Prefetch("flags", queryset=_open_flags_shown(), to_attr="open_flags"))
        .order_by("first_flagged_at", "pk")
    )


def pending_comments():
    """Comments waiting for approval, oldest first."""
    return (
        Comment.objects.filter(needs_approval=True, is_hidden=False, is_deleted=False)
        .select_related("author", "thread__theme")
        .order_by("created_at", "pk")
    )


def open_appeals():
    return Appeal.objects.filter(status=AppealStatus.OPEN).select_related("log_entry", "member").order_by(
        "created_at", "pk"
    )


def flaggers_with_open_reports():
    from accounts.models import User

    return User.objects.filter(flags__status=FlagStatus.OPEN).distinct().order_by("display_name", "pk")


QUEUE_COUNT_KEY = "forum:moderation-queue-count"
QUEUE_COUNT_SECONDS = 30


def header_queue_count() -> int:
    """`queue_count()` for the header, kept for half a minute and dropped whenever a report, an
    appeal or a moderation action changes the queue, so most pages cost moderators no query."""
    return cache.get_or_set(QUEUE_COUNT_KEY, queue_count, QUEUE_COUNT_SECONDS)


def forget_queue_count() -> None:
    """The queue changed: drop the header's count (now, and again after the commit)."""
    versions.drop([QUEUE_COUNT_KEY])


def queue_count() -> int:
    """Everything waiting for a moderator (reported comments and discussions, comments waiting for
    approval, appeals), counted in one query for the header."""
    pending = (
        Comment.objects.filter(needs_approval=True, is_hidden=False, is_deleted=False)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    appeals = Appeal.objects.filter(status=AppealStatus.OPEN).order_by().annotate(n=Func(F("pk"), function="COUNT"))
    totals = Flag.objects.filter(status=FlagStatus.OPEN).aggregate(
        total=Count("comment", distinct=True)
        + Count("thread", distinct=True)
        + Subquery(pending, output_field=IntegerField())
        + Subquery(appeals.values("n"), output_field=IntegerField())
    )
    return totals["total"] or 0


# Helpers -----------------------------------------------------------------------------------------


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ModerationError(message)
    return text
