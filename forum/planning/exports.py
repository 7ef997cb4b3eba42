"""The map's downloads: every need and offer on it (with the same filters), as CSV or JSON.

Each row holds the map's columns (stage, kind of support, whether it is matched, the group that
raised it) and the region's ONS code, so the table can be rebuilt from the download. Only what
anyone can read is exported (`MapEntry.objects.on_map()`). CSV cells are made safe from spreadsheet
formulas as in `forum.exports`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import StakeholderGroup
from forum.exports import Echo, absolute, safe_cell
from forum.models import MapEntry, MapLink

_GROUP_LABELS = dict(StakeholderGroup.choices)

COLUMNS = [
    ("id", "The need's or offer's number on the site."),
    ("kind", "“need” or “offer”."),
    ("stage", "The stage of the patient journey."),
    ("stage_slug", "The stage's short name, which never changes."),
    ("support", "The kind of support: capacity, capability or investment."),
    ("region_code", "The region's ONS code (E92000001 for England-wide)."),
    ("region", "The region's name."),
    ("title", "Its title."),
    ("theme", "The theme it is discussed under."),
    ("author", "The writer's display name, or “Former member”."),
    ("group", "The stakeholder group the writer spoke for when posting it."),
    ("verification", "“verified group” when that group was verified then, “self-declared” otherwise."),
    ("organisation", "The organisation the writer names on their profile."),
    ("seen_by_groups", "How many stakeholder groups say “we see this too” (groups other than “Other”)."),
    ("seen_count", "How many members say “we see this too”."),
    ("matched", "“yes” when it is linked to an entry of the other kind."),
    ("linked_ids", "The numbers of the offers linked to this need, or of the needs linked to this offer."),
    ("permalink", "A link to it."),
    ("created_at", "When it was posted (ISO 8601, UTC)."),
    ("description", "Its description as written, in Markdown."),
]
HEADER = [name for name, _meaning in COLUMNS]


def exported_entries(filters):
    """The entries a download holds, in the map's order, with what a row prints joined."""
    links = MapLink.objects.order_by("pk")
    return (
        filters.apply(MapEntry.objects.on_map())
        .select_related("thread__theme", "opening__author", "stage", "region")
        .prefetch_related(Prefetch("offer_links", queryset=links), Prefetch("need_links", queryset=links))
        .order_by("stage__cross_cutting", "stage__position", "support", "kind", "pk")
    )


def _linked_ids(entry) -> list[int]:
    if entry.is_need:
        return [link.offer_id for link in entry.offer_links.all()]
    return [link.need_id for link in entry.need_links.all()]


def entry_record(entry) -> dict:
    """One entry as a JSON-ready dict; the CSV row is built from the same record."""
    opening = entry.opening
    author = opening.author
    present = author is not None and not author.is_former_member
    group = opening.author_group if present else ""
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "stage": entry.stage.title,
        "stage_slug": entry.stage.slug,
        "support": entry.support,
        "region_code": entry.region.code,
        "region": entry.region.name,
        "title": entry.thread.title,
        "theme": entry.thread.theme.title,
        "author": opening.author_name,
        "group": _GROUP_LABELS.get(group, ""),
        "group_code": group,
        "verification": ("verified group" if opening.author_group_verified else "self-declared") if group else "",
        "organisation": author.organisation_name if present else "",
        "seen_by_groups": entry.seen_groups,
        "seen_count": opening.agree_count,
        "matched": entry.link_count > 0,
        "linked_ids": _linked_ids(entry),
        "permalink": absolute(entry.get_absolute_url()),
        "created_at": entry.created_at.isoformat(),
        "description": opening.body,
    }


def csv_row(record: dict) -> list:
    values = dict(record, matched="yes" if record["matched"] else "no",
                  linked_ids=" ".join(str(pk) for pk in record["linked_ids"]))
    return [safe_cell(values[name]) for name in HEADER]


def stream_csv(entries) -> Iterator[str]:
    """The CSV, a line at a time, with a byte-order mark so spreadsheets read UTF-8."""
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow(HEADER)
    for entry in entries:
        yield writer.writerow(csv_row(entry_record(entry)))


def stream_json(entries, *, filters: dict) -> Iterator[str]:
    """One JSON document: {"filters", "exported_at", "site", "entries": [...]}."""
    head = json.dumps({"filters": filters, "exported_at": timezone.now().isoformat(), "site": settings.SITE_URL})
    yield head[:-1] + ', "entries": ['
    separator = "\n"
    for entry in entries:
        yield separator + json.dumps(entry_record(entry), ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"
