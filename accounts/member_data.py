"""What each app knows about a member: the contract, and the accounts app's own part.

Any installed app may have a module `<app>/member_data.py`. The accounts app finds these modules
(`accounts.privacy.member_data_modules()`) and calls the functions each one defines. Every function
is optional; define only those your app needs.

``export_member_data(user) -> dict``
    Everything the app holds about `user`, for "Download my data". Return plain JSON-able values
    (str, int, float, bool, None, lists, dicts; dates and datetimes are also accepted). The dict
    appears in the download under the app's label, e.g. ``{"forum": {"comments": [...]}}``.
    Include what the person wrote (with earlier revisions), what they follow, their reactions, the
    flags they raised and their notifications. Leave out other people's personal data.

``erase_member_data(user, *, remove_text: bool) -> None``
    Called when the member deletes their account, inside the one database transaction that then
    empties the user row (it is kept as an anonymous "Former member", so foreign keys stay valid
    and nothing cascades). Delete what is private to the member (follows, reactions, read state,
    notifications, drafts) and detach or anonymise what others rely on. When `remove_text` is
    True, also replace the text of their posts (and revisions) with a removal note. Raise to
    abort the whole deletion; nothing is committed. After this call, `user.public_name` reads
    "Former member" and `user.is_former_member` is True.

``public_activity(member, *, viewer) -> dict``
    What the public profile page shows about the member's activity, as
    ``{"post_count": int, "recent_posts": [{"title": str, "url": str, "created_at": datetime,
    "excerpt": str}, ...]}``. Only what `viewer` (possibly anonymous) may see. Keep it to a few
    queries: the profile page has a query budget. Counts from all apps are added together and
    recent posts are merged, newest first.

The functions below are the accounts app's own part: the profile, email addresses, affiliation
history, two-factor authentication and sessions.
"""

from __future__ import annotations

from typing import Any

from accounts.models import FORMER_MEMBER_NAME, AffiliationEvent, User


def export_member_data(user: User) -> dict[str, Any]:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    events = AffiliationEvent.objects.filter(member=user).order_by("created_at", "pk")
    return {
        "profile": {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "stakeholder_group": user.stakeholder_group,
            "stakeholder_group_label": user.get_stakeholder_group_display() if user.stakeholder_group else "",
            "organisation": user.organisation_name,
            "job_title": user.job_title,
            "region": {"code": user.region.code, "name": user.region.name} if user.region_id else None,
            "declared_interests": user.declared_interests,
            "affiliation": {  # the words of docs/accounts.md, "What verified means"
                "verified_group": user.affiliation_verified,
                "how": user.get_affiliation_source_display() if user.affiliation_verified else "Self-declared",
                "what_a_moderator_checked": user.get_affiliation_basis_display() if user.affiliation_basis else "",
                "verified_organisation": (
                    user.affiliation_organisation.name if user.affiliation_organisation_id else None
                ),
                "verified_at": user.affiliation_verified_at,
            },
            "joined": user.date_joined,
            "last_signed_in": user.last_login,
            "groups": list(user.groups.values_list("name", flat=True)),
        },
        "email_addresses": [
            {"email": a.email, "confirmed": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "affiliation_history": [
            {
                "when": e.created_at,
                "what": e.get_kind_display(),
                "from_group": e.from_group,
                "to_group": e.to_group,
                "by": "you" if e.actor_id == user.pk else ("a moderator" if e.actor_id else "the site"),
                "note": e.note,
            }
            for e in events
        ],
        "two_factor_authentication": [
            {"type": a.get_type_display(), "added": a.created_at, "last_used": a.last_used_at}
            for a in Authenticator.objects.filter(user=user).order_by("created_at")
        ],
        "signed_in_sessions": [
            {"ip_address": s.ip, "browser": s.user_agent, "started": s.created_at, "last_seen": s.last_seen_at}
            for s in UserSession.objects.filter(user=user).order_by("created_at")
        ],
    }


def erase_member_data(user: User, *, remove_text: bool) -> None:
    """Remove sign-in records, authenticators, sessions and the affiliation history.

    The admin's history keeps its entries about this account (moderation needs them), but under
    "Former member" rather than the name or email address. The user row itself is emptied
    afterwards by `accounts.privacy.delete_account`.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)).update(
        object_repr=FORMER_MEMBER_NAME
    )

    for session in UserSession.objects.filter(user=user):
        session.end()
    UserSession.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    AffiliationEvent.objects.filter(member=user).delete()
