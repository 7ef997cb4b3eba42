"""Send the daily or weekly notification digests: `manage.py send_digests --frequency daily`.

The task worker sends the digests by itself on a schedule (`schedule_digests`,
forum.notifications.schedule); this command sends one now, outside that schedule: by hand, after
fixing a mail server, or where no task worker runs. Running it twice sends nothing the second
time: only notifications not yet emailed are gathered.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forum.models import EmailFrequency
from forum.notifications.sending import retry_unsent, send_digests


class Command(BaseCommand):
    help = "Email each member who chose a daily or weekly digest what happened since their last one."

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=[EmailFrequency.DAILY.value, EmailFrequency.WEEKLY.value],
            default=EmailFrequency.DAILY.value,
            help="Which digest to send (default: daily).",
        )
        parser.add_argument("--batch-size", type=int, default=500, help="Members read per database round trip.")

    def handle(self, *args, frequency: str, batch_size: int, **options):
        retry_failed = False
        if frequency == EmailFrequency.DAILY.value:
            # Emails that should have gone at once but met a mail server that was down.
            try:
                retried = retry_unsent()
            except Exception as error:  # reported, and the emails wait for the next run
                retry_failed = True
                self.stderr.write(f"Retrying unsent emails failed ({type(error).__name__}); they wait.")
            else:
                self.stdout.write(f"Emails retried after an earlier failure: {retried}.")
        run = send_digests(frequency, batch_size=batch_size)
        self.stdout.write(
            f"{frequency.capitalize()} digests: {run.emails} sent ({run.items} items) "
            f"to {run.members} members with something new; {run.failures} failed."
        )
        if run.failures or retry_failed:
            # A non-zero exit makes the scheduler report it; the failed items wait for the next run.
            raise SystemExit(1)
