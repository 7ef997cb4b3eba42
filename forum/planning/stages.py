"""Stages of the patient journey from their content file (forum/content/journey.toml).

Passages are found by a phrase, as for themes (`forum.theme_content`). Loading is all or nothing,
creates and updates stages, and never archives or deletes one: a facilitator archives a stage in
the admin and it keeps what was posted to it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.db import transaction

from forum import events
from forum.models import JourneyStage, Theme
from forum.theme_content import (
    SLUG,
    ParagraphIndex,
    PassageRef,
    ThemeContentError,
    passage_refs,
    required_str,
)

JOURNEY_FILE = Path(__file__).resolve().parent.parent / "content" / "journey.toml"
STAGE_KEYS = {"slug", "title", "position", "description", "cross_cutting", "themes", "passages"}


@dataclass
class StageSource:
    slug: str
    title: str
    position: int
    description: str
    cross_cutting: bool = False
    themes: list[str] = field(default_factory=list)
    passages: list[PassageRef] = field(default_factory=list)


@dataclass
class Journey:
    planning_theme: str
    stages: list[StageSource]


def _stage(table: dict, where: str) -> StageSource:
    unknown = set(table) - STAGE_KEYS
    if unknown:
        raise ThemeContentError(f"{where}: unknown keys {', '.join(sorted(unknown))}.")
    slug = required_str(table, "slug", where)
    where = f"{where.split(',')[0]}, stage “{slug}”"
    if not SLUG.match(slug):
        raise ThemeContentError(f"{where}: the slug may hold only lower-case letters, digits and hyphens.")
    position = table.get("position")
    if not isinstance(position, int) or position < 0:
        raise ThemeContentError(f"{where}: `position` must be a whole number.")
    themes = table.get("themes", [])
    if not isinstance(themes, list) or not all(isinstance(theme, str) for theme in themes):
        raise ThemeContentError(f"{where}: `themes` must be a list of theme slugs.")
    return StageSource(
        slug=slug, title=required_str(table, "title", where), position=position,
        description=required_str(table, "description", where),
        cross_cutting=bool(table.get("cross_cutting", False)), themes=themes,
        passages=passage_refs(table, "passages", where, ("article", "contains"), PassageRef),
    )


def parse_journey(text: str, *, source_name: str = "journey.toml") -> Journey:
    """Parse and check the whole file without touching the database."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeContentError(f"{source_name} is not valid TOML: {error}") from error
    tables = data.get("stages")
    if not isinstance(tables, list) or not tables:
        raise ThemeContentError(f"{source_name} has no [[stages]] tables.")
    stages = [_stage(table, f"{source_name}, stage {number}") for number, table in enumerate(tables, start=1)]
    slugs = [stage.slug for stage in stages]
    if twice := sorted({slug for slug in slugs if slugs.count(slug) > 1}):
        raise ThemeContentError(f"{source_name}: the slug “{twice[0]}” is used twice.")
    planning = data.get("planning", {})
    return Journey(planning_theme=required_str(planning, "theme", f"{source_name}, [planning]"), stages=stages)


def read_journey_file(path: Path = JOURNEY_FILE) -> Journey:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ThemeContentError(f"Cannot read {path}: {error}") from error
    return parse_journey(text, source_name=path.name)


@lru_cache(maxsize=1)
def planning_theme_slug() -> str:
    """The theme holding needs and offers that come from no other theme (named in the file, which
    does not change while the site runs)."""
    return read_journey_file().planning_theme


def _apply(source: StageSource, index: ParagraphIndex, themes: dict[str, Theme]) -> str:
    missing = [slug for slug in source.themes if slug not in themes]
    if missing:
        raise ThemeContentError(f"Stage “{source.slug}”: there is no theme “{missing[0]}” (run load_themes first?).")
    paragraphs = [index.find(ref, source.slug, what="Stage") for ref in source.passages]
    stage = JourneyStage.objects.filter(slug=source.slug).first()
    outcome = "unchanged"
    if stage is None:
        stage, outcome = JourneyStage(slug=source.slug), "created"
    for name in ("title", "position", "description", "cross_cutting"):
        if getattr(stage, name) != getattr(source, name):
            setattr(stage, name, getattr(source, name))
            outcome = "updated" if outcome == "unchanged" else outcome
    if outcome != "unchanged":
        stage.save()
    if set(stage.themes.values_list("slug", flat=True)) != set(source.themes):
        stage.themes.set([themes[slug] for slug in source.themes])
        outcome = "updated" if outcome == "unchanged" else outcome
    if set(stage.paragraphs.values_list("pk", flat=True)) != {paragraph.pk for paragraph in paragraphs}:
        stage.paragraphs.set(paragraphs)
        outcome = "updated" if outcome == "unchanged" else outcome
    return f"{outcome}: {source.slug}"


def load_journey(journey: Journey) -> list[str]:
    """Create or update every stage in the file, all or nothing; say what happened to each."""
    with transaction.atomic():
        if not Theme.objects.filter(slug=journey.planning_theme).exists():
            raise ThemeContentError(
                f"The planning theme “{journey.planning_theme}” does not exist (run load_themes first?)."
            )
        index = ParagraphIndex()
        themes = Theme.objects.in_bulk(field_name="slug")
        results = [_apply(source, index, themes) for source in journey.stages]
        if any(not result.startswith("unchanged") for result in results):
            events.forum_changed.send(reason="journey stages loaded")
        return results
