"""Members' side of moderation: reporting a comment or discussion, the decisions about them, and
appealing one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from forum.models import Flag, ModerationLogEntry
from forum.moderation import appeals, log, reports, rules
from forum.moderation.flow import ModerationError
from forum.moderation.forms import AppealForm, FlagForm
from forum.moderation.views.gates import posted
from forum.posting import ratelimits
from forum.standing import active_suspension
from forum.views.access import get_comment_for_reader, get_thread_for_reader


def _report(request, target, *, kind: str, rule, report, back_url: str):
    """The report form for a comment or discussion: once per member, rate-limited, with a reason.
    `rule` says who may report it, `report` records the report."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if refusal := rule(request.user, target):
        raise PermissionDenied(refusal)
    field = "comment" if kind == "comment" else "thread"
    already = Flag.objects.filter(flagger=request.user, **{field: target}).first()
    form = FlagForm(posted(request))
    if request.method == "POST" and already is None:
        if reason := ratelimits.refusal(request.user, ratelimits.FLAG):
            form.is_valid()
            form.add_error(None, reason)
        elif form.is_valid():
            try:
                report(**{field: target}, flagger=request.user, reason=form.cleaned_data["reason"],
                       detail=form.cleaned_data["detail"])
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
    return render(
        request,
        "forum/moderation/flag.html",
        {"form": form, "target": target, "kind": kind, "action_url": request.path, "back_url": back_url,
         "already": already},
    )


@require_http_methods(["GET", "POST"])
def flag_comment(request, pk: int):
    """Report a comment to the moderators, once, with a reason."""
    comment = get_comment_for_reader(request, pk)
    return _report(request, comment, kind="comment", rule=rules.flag_comment_refusal, report=reports.flag_comment,
                   back_url=comment.get_thread_url())


@require_http_methods(["GET", "POST"])
def flag_thread(request, pk: int):
    """Report a discussion (its title or subject) to the moderators."""
    thread = get_thread_for_reader(request, pk)
    return _report(request, thread, kind="discussion", rule=rules.flag_thread_refusal, report=reports.flag_thread,
                   back_url=thread.get_absolute_url())


@login_required
@require_GET
def notices(request):
    """Moderation decisions about the member's contributions or account, with appeals."""
    entries = list(log.entries_about(request.user).select_related("appeal")[:100])
    for entry in entries:
        entry.label = log.label(entry)
        entry.about = log.as_told_to_its_subject(entry)
        entry.appealable = entry.action in log.APPEALABLE_ACTIONS
    return render(
        request,
        "forum/moderation/notices.html",
        {"entries": entries, "suspension": active_suspension(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request, pk: int):
    """Reply once to a decision about you; the appeal goes to the moderators' queue."""
    entry = get_object_or_404(ModerationLogEntry, pk=pk)
    subject_id = log.entry_subject_id(entry)
    if subject_id != request.user.pk:
        raise Http404("No such decision.")
    if refusal := rules.appeal_refusal(request.user, entry, subject_id):
        raise PermissionDenied(refusal)
    form = AppealForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            appeals.submit_appeal(entry=entry, member=request.user, text=form.cleaned_data["text"])
        except ModerationError as error:
            form.add_error("text", str(error))
        else:
            messages.success(request, "Your appeal has been sent to the moderators. We will tell you the outcome.")
            return redirect("forum:moderation_notices")
    return render(request, "forum/moderation/appeal.html", {"entry": entry, "label": log.label(entry), "form": form})
