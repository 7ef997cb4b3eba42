"""Themes from their content file (forum/content/themes.toml) into the database.

Passages are found by a phrase from the paragraph's text rather than by position or key: keys are
random and positions shift when a text is edited, while a distinctive phrase keeps pointing at
the right paragraph through re-imports. A phrase that matches no paragraph, or more than one, is
an error that stops the whole load, so a change to a source text cannot silently unlink a theme.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils.dateparse import parse_datetime

from articles.models import Paragraph, Section
from forum import events
from forum.models import Theme, ThemePassage, ThemeStatus

THEMES_FILE = Path(__file__).resolve().parent / "content" / "themes.toml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
THEME_KEYS = {"slug", "title", "position", "summary", "status", "closes_at", "passages", "sections"}
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


class ThemeContentError(Exception):
    """The content file cannot be loaded as it is; the message says where and why."""


def normalise_text(text: str) -> str:
    """Lower case, straight quotes and hyphens, single spaces: how phrases are compared."""
    return " ".join(text.translate(_QUOTES).casefold().split())


@dataclass(frozen=True)
class PassageRef:
    article: str
    contains: str


@dataclass(frozen=True)
class SectionRef:
    article: str
    anchor: str


@dataclass
class ThemeSource:
    slug: str
    title: str
    position: int
    summary: str
    status: str = ThemeStatus.OPEN
    closes_at: datetime | None = None
    passages: list[PassageRef] = field(default_factory=list)
    sections: list[SectionRef] = field(default_factory=list)


@dataclass
class LoadResult:
    slug: str
    outcome: str  # "created", "updated" or "unchanged"
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.outcome == "updated":
            return f"updated: {self.slug} ({', '.join(self.changes)})"
        return f"{self.outcome}: {self.slug}"


def required_str(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ThemeContentError(f"{where}: `{key}` must be a non-empty string.")
    return value.strip()


def passage_refs(table: dict, key: str, where: str, names: tuple[str, str], cls):
    refs = table.get(key, [])
    if not isinstance(refs, list):
        raise ThemeContentError(f"{where}: `{key}` must be a list of tables.")
    parsed = []
    for number, ref in enumerate(refs, start=1):
        if not isinstance(ref, dict) or set(ref) != set(names):
            raise ThemeContentError(f"{where}, {key} {number}: give exactly {' and '.join(names)}.")
        parsed.append(cls(*(required_str(ref, name, f"{where}, {key} {number}") for name in names)))
    return parsed


def parse_themes(text: str, *, source_name: str = "themes.toml") -> list[ThemeSource]:
    """Parse and check the whole file without touching the database."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeContentError(f"{source_name} is not valid TOML: {error}") from error
    tables = data.get("themes")
    if not isinstance(tables, list) or not tables:
        raise ThemeContentError(f"{source_name} has no [[themes]] tables.")
    themes: list[ThemeSource] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        where = f"{source_name}, theme {number}"
        unknown = set(table) - THEME_KEYS
        if unknown:
            raise ThemeContentError(f"{where}: unknown keys {', '.join(sorted(unknown))}.")
        slug = required_str(table, "slug", where)
        where = f"{source_name}, theme “{slug}”"
        if not SLUG.match(slug):
            raise ThemeContentError(f"{where}: the slug may hold only lower-case letters, digits and hyphens.")
        if slug in seen:
            raise ThemeContentError(f"{where}: this slug is used twice.")
        seen.add(slug)
        position = table.get("position")
        if not isinstance(position, int) or position < 0:
            raise ThemeContentError(f"{where}: `position` must be a whole number.")
        status = table.get("status", ThemeStatus.OPEN)
        if status not in ThemeStatus.values:
            raise ThemeContentError(f"{where}: `status` must be one of {', '.join(ThemeStatus.values)}.")
        closes_at = table.get("closes_at")
        if isinstance(closes_at, str):
            closes_at = parse_datetime(closes_at)
        if closes_at is not None and (not isinstance(closes_at, datetime) or closes_at.tzinfo is None):
            raise ThemeContentError(f"{where}: `closes_at` must be a date and time with a time zone.")
        themes.append(
            ThemeSource(
                slug=slug,
                title=required_str(table, "title", where),
                position=position,
                summary=required_str(table, "summary", where),
                status=status,
                closes_at=closes_at,
                passages=passage_refs(table, "passages", where, ("article", "contains"), PassageRef),
                sections=passage_refs(table, "sections", where, ("article", "anchor"), SectionRef),
            )
        )
    return themes


