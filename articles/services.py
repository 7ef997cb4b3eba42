"""Bring the database in line with a parsed content file.

Paragraph keys are what forum discussions hold on to, so the import matches existing paragraphs by
their text: a paragraph whose text is unchanged keeps its key wherever it moves; a paragraph with
new text is a new paragraph with a new random key, and a paragraph no longer in the file is
deleted. Rows are only written when something about them differs, so importing unchanged content
writes nothing at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from articles.content import ArticleSource, SectionSource
from articles.models import Article, Paragraph, Reference, Section, paragraph_anchor
from articles.rendering import RENDERER_VERSION

# Rows that must move are parked at position PARKING + id first, so that no two rows ever share
# a position (the unique constraints are checked on every UPDATE, not at commit).
PARKING = 1_000_000


class ImportConflict(Exception):
    """The content cannot be applied without destroying data that other parts of the site keep."""


@dataclass
class ImportResult:
    slug: str
    created: bool = False
    fields_changed: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    @property
    def changed(self) -> bool:
        return self.created or bool(self.fields_changed) or any(self.counts.values())

    def summary(self) -> str:
        if self.created:
            return (
                f"{self.slug}: created with {_counted(self.counts['sections added'], 'section')}, "
                f"{_counted(self.counts['paragraphs added'], 'paragraph')} and "
                f"{_counted(self.counts['references added'], 'reference')}"
            )
        if not self.changed:
            return f"{self.slug}: unchanged"
        parts = []
        if self.fields_changed:
            parts.append("details changed (" + ", ".join(self.fields_changed) + ")")
        for what, n in self.counts.items():
            if n:
                noun, verb = what.split(" ", 1)
                parts.append(f"{_counted(n, noun.removesuffix('s'))} {verb}")
        return f"{self.slug}: updated: " + "; ".join(parts)


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def import_article(source: ArticleSource) -> ImportResult:
    """Create or update the article `source.slug` so it matches `source`; say what changed."""
    result = ImportResult(slug=source.slug)
    with transaction.atomic():
        article = Article.objects.filter(slug=source.slug).first()
        values = source.article_fields()
        if article is None:
            article = Article.objects.create(**values)
            result.created = True
        else:
            result.fields_changed = [name for name, value in values.items() if getattr(article, name) != value]
            for name in result.fields_changed:
                setattr(article, name, values[name])
        _sync_text(article, source, result)
        _sync_references(article, source, result)
        if not result.created and result.changed:
            # Saving also moves `updated_at`, which says when the text last changed.
            article.save()
    return result


def _sync_text(article: Article, source: ArticleSource, result: ImportResult) -> None:
    sections_by_anchor = {section.anchor: section for section in article.sections.all()}
    existing = list(
        Paragraph.objects.filter(section__article=article)
        .select_related("section")
        .order_by("section__position", "position")
    )
    unclaimed: dict[str, list[Paragraph]] = defaultdict(list)
    for paragraph in existing:
        unclaimed[paragraph.text].append(paragraph)

    # Pair every paragraph in the file with an unchanged one from the database, in reading order.
    plan: list[tuple[SectionSource, int, str, Paragraph | None]] = []
    for section_source in source.sections:
        for position, paragraph_source in enumerate(section_source.paragraphs, start=1):
            same_text = unclaimed.get(paragraph_source.text)
            plan.append((section_source, position, paragraph_source.text, same_text.pop(0) if same_text else None))

    gone = [paragraph for remaining in unclaimed.values() for paragraph in remaining]
    if gone:
        _delete(Paragraph.objects.filter(pk__in=[paragraph.pk for paragraph in gone]), article)
        result.count("paragraphs removed", len(gone))

    sections = _sync_sections(article, source, sections_by_anchor, result)

    moving = [
        paragraph
        for section_source, position, _, paragraph in plan
        if paragraph is not None
        and (paragraph.section_id != sections[section_source.anchor].pk or paragraph.position != position)
    ]
    _park(Paragraph, moving)
    moved_ids = {paragraph.pk for paragraph in moving}

    for section_source, position, text, paragraph in plan:
        section = sections[section_source.anchor]
        if paragraph is None:
            Paragraph(section=section, position=position, text=text).save()
            result.count("paragraphs added")
            continue
        stale = paragraph.renderer_version != RENDERER_VERSION
        wrong_anchor = paragraph.anchor != paragraph_anchor(section.anchor, position)
        if paragraph.pk in moved_ids or stale or wrong_anchor:
            paragraph.section = section
            paragraph.position = position
            paragraph.save()
            if paragraph.pk in moved_ids or wrong_anchor:
                result.count("paragraphs moved")
            else:
                result.count("paragraphs re-rendered")

    leftover = [section for anchor, section in sections_by_anchor.items() if anchor not in sections]
    if leftover:
        _delete(Section.objects.filter(pk__in=[section.pk for section in leftover]), article)
        result.count("sections removed", len(leftover))


def _sync_sections(
    article: Article, source: ArticleSource, existing: dict[str, Section], result: ImportResult
) -> dict[str, Section]:
    """Create or update the file's sections (by anchor); return them by anchor."""
    wanted = {section_source.anchor: position for position, section_source in enumerate(source.sections, start=1)}
    _park(Section, [section for anchor, section in existing.items() if wanted.get(anchor) != section.position])

    sections: dict[str, Section] = {}
    for position, section_source in enumerate(source.sections, start=1):
        section = existing.get(section_source.anchor)
        if section is None:
            section = Section(article=article, anchor=section_source.anchor)
            changed = True
            result.count("sections added")
        else:
            changed = (
                section.position != position
                or section.heading != section_source.heading
                or section.body != section_source.body
                or section.renderer_version != RENDERER_VERSION
            )
            if changed:
                result.count("sections updated")
        if changed:
            section.position = position
            section.heading = section_source.heading
            section.body = section_source.body
            section.save()
        sections[section.anchor] = section
    return sections


def _sync_references(article: Article, source: ArticleSource, result: ImportResult) -> None:
    existing = {reference.number: reference for reference in article.references.all()}
    for reference_source in source.references:
        reference = existing.pop(reference_source.number, None)
        if reference is None:
            Reference.objects.create(
                article=article, number=reference_source.number, text=reference_source.text, url=reference_source.url
            )
            result.count("references added")
        elif (reference.text, reference.url) != (reference_source.text, reference_source.url):
            reference.text, reference.url = reference_source.text, reference_source.url
            reference.save()
            result.count("references updated")
    if existing:
        Reference.objects.filter(pk__in=[reference.pk for reference in existing.values()]).delete()
        result.count("references removed", len(existing))


def _park(model, rows) -> None:
    """Move rows to positions no real row uses, so others can take their places."""
    for row in rows:
        row.position = PARKING + row.pk
        model.objects.filter(pk=row.pk).update(position=row.position)


def _delete(queryset, article: Article) -> None:
    try:
        queryset.delete()
    except ProtectedError as error:
        raise ImportConflict(_conflict_message(article, error.protected_objects)) from error
    except RestrictedError as error:
        raise ImportConflict(_conflict_message(article, error.restricted_objects)) from error


def _conflict_message(article: Article, blockers) -> str:
    return (
        f"{article.slug}: the new text leaves out a paragraph or section that {len(blockers)} other record(s) "
        "still refer to, so it cannot be removed. Deal with those records first."
    )
