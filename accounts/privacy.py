"""Download my data, delete my account, and the public activity shown on profiles.

Each installed app contributes through its own `member_data.py` module; the contract is in the
docstring of `accounts/member_data.py`. The accounts app goes first in an export and last in an
erasure (other apps may still need the email address or sessions while they tidy up).
"""

from __future__ import annotations

import json
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from accounts.models import AffiliationSource, User

RECENT_POSTS_LIMIT = 10


def member_data_modules() -> list[tuple[str, ModuleType]]:
    """(app label, module) for every installed app with a `member_data` module, accounts first."""
    found = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "member_data"):
            found.append((config.label, import_module(f"{config.name}.member_data")))
    found.sort(key=lambda item: item[0] != "accounts")
    return found


def export_member_data(user: User) -> dict[str, Any]:
    """Everything every app holds about `user`, keyed by app label."""
    data: dict[str, Any] = {
        "service": "Common Ground",
        "exported_at": timezone.now(),
        "about": "Everything Common Ground holds about you, grouped by the part of the site that holds it.",
    }
    for label, module in member_data_modules():
        export = getattr(module, "export_member_data", None)
        if export is not None:
            data[label] = export(user)
    return data


def export_member_data_json(user: User) -> str:
    return json.dumps(export_member_data(user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


@transaction.atomic
def delete_account(*, user: User, remove_text: bool) -> None:
    """Erase the member's personal data everywhere, then empty the user row.

    Every app's `erase_member_data` runs inside this one transaction (accounts' own last); if any
    fails, nothing changes. The row stays as an anonymous "Former member" so posts keep an author
    and nothing cascades; it can no longer sign in and holds no personal data.
    """
    modules = member_data_modules()
    ordered = [m for m in modules if m[0] != "accounts"] + [m for m in modules if m[0] == "accounts"]
    for _label, module in ordered:
        erase = getattr(module, "erase_member_data", None)
        if erase is not None:
            erase(user, remove_text=remove_text)
    _empty_user_row(user)


def _empty_user_row(user: User) -> None:
    user.email = f"former-member-{user.pk}@deleted.invalid"
    user.display_name = ""
    user.stakeholder_group = ""
    user.organisation_name = ""
    user.job_title = ""
    user.declared_interests = ""
    user.region = None
    user.affiliation_verified = False
    user.affiliation_source = AffiliationSource.SELF_DECLARED
    user.affiliation_organisation = None
    user.affiliation_verified_at = None
    user.affiliation_locked = False
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.deleted_at = timezone.now()
    user.set_unusable_password()
    user.save()  # announces the emptied badge: the forum's copies of the group follow
    user.groups.set(Group.objects.none())
    user.user_permissions.set(Permission.objects.none())


def public_activity(member: User, *, viewer) -> dict[str, Any]:
    """Post count and recent posts from every app that offers `public_activity`."""
    post_count = 0
    recent: list[dict[str, Any]] = []
    for _label, module in member_data_modules():
        provider = getattr(module, "public_activity", None)
        if provider is None:
            continue
        activity = provider(member, viewer=viewer) or {}
        post_count += int(activity.get("post_count", 0))
        recent.extend(activity.get("recent_posts", []))
    recent.sort(key=lambda post: post["created_at"], reverse=True)
    return {"post_count": post_count, "recent_posts": recent[:RECENT_POSTS_LIMIT]}
