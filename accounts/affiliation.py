"""Verified affiliation: what the register confirms about a member. Three words, used the same
way everywhere (docs/accounts.md, "What verified means"):

- a **confirmed address**: the member followed the link emailed to it (allauth's
  `EmailAddress.verified`);
- a **verified organisation**: a confirmed address is at a domain in the organisation register
  (`User.affiliation_organisation`, `User.has_verified_organisation`). A shared service such as
  NHSmail says the member is at an organisation that uses it, not which group they speak for;
- a **verified group**: the register's organisation is for the group the member chose, or a
  moderator checked it by hand, for example by role for a patient representative (it stays until
  the group changes or a moderator revokes it) (`User.affiliation_verified`,
  `User.has_verified_group`).

Otherwise the group is *self-declared*. Every change is written to `AffiliationEvent`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import (
    AffiliationBasis,
    AffiliationEvent,
    AffiliationSource,
    Organisation,
    OrganisationDomain,
    User,
)


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower().rstrip(".")


def candidate_rules(domain: str) -> list[str]:
    """Rules that could match `domain`, most specific first.

    `a.b.nhs.uk` can be matched by `a.b.nhs.uk`, `*.b.nhs.uk`, `*.nhs.uk` and `*.uk`.
    """
    labels = domain.split(".")
    rules = [domain]
    rules += ["*." + ".".join(labels[i:]) for i in range(1, len(labels))]
    return rules


def organisation_for_domain(domain: str) -> Organisation | None:
    """The register entry with the most specific rule matching `domain` (one query)."""
    if not domain:
        return None
    rules = candidate_rules(domain)
    matches = {
        row.domain: row.organisation
        for row in OrganisationDomain.objects.filter(domain__in=rules).select_related("organisation")
    }
    for rule in rules:
        if rule in matches:
            return matches[rule]
    return None


def organisation_for_member(member: User) -> Organisation | None:
    """The best register match among the member's verified email addresses, primary first; else
    the organisation a single sign-on provider they signed in through is bound to."""
    from allauth.account.models import EmailAddress

    addresses = EmailAddress.objects.filter(user=member, verified=True).order_by("-primary", "pk")
    for address in addresses:
        organisation = organisation_for_domain(email_domain(address.email))
        if organisation is not None:
            return organisation
    return organisation_from_providers(member)


def provider_organisations() -> dict[str, str]:
    """{provider id: organisation name} for the single sign-on providers bound to an organisation
    (the `organisation` of each in OIDC_PROVIDERS; docs/accounts.md, "Single sign-on")."""
    apps = getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}).get("openid_connect", {}).get("APPS", [])
    return {app["provider_id"]: app["settings"].get("organisation", "") for app in apps
            if app.get("settings", {}).get("organisation")}


def organisation_from_providers(member: User) -> Organisation | None:
    """The organisation bound to a provider the member's account is connected to (one query for
    the connections, one for the register; none when no provider is bound)."""
    from allauth.socialaccount.models import SocialAccount

    bound = provider_organisations()
    if not bound:
        return None
    connected = SocialAccount.objects.filter(user=member, provider__in=bound).order_by("pk")
    names = [bound[provider] for provider in connected.values_list("provider", flat=True)]
    found = {organisation.name: organisation for organisation in Organisation.objects.filter(name__in=names)}
    return next((found[name] for name in names if name in found), None)


def _log(member: User, kind: str, *, actor: User | None = None, note: str = "", from_group: str = "") -> None:
    AffiliationEvent.objects.create(
        member=member,
        actor=actor,
        kind=kind,
        from_group=from_group or member.stakeholder_group,
        to_group=member.stakeholder_group,
        note=note[:500],
    )


def _set_unverified(member: User) -> None:
    member.affiliation_verified = False
    member.affiliation_source = AffiliationSource.SELF_DECLARED
    member.affiliation_organisation = None
    member.affiliation_verified_at = None
    member.affiliation_basis = ""


_AFFILIATION_FIELDS = [
    "affiliation_basis",
    "affiliation_verified",
    "affiliation_source",
    "affiliation_organisation",
    "affiliation_verified_at",
    "affiliation_locked",
]


@transaction.atomic
def refresh_affiliation(member: User) -> bool:
    """Re-check the register for `member`: the verified organisation, and the group when that
    organisation is for the member's group. Save and log any change. Returns whether the group
    is verified."""
    if member.is_former_member:
        return False
    if member.affiliation_source == AffiliationSource.MODERATOR and member.affiliation_verified:
        return True
    organisation = None if member.affiliation_locked else organisation_for_member(member)
    if _confirms_group(organisation, member):
        if not member.affiliation_verified or member.affiliation_organisation_id != organisation.pk:
            member.affiliation_verified = True
            member.affiliation_source = AffiliationSource.EMAIL_DOMAIN
            member.affiliation_organisation = organisation
            member.affiliation_verified_at = timezone.now()
            member.save(update_fields=_AFFILIATION_FIELDS + _region_from(organisation, member))
            _log(member, AffiliationEvent.Kind.VERIFIED_BY_DOMAIN, note=f"Matched {organisation.name}")
        return True
    if member.affiliation_verified:
        _set_unverified(member)
        member.affiliation_organisation = organisation
        member.save(update_fields=_AFFILIATION_FIELDS)
        _log(member, AffiliationEvent.Kind.VERIFICATION_LAPSED, note="No confirmed address is for the group")
    elif member.affiliation_organisation_id != (organisation.pk if organisation else None):
        member.affiliation_organisation = organisation
        member.save(update_fields=_AFFILIATION_FIELDS + _region_from(organisation, member))
        if organisation is not None:
            _log(member, AffiliationEvent.Kind.ORGANISATION_VERIFIED, note=f"Matched {organisation.name}")
        else:
            _log(member, AffiliationEvent.Kind.VERIFICATION_LAPSED, note="No confirmed address at an organisation")
    return False


def _region_from(organisation: Organisation | None, member: User) -> list[str]:
    """Give a member without a region the one region their newly verified organisation serves.
    Returns the fields to save with it."""
    if member.region_id is not None or organisation is None:
        return []
    region = organisation.sole_region()
    if region is None:
        return []
    member.region = region
    return ["region"]


def _confirms_group(organisation: Organisation | None, member: User) -> bool:
    """Whether `organisation` verifies the member's group: a shared service (no group) never does."""
    return bool(
        organisation is not None
        and organisation.stakeholder_group
        and member.stakeholder_group
        and organisation.stakeholder_group == member.stakeholder_group
    )


