from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registers project-wide template tags (NHS.UK form rendering) and commands."""

    name = "config"
    verbose_name = "Common Ground"
