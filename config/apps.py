from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registers project-wide template tags (NHS.UK form rendering), commands, the security log, and
    keeps the Site row equal to SITE_URL after every migrate."""

    name = "config"
    verbose_name = "Common Ground"

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from config.security import connect_signals
        from config.sites import site_follows_site_url

        connect_signals()
        post_migrate.connect(
            site_follows_site_url, sender=apps.get_app_config("sites"), dispatch_uid="config.site_follows_site_url"
        )
