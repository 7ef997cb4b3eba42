"""The Moderators and Facilitators groups and what they may do.

The data migration `0003_staff_groups` creates the groups; `grant_staff_group_permissions` runs
after every `migrate` and adds the permissions below that exist by then (apps such as the forum
create theirs later than accounts). It only adds, so permissions an administrator grants by hand
in the admin are kept.
"""

from __future__ import annotations

from accounts.permissions import FACILITATORS_GROUP, MODERATORS_GROUP

GROUP_PERMISSIONS: dict[str, list[str]] = {
    # Moderators look after people and comments: reports, hiding, verification of affiliations.
    MODERATORS_GROUP: [
        "accounts.view_user",
        "accounts.verify_affiliation",
        "accounts.view_affiliationevent",
        "accounts.view_organisation",
        "forum.moderate_comment",
        "forum.view_flag",
        "forum.view_moderationlogentry",
        "forum.view_wordfilter",
        "forum.add_wordfilter",
        "forum.change_wordfilter",
        "forum.delete_wordfilter",
        "forum.view_comment",
        "forum.view_thread",
        "forum.view_theme",
    ],
    # Facilitators look after the discussion itself: themes, their passages, and the register
    # of organisations used to verify affiliations.
    FACILITATORS_GROUP: [
        "forum.respond_to_theme",
        "forum.view_theme",
        "forum.add_theme",
        "forum.change_theme",
        "forum.view_themepassage",
        "forum.add_themepassage",
        "forum.change_themepassage",
        "forum.delete_themepassage",
        "forum.view_thread",
        "accounts.view_organisation",
        "accounts.add_organisation",
        "accounts.change_organisation",
        "accounts.view_organisationdomain",
        "accounts.add_organisationdomain",
        "accounts.change_organisationdomain",
        "accounts.delete_organisationdomain",
    ],
}


def grant_staff_group_permissions(sender=None, using="default", **kwargs) -> None:
    """Give each staff group the permissions listed above that exist (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for group_name, names in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        wanted = [name.split(".", 1) for name in names]
        permissions = Permission.objects.using(using).filter(
            content_type__app_label__in={app for app, _ in wanted},
            codename__in={codename for _, codename in wanted},
        ).select_related("content_type")
        chosen = [p for p in permissions if [p.content_type.app_label, p.codename] in wanted]
        group.permissions.add(*chosen)
