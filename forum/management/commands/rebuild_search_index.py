"""Refill the stored search vectors of every thread and comment (PostgreSQL only).

Run it after restoring a database, after changing how vectors are built, or after text was changed
outside forum.posting.services. Safe to run at any time: comments are updated in batches, one short
transaction each, so the site stays usable while it runs. It also builds the index of the recent
comments again (forum.search.recent), which the task worker otherwise renews by itself.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forum import events
from forum.search import indexing as search
from forum.search import recent


class Command(BaseCommand):
    help = "Refill the full-text search vectors of all threads and comments (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=search.REBUILD_BATCH,
            help=f"Comments updated per transaction (default {search.REBUILD_BATCH}).",
        )

    def handle(self, *args, batch_size: int, **options):
        if not search.full_text_available():
            self.stdout.write(
                "This database is not PostgreSQL: search matches words directly, so there is no index to fill."
            )
            return
        if batch_size < 1:
            batch_size = search.REBUILD_BATCH

        def progress(done: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"{done} comments indexed so far")

        threads, comments = search.rebuild_search_index(batch_size=batch_size, progress=progress)
        events.forum_changed.send(reason="search index rebuilt")  # kept search windows found with the old vectors
        self.stdout.write(self.style.SUCCESS(f"Indexed {threads} threads and {comments} comments."))
        if recent.renew():
            self.stdout.write(f"Built the index of the last {recent.RECENT_DAYS} days' comments again.")
