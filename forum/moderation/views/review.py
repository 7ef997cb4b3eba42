"""The review queue, the review page of one comment or discussion, and the moderator actions on
them: one action page for both kinds, each action a step of the one flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from forum.models import Comment, FlagStatus, ModerationLogEntry, Thread
from forum.moderation import comments, log, threads
from forum.moderation import queue as review_queue
from forum.moderation.flow import carry_out
from forum.moderation.forms import ModeratorEditForm, MoveThreadForm, QueueFilterForm, ReasonForm
from forum.moderation.views.gates import ActionSpec, form_page, moderator_required, posted, run
from forum.standing import active_suspension


def _first(queryset, size: int):
    rows = list(queryset[: size + 1])
    return rows[:size], len(rows) > size


@moderator_required
@require_GET
def queue(request):
    """Everything waiting for a moderator, oldest first, each report with its reason."""
    flaggers = list(review_queue.flaggers_with_open_reports())
    filters = QueueFilterForm(request.GET or None, flaggers=flaggers)
    reason, flagger_id = "", None
    if filters.is_valid():
        reason = filters.cleaned_data["reason"] or ""
        flagger_id = filters.cleaned_data["flagger"]
    size = review_queue.QUEUE_SECTION_SIZE
    reported, more_comments = _first(review_queue.reported_comments(reason=reason, flagger_id=flagger_id), size)
    reported_threads, more_threads = _first(review_queue.reported_threads(reason=reason, flagger_id=flagger_id), size)
    filtering = bool(reason or flagger_id)
    pending, more_pending = ([], False) if filtering else _first(review_queue.pending_comments(), size)
    appeals, more_appeals = ([], False) if filtering else _first(review_queue.open_appeals(), size)
    for item in appeals:
        item.label = log.label(item.log_entry)
    return render(
        request,
        "forum/moderation/queue.html",
        {
            "filters": filters,
            "filtering": filtering,
            "comments": reported,
            "more_comments": more_comments,
            "threads": reported_threads,
            "more_threads": more_threads,
            "pending": pending,
            "more_pending": more_pending,
            "appeals": appeals,
            "more_appeals": more_appeals,
            "section_size": size,
        },
    )


# What can be done to a comment or a discussion ---------------------------------------------------

COMMENT_ACTIONS = {
    "keep": ActionSpec(
        "Keep this comment", "Keep it and dismiss the reports", False,
        explanation="The open reports are closed. If the reports hid the comment, it is shown again.",
    ),
    "hide": ActionSpec(
        "Hide this comment", "Hide comment", True,
        reason_help="Readers see “Hidden by moderators:” followed by this. The author is told and can appeal.",
        warning=True,
    ),
    "unhide": ActionSpec("Show this comment again", "Show it again", False,
                         explanation="Everyone will see the comment again. The author is told."),
    "delete": ActionSpec(
        "Delete this comment", "Delete comment", True,
        reason_help="Readers see “Deleted by moderators:” followed by this. The author is told and can appeal.",
        warning=True,
        explanation="Its text and all its earlier versions are removed for good; only a marker stays in the "
        "discussion. Hide it instead if the text may be needed later.",
    ),
    "warn": ActionSpec(
        "Warn the author", "Send the warning", True, reason_label="Message to the author",
        reason_help="Only the author sees this, in their notifications and by email as they chose.",
        explanation="The comment does not change.",
    ),
    "approve": ActionSpec(
        "Approve this comment", "Approve and publish", False,
        explanation="The comment becomes public and the usual notifications are sent. The author is told.",
    ),
    "reject": ActionSpec(
        "Do not approve this comment", "Do not approve", True,
        reason_help="The author is told this and can appeal.", warning=True,
        explanation="Nobody but moderators will see the comment.",
    ),
    "remove_versions": ActionSpec(
        "Remove the earlier versions’ words for good", "Remove the words for good", True, warning=True,
        reason_help="Kept in the moderation log with your name. Do not repeat the words removed.",
        explanation="The earlier versions that readers no longer see (after a moderator’s edit or hide) lose "
        "their text for good, for moderators too. The history still says that they existed and why they "
        "went. This cannot be undone.",
    ),
}

THREAD_ACTIONS = {
    "keep": ActionSpec("Keep this discussion", "Keep it and dismiss the reports", False,
                       explanation="The open reports about the discussion are closed."),
    "hide": ActionSpec(
        "Hide this discussion", "Hide discussion", True, warning=True,
        reason_help="The member who started it is told this and can appeal.",
        explanation="Only moderators will see the discussion and its comments. The theme’s counts are updated.",
    ),
    "unhide": ActionSpec("Show this discussion again", "Show it again", False),
    "lock": ActionSpec("Lock this discussion", "Lock discussion", True,
                       reason_help="Shown on the discussion where the reply form was.",
                       explanation="Nobody but moderators can add or edit comments while it is locked."),
    "unlock": ActionSpec("Unlock this discussion", "Unlock discussion", False),
    "pin": ActionSpec("Pin this discussion", "Pin discussion", False,
                      reason_help="Readers see it on the discussion: “Pinned: your reason”.",
                      explanation="It is listed first in its theme."),
    "unpin": ActionSpec("Unpin this discussion", "Unpin discussion", False),
}


def comment_action_available(comment: Comment, action: str, *, has_open_flags: bool = True) -> bool:
    """Whether a moderator action makes sense for the comment in its current state."""
    live = not comment.is_deleted
    waiting = comment.needs_approval
    if action == "remove_versions":
        return live and comment.revisions.filter(withheld_at__isnull=False, purged_at__isnull=True).exists()
    return {
        "keep": live and not waiting and (has_open_flags or comment.hidden_automatically),
        "hide": live and not waiting and (not comment.is_hidden or comment.hidden_automatically),
        "unhide": live and not waiting and comment.is_hidden,
        "delete": live,
        "warn": comment.author_id is not None,
        "approve": live and waiting,
        "reject": live and waiting and not comment.is_hidden,
    }.get(action, False)


def thread_action_available(thread: Thread, action: str, *, has_open_flags: bool = True) -> bool:
    return {
        "keep": has_open_flags,
        "hide": not thread.is_hidden,
        "unhide": thread.is_hidden,
        "lock": not thread.is_locked,
        "unlock": thread.is_locked,
        "pin": not thread.is_pinned,
        "unpin": thread.is_pinned,
        "move": True,
    }.get(action, False)


def _moderated_comment(pk: int) -> Comment:
    return get_object_or_404(
        Comment.objects.select_related("thread__theme", "author", "hidden_by", "approved_by"), pk=pk
    )


def _moderated_thread(pk: int) -> Thread:
    return get_object_or_404(Thread.objects.select_related("theme", "author"), pk=pk)


@dataclass(frozen=True)
class Moderated:
    """A kind of thing moderators act on, and where its pages are."""

    noun: str
    target_type: str  # as the log records it
    specs: dict[str, ActionSpec]
    steps: dict
    fetch: Any
    available: Any
    review_url: str
    action_url: str
    subject_template: str

    def context(self, target) -> dict:
        if isinstance(target, Comment):
            return {"comment": target, "thread": target.thread}
        return {"thread": target}


COMMENTS = Moderated("comment", "comment", COMMENT_ACTIONS, comments.STEPS, _moderated_comment,
                     comment_action_available, "forum:moderation_comment", "forum:moderation_comment_action",
                     "forum/moderation/includes/comment_summary.html")
THREADS = Moderated("discussion", "thread", THREAD_ACTIONS, threads.STEPS, _moderated_thread,
                    thread_action_available, "forum:moderation_thread", "forum:moderation_thread_action",
                    "forum/moderation/includes/thread_summary.html")


def _review_context(kind: Moderated, target) -> dict:
    """What a review page shows: the reports, the log entries and the actions that apply now."""
    flags = list(target.flags.select_related("flagger", "resolved_by").order_by("created_at", "pk"))
    has_open = any(flag.status == FlagStatus.OPEN for flag in flags)
    entries = list(ModerationLogEntry.objects.filter(target_type=kind.target_type, target_id=target.pk)[:50])
    for entry in entries:
        entry.label = log.label(entry)
    actions = [(name, spec) for name, spec in kind.specs.items()
               if kind.available(target, name, has_open_flags=has_open)]
    return {**kind.context(target), "flags": flags, "entries": entries, "actions": actions}


@moderator_required
@require_GET
def comment_review(request, pk: int):
    """One comment as moderators see it: text (even when hidden), history, reports, decisions."""
    comment = _moderated_comment(pk)
    context = _review_context(COMMENTS, comment)
    context["revisions"] = list(comment.revisions.select_related("edited_by").order_by("-created_at", "-pk"))
    context["author_suspension"] = active_suspension(comment.author) if comment.author else None
    return render(request, "forum/moderation/comment_review.html", context)


@moderator_required
@require_GET
def thread_review(request, pk: int):
    thread = _moderated_thread(pk)
    context = _review_context(THREADS, thread)
    context["opening"] = thread.comments.filter(position=1).first()
    return render(request, "forum/moderation/thread_review.html", context)


def _action(request, kind: Moderated, pk: int, action: str):
    """An action page: GET says what will happen, POST carries the step out and goes back."""
    spec = kind.specs.get(action)
    if spec is None:
        raise Http404("No such action.")
    target = kind.fetch(pk)
    has_open = action != "keep" or target.flags.filter(status=FlagStatus.OPEN).exists()
    if not kind.available(target, action, has_open_flags=has_open):
        messages.info(request, f"That action does not apply to this {kind.noun} any more.")
        return redirect(kind.review_url, pk=target.pk)
    form = ReasonForm(posted(request), required=spec.reason_required, label=spec.reason_label,
                      help_text=spec.reason_help)
    if request.method == "POST" and form.is_valid():
        step = kind.steps[action](target, actor=request.user, reason=form.cleaned_data["reason"])
        if run(form, lambda: carry_out(step)):
            messages.success(request, f"Done: {spec.title.lower()}.")
            return redirect(kind.review_url, pk=target.pk)
    return form_page(request, "forum/moderation/action.html", form=form, spec=spec,
                     subject_template=kind.subject_template, **kind.context(target),
                     action_url=reverse(kind.action_url, args=[target.pk, action]),
                     back_url=reverse(kind.review_url, args=[target.pk]), back_label="to the review page")


@moderator_required
@require_http_methods(["GET", "POST"])
def comment_action(request, pk: int, action: str):
    return _action(request, COMMENTS, pk, action)


@moderator_required
@require_http_methods(["GET", "POST"])
def thread_action(request, pk: int, action: str):
    return _action(request, THREADS, pk, action)


@moderator_required
@require_http_methods(["GET", "POST"])
def comment_edit(request, pk: int):
    """Edit a comment as a moderator; the new version is a revision by the moderator."""
    comment = _moderated_comment(pk)
    if comment.is_deleted:
        raise PermissionDenied("This comment has been deleted, so it cannot be edited.")
    form = ModeratorEditForm(posted(request), initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        step = comments.Edit(comment, actor=request.user, reason=form.cleaned_data["reason"],
                             body=form.cleaned_data["body"])
        if run(form, lambda: carry_out(step)):
            messages.success(request, "The comment has been changed and the author told why.")
            return redirect("forum:moderation_comment", pk=comment.pk)
    return form_page(request, "forum/moderation/comment_edit.html", form=form, comment=comment, thread=comment.thread,
                     action_url=reverse("forum:moderation_comment_edit", args=[comment.pk]),
                     back_url=reverse("forum:moderation_comment", args=[comment.pk]), back_label="to the review page")


@moderator_required
@require_http_methods(["GET", "POST"])
def thread_move(request, pk: int):
    thread = _moderated_thread(pk)
    form = MoveThreadForm(posted(request), thread=thread)
    if request.method == "POST" and form.is_valid():
        step = threads.Move(thread, actor=request.user, reason=form.cleaned_data["reason"],
                            theme=form.cleaned_data["theme"])
        if run(form, lambda: carry_out(step)):
            messages.success(request, f"The discussion is now in “{thread.theme.title}”.")
            return redirect("forum:moderation_thread", pk=thread.pk)
    return form_page(request, "forum/moderation/thread_move.html", form=form, thread=thread,
                     action_url=reverse("forum:moderation_thread_move", args=[thread.pk]),
                     back_url=reverse("forum:moderation_thread", args=[thread.pk]), back_label="to the review page")
