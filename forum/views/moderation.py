"""Reporting, appeals, the review queue and every moderator and facilitator action.

Moderator pages need the `forum.moderate_comment` permission and two-factor authentication
(`moderator_required`); facilitator pages need `forum.respond_to_theme` and the same
(`facilitator_required`). Each action is one small page: GET shows what will happen with a form
for the reason, POST does it through `forum.moderation` and redirects back to the review page.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.permissions import has_mfa, render_mfa_required
from forum import moderation, permissions, ratelimits
from forum.models import Appeal, AppealStatus, Comment, Flag, ModerationLogEntry, Suspension, Thread, WordFilter
from forum.moderation import Action, ModerationError
from forum.moderation_forms import (
    AppealDecisionForm,
    AppealForm,
    FlagForm,
    LogFilterForm,
    ModeratorEditForm,
    MoveThreadForm,
    QueueFilterForm,
    ReasonForm,
    SuspendForm,
    ThemeResponseForm,
    ThemeStatusForm,
    WordFilterForm,
)
from forum.views.access import get_comment_for_reader, get_theme, get_thread_for_reader
from forum.views.common import page_number

LOG_PAGE_SIZE = 50


def _staff_gate(check, refusal: str):
    def decorator(view_func):
        @wraps(view_func)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(refusal)
            if not has_mfa(request.user):
                return render_mfa_required(request)
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator


moderator_required = _staff_gate(permissions.can_moderate, "Only moderators can open this page.")
facilitator_required = _staff_gate(
    permissions.can_respond_to_theme, "Only facilitators can post the official response to a theme."
)
theme_steward_required = _staff_gate(
    permissions.can_change_theme_status, "Only moderators and facilitators can change a theme’s status."
)


def _posted(request):
    """The submitted data for a POST (bound even when empty, so required fields are reported),
    None for a GET."""
    return request.POST if request.method == "POST" else None


def _comment_in_thread_url(comment: Comment) -> str:
    return f"{comment.thread.get_page_url(comment.page)}#{comment.anchor}"


# Reporting ---------------------------------------------------------------------------------------


def _flag_page(request, *, form, target, kind: str, action_url: str, back_url: str, already: Flag | None):
    return render(
        request,
        "forum/moderation/flag.html",
        {"form": form, "target": target, "kind": kind, "action_url": action_url, "back_url": back_url,
         "already": already},
    )


def _report(request, *, target, kind: str, refusal: str | None, back_url: str, action_url: str, service):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if refusal:
        raise PermissionDenied(refusal)
    lookup = {"comment": target} if kind == "comment" else {"thread": target}
    already = Flag.objects.filter(flagger=request.user, **lookup).first()
    form = FlagForm(_posted(request))
    if request.method == "POST" and already is None:
        if reason := ratelimits.refusal(request.user, ratelimits.FLAG):
            form.is_valid()
            form.add_error(None, reason)
        elif form.is_valid():
            try:
                service(flagger=request.user, reason=form.cleaned_data["reason"], detail=form.cleaned_data["detail"])
            except ModerationError as error:
                form.add_error(None, str(error))
            else:
                ratelimits.record(request.user, ratelimits.FLAG)
                messages.success(
                    request,
                    f"Thank you. We have received your report of this {kind}; a moderator will look at it. "
                    "Only moderators see who reported it.",
                )
                return redirect(back_url)
    return _flag_page(request, form=form, target=target, kind=kind, action_url=action_url, back_url=back_url,
                      already=already)


@require_http_methods(["GET", "POST"])
def flag_comment(request, pk: int):
    """Report a comment to the moderators, once, with a reason."""
    comment = get_comment_for_reader(request, pk)
    refusal = permissions.flag_comment_refusal(request.user, comment) if request.user.is_authenticated else None
    return _report(
        request,
        target=comment,
        kind="comment",
        refusal=refusal,
        back_url=_comment_in_thread_url(comment),
        action_url=reverse("forum:flag_comment", args=[comment.pk]),
        service=lambda **kw: moderation.flag_comment(comment=comment, **kw),
    )


@require_http_methods(["GET", "POST"])
def flag_thread(request, pk: int):
    """Report a discussion (its title or subject) to the moderators."""
    thread = get_thread_for_reader(request, pk)
    refusal = permissions.flag_thread_refusal(request.user, thread) if request.user.is_authenticated else None
    return _report(
        request,
        target=thread,
        kind="discussion",
        refusal=refusal,
        back_url=thread.get_absolute_url(),
        action_url=reverse("forum:flag_thread", args=[thread.pk]),
        service=lambda **kw: moderation.flag_thread(thread=thread, **kw),
    )


# What members are told, and appeals --------------------------------------------------------------


@login_required
@require_GET
def notices(request):
    """Moderation decisions about the member's contributions or account, with appeals."""
    entries = list(moderation.entries_about(request.user).select_related("appeal")[:100])
    for entry in entries:
        entry.label = Action.LABELS.get(entry.action, entry.action)
        entry.appealable = entry.action in moderation.APPEALABLE_ACTIONS
    return render(
        request,
        "forum/moderation/notices.html",
        {"entries": entries, "suspension": permissions.active_suspension(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request, pk: int):
    """Reply once to a decision about you; the appeal goes to the moderators' queue."""
    entry = get_object_or_404(ModerationLogEntry, pk=pk)
    subject_id = moderation.entry_subject_id(entry)
    if subject_id != request.user.pk:
        raise Http404("No such decision.")
    if refusal := permissions.appeal_refusal(request.user, entry, subject_id):
        raise PermissionDenied(refusal)
    form = AppealForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            moderation.submit_appeal(entry=entry, member=request.user, text=form.cleaned_data["text"])
        except ModerationError as error:
            form.add_error("text", str(error))
        else:
            messages.success(request, "Your appeal has been sent to the moderators. We will tell you the outcome.")
            return redirect("forum:moderation_notices")
    return render(
        request,
        "forum/moderation/appeal.html",
        {"entry": entry, "label": Action.LABELS.get(entry.action, entry.action), "form": form},
    )


# The queue -----------------------------------------------------------------------------------------


def _first(queryset, size: int):
    rows = list(queryset[: size + 1])
    return rows[:size], len(rows) > size


@moderator_required
@require_GET
def queue(request):
    """Everything waiting for a moderator, oldest first, each report with its reason."""
    flaggers = list(moderation.flaggers_with_open_reports())
    filters = QueueFilterForm(request.GET or None, flaggers=flaggers)
    reason, flagger_id = "", None
    if filters.is_valid():
        reason = filters.cleaned_data["reason"] or ""
        flagger_id = filters.cleaned_data["flagger"]
    size = moderation.QUEUE_SECTION_SIZE
    comments, more_comments = _first(moderation.reported_comments(reason=reason, flagger_id=flagger_id), size)
    threads, more_threads = _first(moderation.reported_threads(reason=reason, flagger_id=flagger_id), size)
    filtering = bool(reason or flagger_id)
    pending, more_pending = ([], False) if filtering else _first(moderation.pending_comments(), size)
    appeals, more_appeals = ([], False) if filtering else _first(moderation.open_appeals(), size)
    for item in appeals:
        item.label = Action.LABELS.get(item.log_entry.action, item.log_entry.action)
    return render(
        request,
        "forum/moderation/queue.html",
        {
            "filters": filters,
            "filtering": filtering,
            "comments": comments,
            "more_comments": more_comments,
            "threads": threads,
            "more_threads": more_threads,
            "pending": pending,
            "more_pending": more_pending,
            "appeals": appeals,
            "more_appeals": more_appeals,
            "section_size": size,
        },
    )


# Comments ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    title: str
    button: str
    reason_required: bool
    reason_label: str = "Reason"
    reason_help: str = ""
    warning: bool = False
    explanation: str = ""


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
}


def _moderated_comment(pk: int) -> Comment:
    return get_object_or_404(
        Comment.objects.select_related("thread__theme", "author", "hidden_by", "approved_by"), pk=pk
    )


def comment_action_available(comment: Comment, action: str, *, has_open_flags: bool = True) -> bool:
    """Whether a moderator action makes sense for the comment in its current state."""
    live = not comment.is_deleted
    waiting = comment.needs_approval
    return {
        "keep": live and not waiting and (has_open_flags or comment.hidden_automatically),
        "hide": live and not waiting and (not comment.is_hidden or comment.hidden_automatically),
        "unhide": live and not waiting and comment.is_hidden,
        "delete": live,
        "warn": comment.author_id is not None,
        "approve": live and waiting,
        "reject": live and waiting and not comment.is_hidden,
    }.get(action, False)


@moderator_required
@require_GET
def comment_review(request, pk: int):
    """One comment as moderators see it: text (even when hidden), history, reports, decisions."""
    comment = _moderated_comment(pk)
    flags = list(comment.flags.select_related("flagger", "resolved_by").order_by("created_at", "pk"))
    has_open = any(flag.status == "open" for flag in flags)
    revisions = list(comment.revisions.select_related("edited_by").order_by("-created_at", "-pk"))
    entries = list(ModerationLogEntry.objects.filter(target_type="comment", target_id=comment.pk)[:50])
    for entry in entries:
        entry.label = Action.LABELS.get(entry.action, entry.action)
    actions = [
        (name, spec)
        for name, spec in COMMENT_ACTIONS.items()
        if comment_action_available(comment, name, has_open_flags=has_open)
    ]
    return render(
        request,
        "forum/moderation/comment_review.html",
        {
            "comment": comment,
            "thread": comment.thread,
            "flags": flags,
            "revisions": revisions,
            "entries": entries,
            "actions": actions,
            "author_suspension": permissions.active_suspension(comment.author) if comment.author else None,
        },
    )


def _run(form, call):
    """Call a service; a ModerationError becomes a form error. Returns True when it worked."""
    try:
        call()
    except ModerationError as error:
        form.add_error(None, str(error))
        return False
    return True


@moderator_required
@require_http_methods(["GET", "POST"])
def comment_action(request, pk: int, action: str):
    spec = COMMENT_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    comment = _moderated_comment(pk)
    has_open = action != "keep" or comment.flags.filter(status="open").exists()
    if not comment_action_available(comment, action, has_open_flags=has_open):
        messages.info(request, "That action does not apply to this comment any more.")
        return redirect("forum:moderation_comment", pk=comment.pk)
    form = ReasonForm(_posted(request), required=spec.reason_required, label=spec.reason_label,
                      help_text=spec.reason_help)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        services = {
            "keep": lambda: moderation.keep_comment(comment=comment, moderator=request.user, reason=reason),
            "hide": lambda: moderation.hide_comment(comment=comment, moderator=request.user, reason=reason),
            "unhide": lambda: moderation.unhide_comment(comment=comment, moderator=request.user, reason=reason),
            "delete": lambda: moderation.delete_comment(comment=comment, moderator=request.user, reason=reason),
            "warn": lambda: moderation.warn_author(comment=comment, moderator=request.user, message=reason),
            "approve": lambda: moderation.approve_comment(comment=comment, moderator=request.user, reason=reason),
            "reject": lambda: moderation.reject_comment(comment=comment, moderator=request.user, reason=reason),
        }
        if _run(form, services[action]):
            messages.success(request, f"Done: {spec.title.lower()}.")
            return redirect("forum:moderation_comment", pk=comment.pk)
    return render(
        request,
        "forum/moderation/action.html",
        {
            "spec": spec,
            "form": form,
            "subject_template": "forum/moderation/includes/comment_summary.html",
            "comment": comment,
            "thread": comment.thread,
            "action_url": reverse("forum:moderation_comment_action", args=[comment.pk, action]),
            "back_url": reverse("forum:moderation_comment", args=[comment.pk]),
        },
    )


@moderator_required
@require_http_methods(["GET", "POST"])
def comment_edit(request, pk: int):
    """Edit a comment as a moderator; the new version is a revision by the moderator."""
    comment = _moderated_comment(pk)
    if comment.is_deleted:
        raise PermissionDenied("This comment has been deleted, so it cannot be edited.")
    form = ModeratorEditForm(_posted(request), initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        call = lambda: moderation.edit_comment(  # noqa: E731
            comment=comment, moderator=request.user, body=form.cleaned_data["body"], reason=form.cleaned_data["reason"]
        )
        if _run(form, call):
            messages.success(request, "The comment has been changed and the author told why.")
            return redirect("forum:moderation_comment", pk=comment.pk)
    return render(request, "forum/moderation/comment_edit.html", {"comment": comment, "thread": comment.thread,
                                                                  "form": form})


# Threads -------------------------------------------------------------------------------------------

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
                      explanation="It is listed first in its theme."),
    "unpin": ActionSpec("Unpin this discussion", "Unpin discussion", False),
}