@transaction.atomic
def record_group_change(member: User, *, from_group: str) -> None:
    """Log a member's own change of group; a moderator's check was for the old group, so it ends."""
    if from_group == member.stakeholder_group:
        return
    AffiliationEvent.objects.create(
        member=member,
        actor=member,
        kind=AffiliationEvent.Kind.GROUP_CHANGED,
        from_group=from_group,
        to_group=member.stakeholder_group,
    )
    if member.affiliation_verified and member.affiliation_source == AffiliationSource.MODERATOR:
        _set_unverified(member)
        member.save(update_fields=_AFFILIATION_FIELDS)
        _log(member, AffiliationEvent.Kind.VERIFICATION_LAPSED, note="The member changed group")


@transaction.atomic
def verify_by_moderator(*, member: User, moderator: User, note: str = "", basis: str = AffiliationBasis.OTHER) -> None:
    """A moderator confirms the member's group by hand: with their organisation (for example by
    phone), or by role for a patient or public representative without a work address (`basis`)."""
    if not member.stakeholder_group:
        raise ValueError("A member without a stakeholder group cannot be verified.")
    member.affiliation_verified = True
    member.affiliation_source = AffiliationSource.MODERATOR
    member.affiliation_verified_at = timezone.now()
    member.affiliation_basis = basis
    member.affiliation_locked = False
    member.save(update_fields=_AFFILIATION_FIELDS)
    evidence = f"{AffiliationBasis(basis).label}. {note}".strip() if basis else note
    _log(member, AffiliationEvent.Kind.VERIFIED_BY_MODERATOR, actor=moderator, note=evidence)


@transaction.atomic
def revoke_by_moderator(*, member: User, moderator: User, note: str = "") -> None:
    """A moderator removes verification; domain rules stay off for this member until re-verified."""
    _set_unverified(member)
    member.affiliation_locked = True
    member.save(update_fields=_AFFILIATION_FIELDS)
    _log(member, AffiliationEvent.Kind.REVOKED_BY_MODERATOR, actor=moderator, note=note)


def suggested_group(member: User) -> tuple[str, Organisation | None]:
    """What the register suggests for onboarding: (group, organisation) or ('', None)."""
    organisation = organisation_for_member(member)
    if organisation is None:
        return "", None
    return organisation.stakeholder_group, organisation
