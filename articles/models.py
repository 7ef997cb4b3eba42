"""The source texts the forum discusses.

An article is split into ordered sections, and each section into ordered paragraphs. Every
paragraph has a stable `key` (kept across re-imports while its text is unchanged) because forum
discussions anchor to it, and an `anchor` used in the page URL (`#p-<section>-<n>`).

Markdown is rendered to sanitised HTML when a section or paragraph is saved, never per request;
the renderer version is stored beside the HTML so the importer can re-render when it changes.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Prefetch
from django.urls import reverse

from articles.rendering import RENDERER_VERSION, render_source_markdown

# The heading the page gives an opening section that has none of its own.
OPENING_SECTION_TITLE = "Introduction"


def new_paragraph_key() -> str:
    """A fresh random key for a paragraph the forum has never seen."""
    return secrets.token_hex(8)


def paragraph_anchor(section_anchor: str, position: int) -> str:
    return f"p-{section_anchor}-{position}"


def _with_rendered_fields(update_fields, *names):
    """Keep fields computed in save() in `update_fields` when a caller limits the update."""
    if update_fields is None:
        return None
    return {*update_fields, *names}


class ArticleQuerySet(models.QuerySet):
    def with_contents(self, paragraphs: models.QuerySet | None = None) -> ArticleQuerySet:
        """Prefetch sections, their paragraphs and the references: three queries for any article.

        `paragraphs` lets a caller annotate the paragraph rows (for example with comment counts)
        without adding a query per paragraph.
        """
        paragraphs = Paragraph.objects.all() if paragraphs is None else paragraphs
        sections = Section.objects.prefetch_related(Prefetch("paragraphs", queryset=paragraphs))
        return self.prefetch_related(Prefetch("sections", queryset=sections), "references")


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)
    standfirst = models.TextField(blank=True)
    author_name = models.CharField(max_length=200)
    author_role = models.CharField(max_length=200, blank=True)
    author_organisation = models.CharField(max_length=200, blank=True)
    published_in = models.CharField(
        max_length=200, help_text="Where it was first published, as the text says it."
    )
    published_when = models.CharField(max_length=100, help_text="When, as the text says it.")
    source_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", kwargs={"slug": self.slug})

    def paragraphs_in_order(self) -> list[Paragraph]:
        """Every paragraph in reading order (uses the prefetch from `with_contents` when there is one)."""
        return [paragraph for section in self.sections.all() for paragraph in section.paragraphs.all()]

    @property
    def author_line(self) -> str:
        """Name, role and organisation, joined by commas, leaving out any the text does not give."""
        parts = [self.author_name, self.author_role, self.author_organisation]
        return ", ".join(part for part in parts if part)


class Section(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=200, blank=True)
    anchor = models.SlugField(max_length=100)
    body = models.TextField(help_text="Markdown.")
    body_html = models.TextField(editable=False, blank=True)
    renderer_version = models.CharField(max_length=40, editable=False, blank=True)

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="articles_section_position_unique"),
            models.UniqueConstraint(fields=["article", "anchor"], name="articles_section_anchor_unique"),
        ]

    def __str__(self) -> str:
        return self.heading or f"{self.article.title} (opening)"

    def save(self, *args, **kwargs):
        self.body_html = render_source_markdown(self.body)
        self.renderer_version = RENDERER_VERSION
        kwargs["update_fields"] = _with_rendered_fields(kwargs.get("update_fields"), "body_html", "renderer_version")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.article.get_absolute_url()}#{self.anchor}"

    @property
    def title(self) -> str:
        """The heading, or what the page calls an opening section without one."""
        return self.heading or OPENING_SECTION_TITLE

    def rebuild_body(self) -> None:
        """Make `body` the section's paragraphs again, after they were edited one by one."""
        paragraphs = list(self.paragraphs.order_by("position"))
        for paragraph in paragraphs:
            if paragraph.anchor != paragraph_anchor(self.anchor, paragraph.position):
                paragraph.section = self
                paragraph.save()
        self.body = "\n\n".join(paragraph.text for paragraph in paragraphs)
        self.save()


class Paragraph(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="paragraphs")
    position = models.PositiveIntegerField()
    key = models.CharField(
        max_length=32, unique=True, default=new_paragraph_key, help_text="Stable across re-imports."
    )
    anchor = models.SlugField(max_length=120)
    text = models.TextField(help_text="Markdown source of this paragraph.")
    html = models.TextField(editable=False, blank=True)
    renderer_version = models.CharField(max_length=40, editable=False, blank=True)

    class Meta:
        ordering = ["section", "position"]
        constraints = [
            models.UniqueConstraint(fields=["section", "position"], name="articles_paragraph_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.anchor}: {self.text[:60]}"

    def save(self, *args, **kwargs):
        self.anchor = paragraph_anchor(self.section.anchor, self.position)
        self.html = render_source_markdown(self.text)
        self.renderer_version = RENDERER_VERSION
        kwargs["update_fields"] = _with_rendered_fields(
            kwargs.get("update_fields"), "anchor", "html", "renderer_version"
        )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.section.article.get_absolute_url()}#{self.anchor}"

    @property
    def is_quote(self) -> bool:
        """A pull quote: the text repeats a line of the article as a Markdown blockquote."""
        return self.text.lstrip().startswith(">")

    @property
    def label(self) -> str:
        """Which paragraph this is, in words, for link names: "paragraph 2 of ‘Working together’"."""
        section = self.section
        where = f"‘{section.heading}’" if section.heading else "the introduction"
        return f"paragraph {self.position} of {where}"


class Reference(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="references")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="articles_reference_number_unique"),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.text or self.url}"

    @property
    def anchor(self) -> str:
        return f"ref-{self.number}"