def _moderated_thread(pk: int) -> Thread:
    return get_object_or_404(Thread.objects.select_related("theme", "author"), pk=pk)


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


@moderator_required
@require_GET
def thread_review(request, pk: int):
    thread = _moderated_thread(pk)
    flags = list(thread.flags.select_related("flagger", "resolved_by").order_by("created_at", "pk"))
    has_open = any(flag.status == "open" for flag in flags)
    entries = list(ModerationLogEntry.objects.filter(target_type="thread", target_id=thread.pk)[:50])
    for entry in entries:
        entry.label = Action.LABELS.get(entry.action, entry.action)
    actions = [(n, s) for n, s in THREAD_ACTIONS.items() if thread_action_available(thread, n, has_open_flags=has_open)]
    opening = thread.comments.filter(position=1).first()
    return render(
        request,
        "forum/moderation/thread_review.html",
        {"thread": thread, "flags": flags, "entries": entries, "actions": actions, "opening": opening},
    )


@moderator_required
@require_http_methods(["GET", "POST"])
def thread_action(request, pk: int, action: str):
    spec = THREAD_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    thread = _moderated_thread(pk)
    has_open = action != "keep" or thread.flags.filter(status="open").exists()
    if not thread_action_available(thread, action, has_open_flags=has_open):
        messages.info(request, "That action does not apply to this discussion any more.")
        return redirect("forum:moderation_thread", pk=thread.pk)
    form = ReasonForm(_posted(request), required=spec.reason_required, label=spec.reason_label,
                      help_text=spec.reason_help)
    if request.method == "POST" and form.is_valid():
        reason, user = form.cleaned_data["reason"], request.user
        services = {
            "keep": lambda: moderation.keep_thread(thread=thread, moderator=user, reason=reason),
            "hide": lambda: moderation.hide_thread(thread=thread, moderator=user, reason=reason),
            "unhide": lambda: moderation.unhide_thread(thread=thread, moderator=user, reason=reason),
            "lock": lambda: moderation.lock_thread(thread=thread, moderator=user, reason=reason),
            "unlock": lambda: moderation.unlock_thread(thread=thread, moderator=user, reason=reason),
            "pin": lambda: moderation.pin_thread(thread=thread, moderator=user, pinned=True),
            "unpin": lambda: moderation.pin_thread(thread=thread, moderator=user, pinned=False),
        }
        if _run(form, services[action]):
            messages.success(request, f"Done: {spec.title.lower()}.")
            return redirect("forum:moderation_thread", pk=thread.pk)
    return render(
        request,
        "forum/moderation/action.html",
        {
            "spec": spec,
            "form": form,
            "subject_template": "forum/moderation/includes/thread_summary.html",
            "thread": thread,
            "action_url": reverse("forum:moderation_thread_action", args=[thread.pk, action]),
            "back_url": reverse("forum:moderation_thread", args=[thread.pk]),
        },
    )


