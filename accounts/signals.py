"""allauth tells us when an email address is confirmed or removed; verification follows the address.

These are allauth's signals (the only way to hear about its flows); our own workflows call
`accounts.affiliation` directly.
"""

from __future__ import annotations

from allauth.account.signals import email_confirmed, email_removed
from django.dispatch import receiver

from accounts import affiliation


@receiver(email_confirmed, dispatch_uid="accounts.refresh_affiliation_on_confirm")
def refresh_affiliation_on_confirm(sender, request, email_address, **kwargs):
    affiliation.refresh_affiliation(email_address.user)


@receiver(email_removed, dispatch_uid="accounts.refresh_affiliation_on_remove")
def refresh_affiliation_on_remove(sender, request, user, email_address, **kwargs):
    affiliation.refresh_affiliation(user)
