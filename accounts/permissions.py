"""Every account-level permission rule, in one place.

Two-factor authentication is open to everyone and *required* for people with power over others:
staff (the Django admin), superusers, and members of the Moderators and Facilitators groups or
anyone holding a moderation permission. `require_mfa` guards their pages; `mfa_refusal` gives
templates the same answer. Having it set up is not enough: the session itself must have passed a
second factor (allauth's authentication records), so a session that signed in with the password
alone, before MFA was switched on or by someone who holds only the password, is asked for a code
first (`second_factor_response`).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from accounts.sso import SECOND_FACTOR_SESSION_KEY

MODERATORS_GROUP = "Moderators"
FACILITATORS_GROUP = "Facilitators"
STAFF_GROUPS = (MODERATORS_GROUP, FACILITATORS_GROUP)
# The forum's moderation permission; named as a string so accounts does not import the forum.
MODERATION_PERMISSIONS = ("forum.moderate_comment", "accounts.verify_affiliation")
VERIFY_AFFILIATION_PERMISSION = "accounts.verify_affiliation"


def has_mfa(user) -> bool:
    """Whether the person has an authenticator app, a passkey or a security key switched on."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_cg_has_mfa", None)
    if cached is None:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import is_mfa_enabled

        cached = is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])
        user._cg_has_mfa = cached
    return cached


def mfa_required_for(user) -> bool:
    """Staff, superusers, moderators and facilitators must use two-factor authentication."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    if any(user.has_perm(permission) for permission in MODERATION_PERMISSIONS):
        return True
    return user.groups.filter(name__in=STAFF_GROUPS).exists()


def mfa_refusal(user) -> str | None:
    """Why this person may not open a protected page yet, or None when MFA is on."""
    if not user.is_authenticated:
        return "Sign in to continue."
    if not has_mfa(user):
        return (
            "Moderation and administration pages need two-factor authentication. "
            "Set up an authenticator app or add a passkey on your account, then come back to this page."
        )
    return None


def render_mfa_required(request, *, status: int = 403):
    """The page that explains why, with a link to set up an authenticator app."""
    setup_url = reverse("mfa_activate_totp")
    return render(
        request,
        "accounts/mfa_required.html",
        {"reason": mfa_refusal(request.user), "setup_url": setup_url},
        status=status,
    )


def passed_second_factor(request) -> bool:
    """Whether this session signed in, or confirmed since, with an authenticator app, a recovery
    code, a passkey or a security key (allauth records all of them as method "mfa"; signing in with
    a passkey alone counts too, because passkey sign-in requires user verification), or signed in
    through single sign-on from an allow-listed tenant that said a second factor was used (`amr`
    with `mfa`; docs/accounts.md, "Single sign-on")."""
    from allauth.account.authentication import get_authentication_records

    if passed_second_factor_with_sso(request):
        return True
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def passed_second_factor_with_sso(request) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SECOND_FACTOR_SESSION_KEY))


def _confirm_second_factor_url(user) -> str:
    """Where to confirm a second factor: the code page for people with an authenticator app (it
    offers their passkeys as another way), the passkey page for people who have only passkeys."""
    from allauth.mfa.models import Authenticator

    if Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists():
        return reverse("mfa_reauthenticate")
    return reverse("mfa_reauthenticate_webauthn")


def second_factor_response(request, *, next_url: str | None = None):
    """None when this session may open a page that needs two-factor authentication; otherwise the
    page that says to set it up, or a redirect to confirm a code and come back (to `next_url`, by
    default this page)."""
    if passed_second_factor_with_sso(request):
        return None  # the organisation's sign-in vouched for a second factor in this session
    if not has_mfa(request.user):
        return render_mfa_required(request)
    if not passed_second_factor(request):
        back = next_url or request.get_full_path()
        return redirect(f"{_confirm_second_factor_url(request.user)}?{urlencode({'next': back})}")
    return None


def require_mfa(view_func):
    """Refuse a view, with a link to set up MFA, until the signed-in person has MFA enabled, and
    ask for a code when this session has not passed the second factor yet.

    Use it on every moderation view, inside the view's own permission check:

        @require_mfa
        @permission_required("forum.moderate_comment", raise_exception=True)
        def moderation_queue(request): ...

    Anonymous visitors are sent to sign in first.
    """

    @wraps(view_func)
    @login_required
    def wrapper(request, *args, **kwargs):
        if refusal := second_factor_response(request):
            return refusal
        return view_func(request, *args, **kwargs)

    return wrapper


def can_verify_affiliation(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(VERIFY_AFFILIATION_PERMISSION))


def require_affiliation_moderator(user) -> None:
    if not can_verify_affiliation(user):
        raise PermissionDenied("Only moderators can verify or revoke a member's stakeholder group.")