@moderator_required
@require_http_methods(["GET", "POST"])
def thread_move(request, pk: int):
    thread = _moderated_thread(pk)
    form = MoveThreadForm(_posted(request), thread=thread)
    if request.method == "POST" and form.is_valid():
        call = lambda: moderation.move_thread(  # noqa: E731
            thread=thread, moderator=request.user, theme=form.cleaned_data["theme"], reason=form.cleaned_data["reason"]
        )
        if _run(form, call):
            messages.success(request, f"The discussion is now in “{thread.theme.title}”.")
            return redirect("forum:moderation_thread", pk=thread.pk)
    return render(request, "forum/moderation/thread_move.html", {"thread": thread, "form": form})


# Themes --------------------------------------------------------------------------------------------


@theme_steward_required
@require_http_methods(["GET", "POST"])
def theme_status(request, slug: str):
    """Open or close a theme for comment, or mark it under review."""
    theme = get_theme(slug)
    form = ThemeStatusForm(_posted(request), initial={"status": theme.status})
    if request.method == "POST" and form.is_valid():
        call = lambda: moderation.set_theme_status(  # noqa: E731
            theme=theme, actor=request.user, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"]
        )
        if _run(form, call):
            messages.success(request, f"The theme is now {theme.get_status_display().lower()}.")
            return redirect(theme)
    return render(request, "forum/moderation/theme_status.html", {"theme": theme, "form": form})


