"""The register of regions: reading a register file and bringing the database up to date with it.

The shipped file is `accounts/content/regions.csv` (its source: `regions-SOURCE.md` beside it);
migration 0007 loaded it, and `manage.py update_regions <file>` applies a newer local copy. Nothing
is fetched from the network. A region is never deleted: one that ends gets `valid_until`, and
`replaced_by` when it merged into another, so members and organisations that point at it keep a
valid row. See docs/regions.md.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction

from accounts.models import Region

SHIPPED_REGISTER = Path(__file__).resolve().parent / "content" / "regions.csv"
COLUMNS = ("code", "name", "short_name", "kind", "valid_from", "valid_until", "replaced_by")
CODE_PATTERN = re.compile(r"^E\d{8}$")
KINDS = {kind.value for kind in Region.Kind}


class RegisterError(ValueError):
    """A register file that cannot be applied; the message says which lines and why."""


@dataclass(frozen=True)
class RegisterRow:
    code: str
    name: str
    short_name: str
    kind: str
    valid_from: date
    valid_until: date | None
    replaced_by: str


@dataclass
class RegisterChanges:
    """What applying a register file changed, in words an administrator reads."""

    added: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.renamed or self.ended or self.merged or self.other)

    def lines(self) -> list[str]:
        sections = [
            ("Added", self.added),
            ("Renamed", self.renamed),
            ("Ended", self.ended),
            ("Merged", self.merged),
            ("Other changes", self.other),
            ("In the database but not in the file (kept)", self.not_in_file),
        ]
        out = []
        for title, items in sections:
            if items:
                out.append(f"{title}:")
                out.extend(f"  {item}" for item in items)
        return out or ["No changes: the register already matches the file."]


def read_register(path: Path | str) -> list[RegisterRow]:
    """The rows of a register file (CSV with COLUMNS; lines starting with # are notes), checked.

    Raises RegisterError naming every bad line: a missing column, a code that is not E and 8
    digits, an unknown kind, a date that is not YYYY-MM-DD, a repeated code.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RegisterError(f"Cannot read {path}: {error}") from error
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if not line.lstrip().startswith("#")]
    numbered = [(n, line) for n, line in numbered if line.strip()]
    if not numbered:
        raise RegisterError(f"{path} is empty.")
    reader = csv.DictReader([line for _n, line in numbered])
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise RegisterError(f"{path} has no column {', '.join(missing)}. The columns are: {', '.join(COLUMNS)}.")
    rows, errors, seen = [], [], set()
    for (line_number, _line), raw in zip(numbered[1:], reader, strict=False):
        row, problems = _row(raw)
        if row is not None and row.code in seen:
            problems.append(f"the code {row.code} is listed twice")
        errors += [f"line {line_number}: {problem}" for problem in problems]
        if row is not None and not problems:
            seen.add(row.code)
            rows.append(row)
    if errors:
        raise RegisterError(f"{path} cannot be used:\n" + "\n".join(errors))
    return rows


def _row(raw: dict) -> tuple[RegisterRow | None, list[str]]:
    values = {column: (raw.get(column) or "").strip() for column in COLUMNS}
    problems = []
    for column in ("code", "replaced_by"):
        if values[column] and not CODE_PATTERN.match(values[column]):
            problems.append(f"{column} {values[column]!r} is not an ONS code (E followed by 8 digits)")
    if not values["code"]:
        problems.append("code is empty")
    if not values["name"]:
        problems.append("name is empty")
    if values["kind"] not in KINDS:
        problems.append(f"kind {values['kind']!r} is not one of {', '.join(sorted(KINDS))}")
    valid_from = _date(values["valid_from"], "valid_from", problems, required=True)
    valid_until = _date(values["valid_until"], "valid_until", problems, required=False)
    if valid_from and valid_until and valid_until < valid_from:
        problems.append("valid_until is before valid_from")
    if problems:
        return None, problems
    row = RegisterRow(
        code=values["code"],
        name=values["name"],
        short_name=values["short_name"] or values["name"],
        kind=values["kind"],
        valid_from=valid_from,
        valid_until=valid_until,
        replaced_by=values["replaced_by"],
    )
    return row, []


