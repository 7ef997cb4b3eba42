"""Signals in and out of the accounts app.

In: allauth tells us when an email address is confirmed or removed, and verification follows the
address (allauth's signals are the only way to hear about its flows; our own workflows call
`accounts.affiliation` directly).

Out: `member_profile_changed`, sent with `member` and `changed` (the names of the fields that
changed) after a saved member's name, group, organisation, declared interests, verification or
deletion changed. Every comment shows some of these (the member badge), so the forum renews its
cached pages, and empties an erased member's group on their comments; accounts never imports the
forum.
"""

from __future__ import annotations

from allauth.account.signals import email_confirmed, email_removed
from allauth.mfa.signals import authenticator_added
from allauth.socialaccount.signals import social_account_added, social_account_removed, social_account_updated
from django.db.models.signals import post_init, post_save
from django.dispatch import Signal, receiver

from accounts import affiliation
from accounts.models import User

member_profile_changed = Signal()

BADGE_FIELDS = ("display_name", "stakeholder_group", "organisation_name", "declared_interests",
                "affiliation_verified", "deleted_at")


@receiver(post_init, sender=User, dispatch_uid="accounts.remember_badge")
def remember_badge(sender, instance, **kwargs):
    instance._badge_as_loaded = tuple(instance.__dict__.get(name) for name in BADGE_FIELDS)


@receiver(post_save, sender=User, dispatch_uid="accounts.announce_badge_changes")
def announce_badge_changes(sender, instance, created, update_fields=None, **kwargs):
    if not created and update_fields is not None and not set(update_fields) & set(BADGE_FIELDS):
        return
    now = tuple(getattr(instance, name) for name in BADGE_FIELDS)
    before = getattr(instance, "_badge_as_loaded", now)
    instance._badge_as_loaded = now
    changed = {name for name, old, new in zip(BADGE_FIELDS, before, now, strict=True) if old != new}
    if changed and not created:
        member_profile_changed.send(sender=sender, member=instance, changed=changed)


@receiver(email_confirmed, dispatch_uid="accounts.refresh_affiliation_on_confirm")
def refresh_affiliation_on_confirm(sender, request, email_address, **kwargs):
    affiliation.refresh_affiliation(email_address.user)


@receiver(email_removed, dispatch_uid="accounts.refresh_affiliation_on_remove")
def refresh_affiliation_on_remove(sender, request, user, email_address, **kwargs):
    affiliation.refresh_affiliation(user)


@receiver(social_account_added, dispatch_uid="accounts.refresh_affiliation_on_sso_added")
@receiver(social_account_updated, dispatch_uid="accounts.refresh_affiliation_on_sso_updated")
@receiver(social_account_removed, dispatch_uid="accounts.refresh_affiliation_on_sso_removed")
def refresh_affiliation_on_sso(sender, request, sociallogin=None, socialaccount=None, **kwargs):
    """A provider bound to an organisation verifies it while the account is connected to it."""
    account = socialaccount or (sociallogin.account if sociallogin is not None else None)
    if account is not None and account.user_id:
        affiliation.refresh_affiliation(account.user)

@receiver(authenticator_added, dispatch_uid="accounts.end_other_sessions_on_mfa")
def end_other_sessions_on_mfa(sender, request, user, **kwargs):
    """Switching on two-factor authentication signs the member out everywhere else: a session that
    signed in with the password alone must not keep what the second factor now guards."""
    from allauth.usersessions.models import UserSession

    current = getattr(getattr(request, "session", None), "session_key", None)
    for session in UserSession.objects.filter(user=user).exclude(session_key=current):
        session.end()
