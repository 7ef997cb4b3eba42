"""Apply a newer register of regions from a local file: `manage.py update_regions regions.csv [--dry-run]`.

The file has the columns of `accounts/content/regions.csv`. Regions are added, renamed, ended
and merged; none is deleted. Nothing is fetched from the network: download the ONS file
yourself and write it in these columns (docs/regions.md).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.regions import RegisterError, apply_register, read_register


class Command(BaseCommand):
    help = "Apply a newer local register of regions (integrated care boards and England-wide)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="A CSV file with the columns of accounts/content/regions.csv.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, and change nothing.")

    def handle(self, *args, path: str, dry_run: bool, **options):
        try:
            changes = apply_register(read_register(path), dry_run=dry_run)
        except RegisterError as error:
            raise CommandError(f"{error}\nNothing was changed.") from error
        for line in changes.lines():
            self.stdout.write(line)
        if dry_run and changes.changed:
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
        elif changes.changed:
            self.stdout.write(self.style.SUCCESS("The register is up to date with the file."))