def read_themes_file(path: Path = THEMES_FILE) -> list[ThemeSource]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ThemeContentError(f"Cannot read {path}: {error}") from error
    return parse_themes(text, source_name=path.name)


class ParagraphIndex:
    """Every paragraph's normalised text, by article slug: one query for the whole load."""

    def __init__(self):
        self.by_article: dict[str, list[tuple[str, Paragraph]]] = {}
        for paragraph in Paragraph.objects.select_related("section__article").order_by("section__position", "position"):
            slug = paragraph.section.article.slug
            self.by_article.setdefault(slug, []).append((normalise_text(paragraph.text), paragraph))

    def find(self, ref: PassageRef, theme_slug: str, what: str = "Theme") -> Paragraph:
        if ref.article not in self.by_article:
            raise ThemeContentError(
                f"{what} “{theme_slug}”: there is no article “{ref.article}” (run import_articles first?)."
            )
        phrase = normalise_text(ref.contains)
        matches = [paragraph for text, paragraph in self.by_article[ref.article] if phrase in text]
        if not matches:
            raise ThemeContentError(
                f"{what} “{theme_slug}”: no paragraph of “{ref.article}” contains “{ref.contains}”. "
                "The source text may have changed; update the phrase in the themes file."
            )
        if len(matches) > 1:
            anchors = ", ".join(paragraph.anchor for paragraph in matches)
            raise ThemeContentError(
                f"{what} “{theme_slug}”: “{ref.contains}” is in more than one paragraph of “{ref.article}” "
                f"({anchors}); use a longer phrase."
            )
        return matches[0]


def _find_section(ref: SectionRef, theme_slug: str) -> Section:
    section = Section.objects.filter(article__slug=ref.article, anchor=ref.anchor).first()
    if section is None:
        raise ThemeContentError(f"Theme “{theme_slug}”: “{ref.article}” has no section “{ref.anchor}”.")
    return section


def _apply(source: ThemeSource, index: ParagraphIndex) -> LoadResult:
    paragraphs = [index.find(ref, source.slug) for ref in source.passages]
    sections = [_find_section(ref, source.slug) for ref in source.sections]
    theme = Theme.objects.filter(slug=source.slug).first()
    result = LoadResult(slug=source.slug, outcome="unchanged")
    if theme is None:
        theme = Theme(slug=source.slug, status=source.status, closes_at=source.closes_at)
        result.outcome = "created"
    for name in ("title", "position", "summary"):
        if getattr(theme, name) != getattr(source, name):
            setattr(theme, name, getattr(source, name))
            result.changes.append(name)
    if result.outcome == "created" or result.changes:
        theme.save()

    # Quoted paragraphs first, then whole sections, each in the file's order.
    wanted = [(paragraph.pk, None) for paragraph in paragraphs] + [(None, section.pk) for section in sections]
    current = list(theme.passages.order_by("position", "pk").values_list("paragraph_id", "section_id"))
    if wanted != current:
        changed = {kind for kind, was, now in (
            ("passages", [p for p, _ in current if p], [p for p, _ in wanted if p]),
            ("sections", [s for _, s in current if s], [s for _, s in wanted if s]),
        ) if was != now}
        theme.passages.all().delete()
        ThemePassage.objects.bulk_create(
            ThemePassage(theme=theme, paragraph_id=paragraph_id, section_id=section_id, position=number)
            for number, (paragraph_id, section_id) in enumerate(wanted, start=1)
        )
        result.changes += sorted(changed)
    if result.outcome == "unchanged" and result.changes:
        result.outcome = "updated"
    return result


def load_themes(sources: list[ThemeSource]) -> list[LoadResult]:
    """Create or update every theme in `sources`, all or nothing; report each one's outcome.

    Themes in the database but not in the file are left alone: they may hold discussions.
    """
    with transaction.atomic():
        index = ParagraphIndex()
        results = [_apply(source, index) for source in sources]
        if any(result.outcome != "unchanged" for result in results):
            events.forum_changed.send(reason="themes loaded")  # stored pages show the old titles and passages
        return results
