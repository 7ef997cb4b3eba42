"""Load the stages of the patient journey from forum/content/journey.toml (or a given file)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from forum.planning.stages import JOURNEY_FILE, load_journey, read_journey_file
from forum.theme_content import ThemeContentError


class Command(BaseCommand):
    help = (
        "Create or update the planning map's stages of the patient journey from their content file. "
        "Safe to repeat. Run it after load_themes: stages link to themes and quote paragraphs."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=JOURNEY_FILE, help="stages file (TOML)")

    def handle(self, *args, path: Path, **options):
        try:
            results = load_journey(read_journey_file(path))
        except ThemeContentError as error:
            raise CommandError(f"{error}\nNo stages were loaded.") from error
        for result in results:
            style = self.style.HTTP_NOT_MODIFIED if result.startswith("unchanged") else self.style.SUCCESS
            self.stdout.write(style(result))