@facilitator_required
@require_http_methods(["GET", "POST"])
def theme_respond(request, slug: str):
    """Post the official "you said, we did" response at the top of a theme."""
    theme = get_theme(slug)
    form = ThemeResponseForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        call = lambda: moderation.post_theme_response(  # noqa: E731
            theme=theme, facilitator=request.user, body=form.cleaned_data["body"]
        )
        if _run(form, call):
            messages.success(request, "The response is published at the top of the theme, and its followers told.")
            return redirect(theme)
    return render(request, "forum/moderation/theme_respond.html", {"theme": theme, "form": form})


# Members -------------------------------------------------------------------------------------------


def _member(pk: int) -> User:
    return get_object_or_404(User, pk=pk)


@moderator_required
@require_GET
def member(request, pk: int):
    """A member as moderators see them: suspensions and the decisions about them."""
    person = _member(pk)
    suspensions = list(
        Suspension.objects.filter(member=person).select_related("suspended_by", "lifted_by").order_by("-starts_at")
    )
    entries = list(moderation.entries_about(person)[:50])
    for entry in entries:
        entry.label = Action.LABELS.get(entry.action, entry.action)
    return render(
        request,
        "forum/moderation/member.html",
        {
            "person": person,
            "suspensions": suspensions,
            "active": permissions.active_suspension(person),
            "entries": entries,
            "suspend_refusal": permissions.suspend_refusal(request.user, person),
        },
    )


