"""Admin for the source texts.

The content files in articles/content/ are the source of truth: `import_articles` replaces any
paragraph edited here whose text differs from the file. Edit here only to inspect or for an urgent
fix that is also made in the file.
"""

from django.contrib import admin
from django.db import models

from articles.models import Article, Paragraph, Reference, Section
from articles.signals import texts_changed
from config.adminmixins import AnnouncesChanges

FILES_NOTE = "Edits made here are replaced the next time import_articles runs; change the content file too."


class AnnouncesTextChanges(AnnouncesChanges):
    def after_change(self) -> None:
        texts_changed.send(sender=Article)  # the texts are quoted on cached forum pages


class SectionInline(admin.TabularInline):
    model = Section
    fields = ("position", "heading", "anchor")
    extra = 0
    show_change_link = True


class ReferenceInline(admin.TabularInline):
    model = Reference
    fields = ("number", "text", "url")
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Article)
class ArticleAdmin(AnnouncesTextChanges, admin.ModelAdmin):
    list_display = ("title", "slug", "position", "author_name", "published_in", "published_when", "updated_at")
    search_fields = ("title", "author_name", "published_in")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("updated_at",)
    fieldsets = (
        (None, {"description": FILES_NOTE, "fields": ("title", "slug", "position", "standfirst")}),
        ("Author", {"fields": ("author_name", "author_role", "author_organisation")}),
        ("First published", {"fields": ("published_in", "published_when", "source_note", "updated_at")}),
    )
    inlines = (SectionInline, ReferenceInline)


class ParagraphInline(admin.StackedInline):
    model = Paragraph
    fields = ("position", "text", "key", "anchor")
    readonly_fields = ("key", "anchor")
    extra = 0


@admin.register(Section)
class SectionAdmin(AnnouncesTextChanges, admin.ModelAdmin):
    list_display = ("__str__", "article", "position", "anchor")
    list_filter = ("article",)
    list_select_related = ("article",)
    fieldsets = ((None, {"description": FILES_NOTE, "fields": ("article", "position", "heading", "anchor", "body")}),)
    readonly_fields = ("body",)
    inlines = (ParagraphInline,)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The section's Markdown is its paragraphs joined; keep it in step with edits made here.
        form.instance.rebuild_body()
