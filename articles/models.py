"""The source texts the forum discusses.

An article is split into ordered sections, and each section into ordered paragraphs. Every
paragraph has a stable `key` (kept across re-imports while its text is unchanged) because forum
discussions anchor to it, and an `anchor` used in the page URL (`#p-<section>-<n>`).
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse


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

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", kwargs={"slug": self.slug})


class Section(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=200, blank=True)
    anchor = models.SlugField(max_length=100)
    body = models.TextField(help_text="Markdown.")
    body_html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="articles_section_position_unique"),
            models.UniqueConstraint(fields=["article", "anchor"], name="articles_section_anchor_unique"),
        ]

    def __str__(self) -> str:
        return self.heading or f"{self.article.title} (opening)"

    def get_absolute_url(self) -> str:
        return f"{self.article.get_absolute_url()}#{self.anchor}"


class Paragraph(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="paragraphs")
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=32, unique=True, help_text="Stable across re-imports.")
    anchor = models.SlugField(max_length=120)
    text = models.TextField(help_text="Markdown source of this paragraph.")
    html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["section", "position"]
        constraints = [
            models.UniqueConstraint(fields=["section", "position"], name="articles_paragraph_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.anchor}: {self.text[:60]}"

    def get_absolute_url(self) -> str:
        return f"{self.section.article.get_absolute_url()}#{self.anchor}"


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
