"""Common Ground's account rules on top of allauth: wording, and where people land after signing in.

A member whose profile is incomplete is sent to the onboarding page after signing up, signing in
or confirming their email address, unless the link they followed asked for a specific page. A
member whose display name mixes alphabets (accepted before that rule) is sent to their profile
to choose it again; nobody is renamed without knowing.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse

from accounts.models import User
from accounts.sso import SECOND_FACTOR_SESSION_KEY, asserts_mfa, decide, identity_claims
from accounts.validators import mixed_scripts


def _needs_onboarding(user) -> bool:
    return bool(user.is_authenticated and not user.profile_complete)


CONFIRMED_MESSAGE = "account/messages/email_confirmed.txt"
SIGNED_IN_MESSAGE = "account/messages/logged_in.txt"


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": "This account is not active. Contact the site's moderators if you think this is wrong.",
        "cannot_remove_primary_email": (
            "You cannot remove your primary email address. Make another verified address primary first."
        ),
        "duplicate_email": "That email address is already on your account.",
        "email_password_mismatch": (
            "The email address or password is not right. Check them and try again, or reset your password."
        ),
        "email_taken": "That email address cannot be used. Try a different one.",
        "enter_current_password": "Your current password is not right. Enter the password you sign in with now.",
        "incorrect_code": "That code is not right. Check the code and try again.",
        "incorrect_password": "That password is not right. Try again.",
        "invalid_or_expired_key": "This link has expired or has already been used. Ask for a new one.",
        "invalid_login": "Enter your email address.",
        "invalid_password_reset": "This password reset link has expired or has already been used.",
        "max_email_addresses": "You cannot add more than %d email addresses.",
        "too_many_login_attempts": (
            "Too many attempts to sign in. Wait 5 minutes, then try again, or reset your password."
        ),
        "unknown_email": "There is no account with that email address.",
        "unverified_primary_email": "Confirm your email address before making it your primary address.",
        "select_only_one": "Enter only one of these.",
        "same_as_current": "The new value must be different from the current one.",
        "rate_limited": "You have tried this too many times. Wait a few minutes, then try again.",
    }

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        """One banner after following a confirmation link: "You have confirmed …", without a
        second "Successfully signed in" stacked under it (the header shows who is signed in)."""
        if message_template == CONFIRMED_MESSAGE:
            request._cg_just_confirmed = True
        elif message_template == SIGNED_IN_MESSAGE and getattr(request, "_cg_just_confirmed", False):
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    # The links under "Other ways to confirm", in the words the pages use.
    reauthentication_wording = {
        "reauthenticate": "Use your password",
        "mfa_reauthenticate": "Use a code from your authenticator app, or a recovery code",
        "mfa_reauthenticate:webauthn": "Use a passkey or security key",
    }

    def get_reauthentication_methods(self, user) -> list[dict]:
        methods = super().get_reauthentication_methods(user)
        for method in methods:
            method["description"] = self.reauthentication_wording.get(method["id"], method["description"])
        return methods

    def get_login_redirect_url(self, request) -> str:
        if _needs_onboarding(request.user):
            return reverse("accounts:onboarding")
        if mixed_scripts(request.user.display_name):
            messages.warning(request, "Please choose your display name again. It mixes letters from different "
                             "alphabets, which can make it look like someone else's name, so it is no longer "
                             "accepted. Nothing has been changed yet.")
            return reverse("accounts:edit_profile")
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request) -> str:
        if _needs_onboarding(request.user):
            return reverse("accounts:onboarding")
        return super().get_signup_redirect_url(request)

    def get_email_verification_redirect_url(self, email_address) -> str:
        if _needs_onboarding(self.request.user):
            return reverse("accounts:onboarding")
        return super().get_email_verification_redirect_url(email_address)


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "add_email_blocked": (
            "You cannot add an email address while two-factor authentication is on. Turn it off, add and "
            "confirm the address, then turn it on again."
        ),
        "cannot_delete_authenticator": "You cannot turn off two-factor authentication.",
        "incorrect_code": "That code is not right. Enter the 6-digit code your authenticator app shows now.",
        "unverified_email": "Confirm your email address before you turn on two-factor authentication.",
    }


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on (accounts.sso): refuse what an allowed tenant or domain does not vouch for,
    mark the address confirmed only then, and never hand a new sign-in an existing account because
    the addresses match: its owner signs in to it first and connects the provider there."""

    error_messages = {
        **DefaultSocialAccountAdapter.error_messages,
        "email_taken": (
            "There is already an account with this email address. Sign in to it first, then connect %s from "
            "Your account."
        ),
        "no_password": "You cannot disconnect this sign-in yet: it is your only way in. Set a password first.",
        "no_verified_email": (
            "You cannot disconnect this sign-in yet: it is your only way in. Confirm an email address first."
        ),
        "disconnect_last": "You cannot disconnect this sign-in: it is your only way in.",
        "connected_other": "That sign-in is already connected to a different Common Ground account.",
        "invalid_token": "The sign-in could not be checked. Try again.",
    }

    def is_email_verified(self, provider, email) -> bool:
        # Never from allauth's `verified_email` setting: pre_social_login decides.
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        app_settings = sociallogin.provider.app.settings if sociallogin.provider.app else {}
        claims = identity_claims(sociallogin.account.extra_data)
        email = sociallogin.email_addresses[0].email if sociallogin.email_addresses else None
        decision = decide(app_settings, claims, email)
        if not decision.allowed:
            raise ImmediateHttpResponse(self._refuse(request, sociallogin, decision.reason))
        sociallogin.email_addresses = [EmailAddress(email=email.lower(), verified=True, primary=True)]
        connecting = sociallogin.state.get("process") == AuthProcess.CONNECT
        if sociallogin.is_existing or connecting:
            self._remember_second_factor(request, app_settings, claims, connecting=connecting)
            return
        taken = EmailAddress.objects.filter(email__iexact=email).exists()
        if taken or User.objects.filter(email__iexact=email).exists():
            raise ImmediateHttpResponse(
                self._refuse(
                    request,
                    sociallogin,
                    "There is already an account with this email address. Sign in to it with your password "
                    f"or an emailed code, then connect {sociallogin.provider.name} from Your account.",
                    existing=True,
                )
            )
        self._remember_second_factor(request, app_settings, claims, connecting=False)

    def _remember_second_factor(self, request, app_settings: dict, claims: dict, *, connecting: bool) -> None:
        """On a sign-in that goes ahead (never a connection), remember for this session whether an
        allow-listed tenant said a second factor was used (`amr` with `mfa`)."""
        if not connecting:
            request.session[SECOND_FACTOR_SESSION_KEY] = asserts_mfa(app_settings, claims)

    def _refuse(self, request, sociallogin, reason: str, *, existing: bool = False):
        return render(
            request,
            "socialaccount/refused.html",
            {"reason": reason, "provider_name": sociallogin.provider.name, "existing": existing},
            status=403,
        )

    def populate_user(self, request, sociallogin, data):
        # The display name is chosen on the onboarding page under its own rules, never copied from
        # the provider; only the confirmed address is taken.
        user = sociallogin.user
        user.email = sociallogin.email_addresses[0].email if sociallogin.email_addresses else ""
        return user
