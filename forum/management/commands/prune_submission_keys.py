"""Delete old one-time form keys (forum.posting.once): run daily with the other clean-ups."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forum.posting.once import SUBMISSION_KEY_DAYS, prune_submission_keys


class Command(BaseCommand):
    help = "Delete the one-time keys of forms posted more than --days days ago (they only catch quick retries)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=SUBMISSION_KEY_DAYS,
                            help=f"Keep keys younger than this many days (default {SUBMISSION_KEY_DAYS}).")

    def handle(self, *args, days: int, **options):
        removed = prune_submission_keys(older_than_days=max(days, 1))
        self.stdout.write(f"Deleted {removed} one-time form key{'s' if removed != 1 else ''} older than {days} days.")