@moderator_required
@require_http_methods(["GET", "POST"])
def member_suspend(request, pk: int):
    person = _member(pk)
    if refusal := permissions.suspend_refusal(request.user, person):
        raise PermissionDenied(refusal)
    form = SuspendForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        call = lambda: moderation.suspend_member(  # noqa: E731
            member=person, moderator=request.user, reason=form.cleaned_data["reason"], days=form.days
        )
        if _run(form, call):
            messages.success(request, f"{person.public_name} is suspended and has been told why.")
            return redirect("forum:moderation_member", pk=person.pk)
    return render(request, "forum/moderation/member_suspend.html", {"person": person, "form": form})


@moderator_required
@require_http_methods(["GET", "POST"])
def member_unsuspend(request, pk: int):
    person = _member(pk)
    if not permissions.is_suspended(person):
        messages.info(request, f"{person.public_name} is not suspended.")
        return redirect("forum:moderation_member", pk=person.pk)
    spec = ActionSpec("Lift the suspension", "Lift suspension", False,
                      explanation="The member can take part again at once, and is told.")
    form = ReasonForm(_posted(request), required=False)
    if request.method == "POST" and form.is_valid():
        call = lambda: moderation.unsuspend_member(  # noqa: E731
            member=person, moderator=request.user, reason=form.cleaned_data["reason"]
        )
        if _run(form, call):
            messages.success(request, f"{person.public_name}’s suspension has been lifted.")
            return redirect("forum:moderation_member", pk=person.pk)
    return render(
        request,
        "forum/moderation/action.html",
        {
            "spec": spec,
            "form": form,
            "subject_template": "forum/moderation/includes/member_summary.html",
            "person": person,
            "action_url": reverse("forum:moderation_member_unsuspend", args=[person.pk]),
            "back_url": reverse("forum:moderation_member", args=[person.pk]),
        },
    )


# Appeals -------------------------------------------------------------------------------------------


