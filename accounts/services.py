"""Account workflows that touch more than one row."""

from __future__ import annotations

from django.db import transaction

from accounts import affiliation
from accounts.forms import ProfileForm
from accounts.models import User


@transaction.atomic
def save_profile(*, member: User, form: ProfileForm) -> User:
    """Save a valid profile form, log a change of group, and re-check verification. (The saved
    row announces a changed badge: `accounts.signals.member_profile_changed`.)"""
    previous_group = User.objects.filter(pk=member.pk).values_list("stakeholder_group", flat=True).get()
    member = form.save()
    if previous_group != member.stakeholder_group:
        affiliation.record_group_change(member, from_group=previous_group)
    affiliation.refresh_affiliation(member)
    return member


def resend_verification(request, user: User) -> bool:
    """Send a fresh confirmation link to the member's unverified address.

    allauth's rate limit applies (one email per address every few minutes); returns False when
    nothing was sent, so the page can say to use the email already sent.
    """
    from allauth.account.internal.flows.email_verification import send_verification_email_for_user

    if user.email_verified:
        return False
    return send_verification_email_for_user(request, user)
