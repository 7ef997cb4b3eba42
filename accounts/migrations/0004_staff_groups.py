"""Create the Moderators and Facilitators groups.

The permissions that exist at this point are granted here; those of apps migrated later (the
forum's) are added after every migrate by `accounts.groups.grant_staff_group_permissions`, which
holds the same lists.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_PERMISSIONS = {
    "Moderators": [
        "accounts.view_user",
        "accounts.verify_affiliation",
        "accounts.view_affiliationevent",
        "accounts.view_organisation",
    ],
    "Facilitators": [
        "accounts.view_organisation",
        "accounts.add_organisation",
        "accounts.change_organisation",
        "accounts.view_organisationdomain",
        "accounts.add_organisationdomain",
        "accounts.change_organisationdomain",
        "accounts.delete_organisationdomain",
    ],
}


def create_groups(apps, schema_editor):
    accounts_config = apps.get_app_config("accounts")
    accounts_config.models_module = True
    create_permissions(accounts_config, apps=apps, verbosity=0)
    accounts_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [p.split(".", 1)[1] for p in permissions]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_fill_display_name_keys"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
