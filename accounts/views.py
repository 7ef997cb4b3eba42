"""Member pages: public profile, account overview, onboarding, profile editing, privacy.

Signing in, email addresses, passwords, two-factor authentication and sessions are allauth's
views (restyled in templates/account, templates/mfa and templates/usersessions).
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import affiliation, privacy, services
from accounts.forms import AffiliationDecisionForm, DeleteAccountForm, ProfileForm
from accounts.models import AffiliationEvent, User
from accounts.permissions import (
    can_verify_affiliation,
    has_mfa,
    mfa_required_for,
    require_affiliation_moderator,
    second_factor_response,
)


def _safe_next(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def get_member_for_profile(pk: int) -> User:
    """Members with a public profile: active accounts that have not been deleted (404 otherwise)."""
    queryset = User.objects.filter(is_active=True, deleted_at__isnull=True)
    queryset = queryset.select_related("affiliation_organisation", "region")
    return get_object_or_404(queryset, pk=pk)


def _render_profile(request, member: User, *, decision_form=None, status: int = 200):
    moderator_view = can_verify_affiliation(request.user)
    context = {
        "member": member,
        "activity": privacy.public_activity(member, viewer=request.user),
        "is_own_profile": request.user.is_authenticated and request.user.pk == member.pk,
        "can_verify": moderator_view,
        "group_changes": AffiliationEvent.objects.filter(member=member, kind=AffiliationEvent.Kind.GROUP_CHANGED)[:10],
    }
    if moderator_view:
        context["decision_form"] = decision_form or AffiliationDecisionForm()
        context["affiliation_events"] = AffiliationEvent.objects.filter(member=member).select_related("actor")[:10]
    return render(request, "accounts/profile.html", context, status=status)


@require_GET
def profile(request, pk: int, slug: str):
    member = get_member_for_profile(pk)
    if slug != member.slug:
        return redirect(member.get_absolute_url(), permanent=True)
    return _render_profile(request, member)


@require_GET
def profile_by_id(request, pk: int):
    return redirect(get_member_for_profile(pk).get_absolute_url(), permanent=True)


@require_POST
@login_required
def affiliation_decision(request, pk: int):
    """A moderator verifies or revokes a member's stakeholder group by hand; both are logged."""
    require_affiliation_moderator(request.user)
    member = get_member_for_profile(pk)
    if asked := second_factor_response(request, next_url=member.get_absolute_url()):
        return asked
    form = AffiliationDecisionForm(request.POST)
    form.is_valid()
    if form.cleaned_data.get("decision") == "verify" and not member.stakeholder_group:
        form.add_error("decision", "This member has not chosen a stakeholder group yet, so there is nothing to verify.")
    if not form.is_valid():
        return _render_profile(request, member, decision_form=form, status=400)
    note = form.cleaned_data["note"]
    if form.cleaned_data["decision"] == "verify":
        affiliation.verify_by_moderator(
            member=member, moderator=request.user, note=note, basis=form.cleaned_data["basis"]
        )
        messages.success(request, f"{member.public_name}’s group now shows as verified.")
    else:
        affiliation.revoke_by_moderator(member=member, moderator=request.user, note=note)
        messages.success(request, f"{member.public_name}’s group now shows as self-declared.")
    return redirect(member.get_absolute_url())


@login_required
@require_GET
def account_settings(request):
    user = request.user
    return render(
        request,
        "accounts/settings.html",
        {"has_mfa": has_mfa(user), "mfa_required": mfa_required_for(user)},
    )


def _profile_initial(user: User) -> dict:
    """Suggest the group (and organisation) that the member's verified email address confirms."""
    if user.stakeholder_group:
        return {}
    group, organisation = affiliation.suggested_group(user)
    initial = {"stakeholder_group": group} if group else {}
    if organisation is not None and not organisation.is_shared_domain and not user.organisation_name:
        initial["organisation_name"] = organisation.name
    return initial


def _profile_form_page(request, *, template: str, success_url: str, success_message: str):
    user = request.user
    form = ProfileForm(request.POST or None, instance=user, initial=_profile_initial(user))
    if request.method == "POST" and form.is_valid():
        services.save_profile(member=user, form=form)
        messages.success(request, success_message)
        return redirect(success_url)
    suggestion_group, suggestion_org = affiliation.suggested_group(user)
    group_labels = dict(ProfileForm.base_fields["stakeholder_group"].choices)
    return render(
        request,
        template,
        {
            "form": form,
            "next_url": _safe_next(request, ""),
            "suggested_organisation": suggestion_org,
            "suggested_group_label": group_labels.get(suggestion_group, ""),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def onboarding(request):
    """The step after confirming an email address: say who you are before your first post."""
    if request.method == "GET" and request.user.profile_complete:
        return redirect("accounts:edit_profile")
    return _profile_form_page(
        request,
        template="accounts/onboarding.html",
        success_url=_safe_next(request, reverse("home")),
        success_message="Your profile is complete. You can now take part in discussions.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_profile(request):
    return _profile_form_page(
        request,
        template="accounts/edit_profile.html",
        success_url=reverse("accounts:settings"),
        success_message="Your profile has been updated.",
    )


@login_required
@require_POST
def resend_verification(request):
    user = request.user
    if user.email_verified:
        messages.info(request, "Your email address is already confirmed.")
    elif services.resend_verification(request, user):
        messages.success(request, f"We have sent a new confirmation link to {user.email}. It works for 3 days.")
    else:
        messages.info(
            request,
            "We sent you a confirmation link in the last few minutes. Check your inbox and spam folder, "
            "or wait a few minutes and ask again.",
        )
    return redirect(_safe_next(request, reverse("accounts:settings")))


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required(allow_get=True)
def data_export(request):
    """GET explains what the download holds; POST (after confirming the password) sends the file."""
    if request.method == "GET":
        return render(request, "accounts/data_export.html")
    response = HttpResponse(
        privacy.export_member_data_json(request.user), content_type="application/json; charset=utf-8"
    )
    filename = f"common-ground-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required
def delete_account(request):
    """Confirm the password (allauth's reauthentication), then erase the account everywhere."""
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        email = user.email
        privacy.delete_account(user=user, remove_text=form.cleaned_data["remove_text"])
        logout(request)
        get_adapter(request).send_mail("account/email/account_deleted", email, {})
        messages.success(request, "Your account has been deleted. Thank you for taking part in Common Ground.")
        return redirect("home")
    return render(request, "accounts/delete_account.html", {"form": form}, status=400 if form.errors else 200)
