"""Load the discussion themes from forum/content/themes.toml (or a given file)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from forum.theme_content import THEMES_FILE, ThemeContentError, load_themes, read_themes_file


class Command(BaseCommand):
    help = (
        "Create or update the themes and the passages they quote from the themes content file. "
        "Safe to repeat: unchanged themes are reported as unchanged and nothing is written. "
        "Run it after import_articles; a phrase that matches no paragraph stops the load."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=THEMES_FILE, help="themes file (TOML)")

    def handle(self, *args, path: Path, **options):
        try:
            results = load_themes(read_themes_file(path))
        except ThemeContentError as error:
            raise CommandError(f"{error}\nNo themes were loaded.") from error
        for result in results:
            style = self.style.SUCCESS if result.outcome != "unchanged" else self.style.HTTP_NOT_MODIFIED
            self.stdout.write(style(result.summary()))