@moderator_required
@require_http_methods(["GET", "POST"])
def appeal_decide(request, pk: int):
    item = get_object_or_404(Appeal.objects.select_related("log_entry", "member", "decided_by"), pk=pk)
    form = AppealDecisionForm(_posted(request))
    if item.status == AppealStatus.OPEN and request.method == "POST" and form.is_valid():
        call = lambda: moderation.decide_appeal(  # noqa: E731
            appeal=item, moderator=request.user, uphold=form.cleaned_data["decision"] == "uphold",
            reason=form.cleaned_data["reason"],
        )
        if _run(form, call):
            messages.success(request, "The appeal is decided and the member has been told.")
            return redirect("forum:moderation_queue")
    return render(
        request,
        "forum/moderation/appeal_decide.html",
        {"appeal": item, "entry": item.log_entry, "label": Action.LABELS.get(item.log_entry.action, ""),
         "form": form, "target_url": log_target_url(item.log_entry)},
    )


# Filters -------------------------------------------------------------------------------------------


@moderator_required
@require_http_methods(["GET", "POST"])
def filters(request):
    """The word and pattern filters: list, add (POST), delete (POST to filter_delete)."""
    form = WordFilterForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        moderation.add_filter(
            moderator=request.user, pattern=data["pattern"], action=data["action"], is_regex=data["is_regex"],
            replacement=data["replacement"], message=data["message"],
        )
        messages.success(request, f"The filter “{data['pattern']}” is added and applies to new comments at once.")
        return redirect("forum:moderation_filters")
    rows = list(WordFilter.objects.select_related("created_by").order_by("pattern", "pk"))
    return render(request, "forum/moderation/filters.html", {"form": form, "filters": rows})


@moderator_required
@require_POST
def filter_delete(request, pk: int):
    word_filter = get_object_or_404(WordFilter, pk=pk)
    moderation.delete_filter(word_filter=word_filter, moderator=request.user)
    messages.success(request, f"The filter “{word_filter.pattern}” is removed.")
    return redirect("forum:moderation_filters")


# The log -------------------------------------------------------------------------------------------


def log_target_url(entry: ModerationLogEntry) -> str | None:
    """Where a moderator goes to see what an entry is about (no query)."""
    if entry.target_id is None:
        return None
    names = {
        "comment": "forum:moderation_comment",
        "thread": "forum:moderation_thread",
        "member": "forum:moderation_member",
    }
    if entry.target_type in names:
        return reverse(names[entry.target_type], args=[entry.target_id])
    if entry.target_type == "filter":
        return reverse("forum:moderation_filters")
    return None


@moderator_required
@require_GET
def log(request):
    """Every moderation action, newest first; filterable, and downloadable as CSV."""
    form = LogFilterForm(request.GET or None)
    entries = form.filter(ModerationLogEntry.objects.all())
    page = page_number(request)
    paginator = Paginator(entries, LOG_PAGE_SIZE)
    if page > paginator.num_pages:
        raise Http404("No such page.")
    page_obj = paginator.page(page)
    rows = list(page_obj.object_list)
    for entry in rows:
        entry.label = Action.LABELS.get(entry.action, entry.action)
        entry.target_url = log_target_url(entry)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "forum/moderation/log.html",
        {"form": form, "entries": rows, "page_obj": page_obj, "query": query.urlencode()},
    )


class _Echo:
    def write(self, value):
        return value


def _csv_safe(value) -> str:
    """Stop spreadsheet programs treating a cell as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@moderator_required
@require_GET
def log_csv(request):
    form = LogFilterForm(request.GET or None)
    entries = form.filter(ModerationLogEntry.objects.all()).iterator(chunk_size=500)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(["when", "who", "automatic", "action", "target type", "target id", "target", "reason"])
        for entry in entries:
            yield writer.writerow(
                [
                    timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                    _csv_safe(entry.actor_name),
                    "yes" if entry.automatic else "no",
                    Action.LABELS.get(entry.action, entry.action),
                    entry.target_type,
                    entry.target_id or "",
                    _csv_safe(entry.target_repr),
                    _csv_safe(entry.reason),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="moderation-log-{stamp}.csv"'
    return response
