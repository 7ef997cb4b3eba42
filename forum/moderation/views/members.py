"""Moderators' pages for a member (their suspensions and the decisions about them), and for
deciding an appeal."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from accounts.validators import mixed_scripts
from forum.models import Appeal, AppealStatus, Suspension
from forum.moderation import appeals, log, members, rules
from forum.moderation.flow import carry_out
from forum.moderation.forms import AppealDecisionForm, ReasonForm, SuspendForm
from forum.moderation.views.gates import ActionSpec, form_page, moderator_required, posted, run
from forum.moderation.views.log import log_target_url
from forum.standing import active_suspension, is_suspended


@moderator_required
@require_GET
def names_to_check(request):
    """Members whose display name mixes alphabets (accepted before that rule): each is asked to
    choose again at their next sign-in; moderators see who they are meanwhile."""
    names = User.objects.filter(is_active=True, deleted_at__isnull=True).exclude(display_name="")
    flagged = [
        (member, scripts)
        for member in names.only("pk", "display_name", "email").order_by("pk").iterator(chunk_size=2_000)
        if (scripts := mixed_scripts(member.display_name))
    ]
    return render(request, "forum/moderation/names.html", {"flagged": flagged})


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
    entries = list(log.entries_about(person)[:50])
    for entry in entries:
        entry.label = log.label(entry)
    return render(
        request,
        "forum/moderation/member.html",
        {
            "person": person,
            "suspensions": suspensions,
            "active": active_suspension(person),
            "entries": entries,
            "suspend_refusal": rules.suspend_refusal(request.user, person),
        },
    )


@moderator_required
@require_http_methods(["GET", "POST"])
def member_suspend(request, pk: int):
    person = _member(pk)
    if refusal := rules.suspend_refusal(request.user, person):
        raise PermissionDenied(refusal)
    form = SuspendForm(posted(request))
    if request.method == "POST" and form.is_valid():
        step = members.Suspend(person, actor=request.user, reason=form.cleaned_data["reason"], days=form.days)
        if run(form, lambda: carry_out(step)):
            messages.success(request, f"{person.public_name} is suspended and has been told why.")
            return redirect("forum:moderation_member", pk=person.pk)
    return form_page(request, "forum/moderation/member_suspend.html", form=form, person=person,
                     action_url=reverse("forum:moderation_member_suspend", args=[person.pk]),
                     back_url=reverse("forum:moderation_member", args=[person.pk]),
                     back_label=f"to {person.public_name}’s moderation record")


@moderator_required
@require_http_methods(["GET", "POST"])
def member_unsuspend(request, pk: int):
    person = _member(pk)
    if not is_suspended(person):
        messages.info(request, f"{person.public_name} is not suspended.")
        return redirect("forum:moderation_member", pk=person.pk)
    spec = ActionSpec("Lift the suspension", "Lift suspension", False,
                      explanation="The member can take part again at once, and is told.")
    form = ReasonForm(posted(request), required=False)
    if request.method == "POST" and form.is_valid():
        step = members.Unsuspend(person, actor=request.user, reason=form.cleaned_data["reason"])
        if run(form, lambda: carry_out(step)):
            messages.success(request, f"{person.public_name}’s suspension has been lifted.")
            return redirect("forum:moderation_member", pk=person.pk)
    return form_page(request, "forum/moderation/action.html", form=form, spec=spec, person=person,
                     subject_template="forum/moderation/includes/member_summary.html",
                     action_url=reverse("forum:moderation_member_unsuspend", args=[person.pk]),
                     back_url=reverse("forum:moderation_member", args=[person.pk]), back_label="to the review page")


@moderator_required
@require_http_methods(["GET", "POST"])
def appeal_decide(request, pk: int):
    item = get_object_or_404(Appeal.objects.select_related("log_entry", "member", "decided_by"), pk=pk)
    form = AppealDecisionForm(posted(request))
    if item.status == AppealStatus.OPEN and request.method == "POST" and form.is_valid():
        step = appeals.Decide(item, actor=request.user, uphold=form.cleaned_data["decision"] == "uphold",
                              reason=form.cleaned_data["reason"])
        if run(form, lambda: carry_out(step)):
            messages.success(request, "The appeal is decided and the member has been told.")
            return redirect("forum:moderation_queue")
    return render(
        request,
        "forum/moderation/appeal_decide.html",
        {"appeal": item, "entry": item.log_entry, "label": log.label(item.log_entry),
         "form": form, "target_url": log_target_url(item.log_entry)},
    )
