"""Report (and with --repair, fix) forum counters that do not match the rows they count."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from forum.posting.counter_check import find_drift, repair_drift


class Command(BaseCommand):
    help = (
        "Compare the stored thread, theme, paragraph and agreement counters with the rows they count. "
        "Exits with status 1 when any is out of step; --repair sets them right."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Rewrite every counter that is out of step.")

    def handle(self, *args, repair: bool = False, **options):
        drift = find_drift()
        for item in drift:
            self.stdout.write(str(item))
        if not drift:
            self.stdout.write(self.style.SUCCESS("Every counter matches the rows it counts."))
            return
        if not repair:
            raise CommandError(
                f"{len(drift)} counter{'s' if len(drift) != 1 else ''} out of step. "
                "Run `manage.py check_counters --repair` to fix them.",
                returncode=1,
            )
        repaired = repair_drift(drift)
        remaining = find_drift()
        for item in remaining:
            self.stdout.write(f"still out of step: {item}")
        if remaining:
            raise CommandError(f"{len(remaining)} counters still out of step after the repair.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"Repaired {repaired} object{'s' if repaired != 1 else ''}; "
                                             "every counter now matches."))
