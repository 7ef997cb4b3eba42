from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self):
        from forum import caching, standing

        standing.connect_signals()
        caching.connect_signals()
