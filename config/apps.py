from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registers project-wide template tags (NHS.UK form rendering), commands and the security log."""

    name = "config"
    verbose_name = "Common Ground"

    def ready(self):
        from config.security import connect_signals

        connect_signals()