def _date(value: str, column: str, problems: list[str], *, required: bool) -> date | None:
    if not value:
        if required:
            problems.append(f"{column} is empty")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{column} {value!r} is not a date written as YYYY-MM-DD")
        return None


@transaction.atomic
def apply_register(rows: list[RegisterRow], *, dry_run: bool = False) -> RegisterChanges:
    """Bring the Region table up to date with `rows`: add, rename, end and merge; never delete.

    A `replaced_by` must name a region in the file or already in the database. With `dry_run`,
    report the changes and roll them back.
    """
    changes = RegisterChanges()
    existing = {region.code: region for region in Region.objects.select_related("replaced_by")}
    known_codes = set(existing) | {row.code for row in rows}
    unknown = sorted({row.replaced_by for row in rows if row.replaced_by and row.replaced_by not in known_codes})
    if unknown:
        raise RegisterError(
            f"replaced_by names regions that are neither in the file nor in the register: {', '.join(unknown)}"
        )
    for row in rows:
        existing[row.code] = _apply_row(row, existing.get(row.code), changes)
    for row in rows:
        _apply_replacement(existing[row.code], existing.get(row.replaced_by), changes)
    file_codes = {row.code for row in rows}
    changes.not_in_file = [_label(region) for code, region in sorted(existing.items()) if code not in file_codes]
    if dry_run:
        transaction.set_rollback(True)
    return changes


def _label(region: Region) -> str:
    return f"{region.code} {region.short_name or region.name}"


def _apply_row(row: RegisterRow, region: Region | None, changes: RegisterChanges) -> Region:
    if region is None:
        region = Region.objects.create(
            code=row.code,
            name=row.name,
            short_name=row.short_name,
            kind=row.kind,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
        )
        changes.added.append(_label(region))
        return region
    updated = []
    if (region.name, region.short_name) != (row.name, row.short_name):
        changes.renamed.append(f"{region.code} {region.name} → {row.name}")
        region.name, region.short_name = row.name, row.short_name
        updated += ["name", "short_name"]
    if region.valid_until != row.valid_until:
        if row.valid_until is not None:
            changes.ended.append(f"{_label(region)}: in force until {row.valid_until:%d %B %Y}")
        else:
            changes.other.append(f"{_label(region)}: in force again")
        region.valid_until = row.valid_until
        updated.append("valid_until")
    if (region.kind, region.valid_from) != (row.kind, row.valid_from):
        changes.other.append(f"{_label(region)}: kind {row.kind}, in force from {row.valid_from:%d %B %Y}")
        region.kind, region.valid_from = row.kind, row.valid_from
        updated += ["kind", "valid_from"]
    if updated:
        region.save(update_fields=updated)
    return region


def _apply_replacement(region: Region, replacement: Region | None, changes: RegisterChanges) -> None:
    if region.replaced_by_id == (replacement.pk if replacement else None):
        return
    region.replaced_by = replacement
    region.save(update_fields=["replaced_by"])
    if replacement is not None:
        changes.merged.append(f"{_label(region)} → {_label(replacement)}")
    else:
        changes.other.append(f"{_label(region)}: no longer marked as replaced")


def ensure_register_loaded() -> None:
    """Load the shipped register when the Region table is empty (a test database that was flushed,
    or demo data on a database emptied by hand). Migration 0007 loads it on every new database."""
    if not Region.objects.exists():
        apply_register(read_register(SHIPPED_REGISTER))


def icb_count_in(path: Path | str = SHIPPED_REGISTER) -> int:
    """How many integrated care boards in force today a register file lists: every count comes from the file."""
    today = date.today()
    in_force = [row for row in read_register(path) if row.valid_from <= today]
    return sum(1 for row in in_force if row.kind == Region.Kind.ICB and (row.valid_until or today) >= today)
