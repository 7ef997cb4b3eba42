"""The map's grid: a row per stage, a column per kind of support, and in each cell the needs,
offers and matches with the groups that raised them.

Everything is counted over entries anyone may see (`MapEntry.objects.on_map()`), in one aggregate
query whatever the number of entries; the stages, the unmatched needs most seen and the filters'
choices cost one query each. A need counts as a match when at least one offer is linked to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from forum.models import EntryKind, JourneyStage, MapEntry, SupportKind, group_labels

TOP_NEEDS = 5
HEAT_LEVELS = 4  # cells are shaded in this many steps above empty


@dataclass(frozen=True)
class MapFilters:
    """What the map is narrowed to: a region, a stakeholder group, verified groups only."""

    region: object = None  # accounts.models.Region
    group: str = ""
    verified_only: bool = False

    def apply(self, entries):
        if self.region is not None:
            entries = entries.filter(region=self.region)
        if self.group:
            entries = entries.filter(opening__author_group=self.group)
        if self.verified_only:
            entries = entries.filter(opening__author_group_verified=True)
        return entries

    @property
    def group_label(self) -> str:
        return group_labels([self.group])[0] if self.group else ""

    @property
    def is_set(self) -> bool:
        return self.region is not None or bool(self.group) or self.verified_only

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links to a cell, and the downloads)."""
        params = {}
        if self.region is not None:
            params["region"] = self.region.code
        if self.group:
            params["group"] = self.group
        if self.verified_only:
            params["verified"] = "1"
        return params


@dataclass
class Cell:
    stage: JourneyStage
    support: str
    needs: int = 0
    offers: int = 0
    matches: int = 0
    groups: set[str] = field(default_factory=set)
    heat: int = 0

    @property
    def total(self) -> int:
        return self.needs + self.offers

    @property
    def group_labels(self) -> list[str]:
        return group_labels(self.groups)

    @property
    def support_label(self) -> str:
        return SupportKind(self.support).label


@dataclass
class Row:
    stage: JourneyStage
    cells: list[Cell]


@dataclass
class MapGrid:
    rows: list[Row]
    supports: list[tuple[str, str]]
    top_needs: list[MapEntry]

    @property
    def cells(self) -> list[Cell]:
        return [cell for row in self.rows for cell in row.cells]

    @property
    def totals(self) -> dict[str, int]:
        cells = self.cells
        return {
            "needs": sum(cell.needs for cell in cells),
            "offers": sum(cell.offers for cell in cells),
            "matches": sum(cell.matches for cell in cells),
        }


def _heat(total: int, largest: int) -> int:
    """0 for an empty cell, else 1..HEAT_LEVELS by its share of the fullest cell."""
    if total == 0 or largest == 0:
        return 0
    return max(1, -(-total * HEAT_LEVELS // largest))


def _empty() -> dict:
    return {"needs": 0, "offers": 0, "matches": 0, "groups": set()}


def _counts(entries) -> dict[tuple[int, str], Cell]:
    """Each (stage id, support) with its figures, from one aggregate query."""
    found: dict[tuple[int, str], dict] = {}
    rows = (
        entries.order_by()
        .values("stage_id", "support", "kind", "opening__author_group")
        .annotate(count=Count("pk"), matched=Count("pk", filter=Q(link_count__gt=0)))
    )
    for row in rows:
        cell = found.setdefault((row["stage_id"], row["support"]), _empty())
        if row["kind"] == EntryKind.NEED:
            cell["needs"] += row["count"]
            cell["matches"] += row["matched"]
        else:
            cell["offers"] += row["count"]
        if row["opening__author_group"]:
            cell["groups"].add(row["opening__author_group"])
    return found


def top_unmatched_needs(entries, limit: int = TOP_NEEDS) -> list[MapEntry]:
    """The needs no offer matches yet that the most groups see too (at least one)."""
    return list(
        entries.needs()
        .filter(link_count=0, seen_groups__gt=0)
        .select_related("thread", "stage", "region")
        .order_by("-seen_groups", "-created_at", "-pk")[:limit]
    )


def build_grid(filters: MapFilters) -> MapGrid:
    """The whole map for these filters."""
    entries = filters.apply(MapEntry.objects.on_map())
    counts = _counts(entries)
    stages = list(JourneyStage.objects.all())
    supports = list(SupportKind.choices)
    largest = max((figures["needs"] + figures["offers"] for figures in counts.values()), default=0)
    rows = []
    for stage in stages:
        cells = []
        for support, _label in supports:
            figures = counts.get((stage.pk, support)) or _empty()
            cell = Cell(stage=stage, support=support, **figures)
            cell.heat = _heat(cell.total, largest)
            cells.append(cell)
        if cells and (not stage.is_archived or any(cell.total for cell in cells)):
            rows.append(Row(stage=stage, cells=cells))
    return MapGrid(rows=rows, supports=supports, top_needs=top_unmatched_needs(entries))


def cell_entries(filters: MapFilters, *, stage, support: str):
    """One cell's needs and offers, for its list page and downloads: needs first, most seen first."""
    return (
        filters.apply(MapEntry.objects.on_map())
        .filter(stage=stage, support=support)
        .select_related("thread", "opening", "opening__author", "stage", "region")
        .order_by("kind", "-seen_groups", "-created_at", "-pk")
    )
