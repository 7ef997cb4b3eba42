"""Make sure the daily and weekly digests are scheduled in the task worker: `manage.py schedule_digests`.

`make serve` and the Procfile's worker run it before `db_worker`; from then on each run queues the
next (forum.notifications.schedule). Running it again, or on several workers at once, changes
nothing: one run per frequency waits. With a task backend that cannot run a task later (the
immediate backend of development) it says so and exits 0: run `send_digests` by hand there.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from forum.notifications.schedule import CannotSchedule, ensure_scheduled


class Command(BaseCommand):
    help = "Queue the next daily and weekly digest runs in the task worker, unless they are queued already."

    def handle(self, *args, **options):
        try:
            waiting = ensure_scheduled()
        except CannotSchedule as reason:
            self.stdout.write(f"{reason} Digests are sent only by `manage.py send_digests` here.")
            return
        for frequency, period in waiting.items():
            due = timezone.localtime(period.due_at)
            self.stdout.write(f"{frequency.capitalize()} digest: next run {due:%Y-%m-%d %H:%M %Z}.")
