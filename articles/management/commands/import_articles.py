"""Load the source texts from their content files into the database."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.content import bundled_content_files, parse_content_files
from articles.services import ImportConflict, import_article
from articles.signals import texts_changed


class Command(BaseCommand):
    help = (
        "Create or update articles from content files (default: every file in articles/content/). "
        "Safe to repeat: unchanged paragraphs keep their keys, and unchanged content writes nothing. "
        "All files are imported in one transaction; if any file is malformed, nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="content files to import")

    def handle(self, *args, paths: list[Path], **options):
        paths = paths or bundled_content_files()
        if not paths:
            raise CommandError("There are no content files to import.")
        sources, errors = parse_content_files(paths)
        if errors:
            raise CommandError("\n".join([*map(str, errors), "Nothing was imported."]))
        try:
            with transaction.atomic():
                results = [import_article(source) for source in sources]
        except ImportConflict as error:
            raise CommandError(f"{error}\nNothing was imported.") from error
        if any(result.changed for result in results):
            texts_changed.send(sender=type(self))  # pages quoting or listing the texts are stored in the cache
        for result in results:
            style = self.style.SUCCESS if result.changed else self.style.HTTP_NOT_MODIFIED
            self.stdout.write(style(result.summary()))
