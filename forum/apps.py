from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self):
        """Wire every reaction to the forum's events and to other apps' signals, here and only
        here (docs/architecture.md has the table)."""
        from accounts.backends import read_with_member
        from accounts.signals import member_profile_changed
        from forum import standing
        from forum.agreement import concerns
        from forum.cache import renewal
        from forum.moderation import handlers as moderation_handlers
        from forum.moderation import queue as moderation_queue
        from forum.notifications import handlers as notification_handlers
        from forum.notifications import inbox
        from forum.planning import services as planning
        from forum.search import indexing

        standing.connect_signals()  # standing cached per member, dropped when its rows change
        # Read on every signed-in page: fetched in the same round trip as the member's row.
        read_with_member(standing.keys_for)
        read_with_member(inbox.keys_for)
        read_with_member(moderation_queue.keys_for)
        renewal.connect()  # the page cache renews what each change shows on
        moderation_handlers.connect()  # edits sent for review by the filters
        notification_handlers.connect()  # who is told, in the app and by email
        concerns.connect()  # a reply tagged as a concern makes its parent contested
        planning.connect()  # "we see this too" counted by group on each need and offer
        member_profile_changed.connect(
            indexing.member_profile_changed, dispatch_uid="forum.search.forget_group_of_erased"
        )
