"""Re-render stored HTML whose renderer version is older than the current one.

Every model that stores Markdown beside its HTML records `renderer_version`
(config.markdown.RENDERER_VERSION). When the Markdown rules or the sanitiser allowlist change,
the version changes and this command brings every stored rendering up to date. Each model's
`save()` renders its own HTML, so this command only finds the stale rows and saves them.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from articles.models import Paragraph, Section
from config.markdown import RENDERER_VERSION
from forum import events
from forum.models import Comment, CommentRevision, Theme, ThemeResponse
from forum.rendering import render_comment

BATCH_SIZE = 500

# (model, its Markdown field, the HTML field its save() renders into)
RENDERED = [
    (Section, "body", "body_html"),
    (Paragraph, "text", "html"),
    (Theme, "summary", "summary_html"),
    (ThemeResponse, "body", "body_html"),
    (Comment, "body", "body_html"),
]


class Command(BaseCommand):
    help = "Re-render stored Markdown HTML made by an older renderer version (use --all to redo everything)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Re-render every row, whatever its version.")

    def handle(self, *args, all: bool = False, **options):
        total = 0
        for model, source, html_field in RENDERED:
            stale = model.objects.all() if all else model.objects.exclude(renderer_version=RENDERER_VERSION)
            count = 0
            for pk in stale.values_list("pk", flat=True).iterator(chunk_size=BATCH_SIZE):
                with transaction.atomic():
                    row = model.objects.select_for_update().get(pk=pk)
                    row.save(update_fields=[source, html_field, "renderer_version"])
                    if model is Comment:
                        self._rerender_revisions(row)
                count += 1
            total += count
            self.stdout.write(f"{model._meta.verbose_name_plural}: {count} re-rendered")
        if total:
            events.forum_changed.send(reason="Markdown rendered again")
        self.stdout.write(f"Done: {total} rendering(s) brought up to version {RENDERER_VERSION}.")

    def _rerender_revisions(self, comment) -> None:
        for revision in CommentRevision.objects.filter(comment=comment):
            html, _members = render_comment(revision.body)
            if html != revision.body_html:
                revision.body_html = html
                revision.save(update_fields=["body_html"])
