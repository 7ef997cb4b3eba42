from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Members and accounts"

    def ready(self):
        from accounts import signals  # noqa: F401  (connects allauth's signals)
        from accounts.groups import grant_staff_group_permissions

        # Permissions of apps migrated after accounts (the forum) exist only once every app has
        # migrated, so the groups get them here rather than in the data migration.
        post_migrate.connect(grant_staff_group_permissions, dispatch_uid="accounts.grant_staff_group_permissions")

        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from accounts.backends import forget_user

        # The signed-in member's row is cached by accounts.backends: every change drops it.
        post_save.connect(forget_user, sender=get_user_model(), dispatch_uid="accounts.forget_user_saved")
        post_delete.connect(forget_user, sender=get_user_model(), dispatch_uid="accounts.forget_user_deleted")
