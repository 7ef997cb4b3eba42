"""What the seeder keeps about the rows it has made, and its progress bar."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime

from forum.models import Theme


@dataclass
class DemoMember:
    id: int
    name: str
    group: str
    url: str
    email: str
    verified: bool = False
    region_id: int | None = None


@dataclass
class ThreadSpec:
    id: int
    theme: Theme
    author: int  # index into members
    created_at: datetime
    size: int
    title: str
    anchor: object | None = None
    pinned: bool = False
    locked: bool = False


@dataclass
class Posted:
    """What later comments of the same thread need to know about an earlier one."""

    id: int
    author: int
    template: int  # -1 when the body is not a plain template (it cannot be quoted)
    public: bool


def progress_bar(total: int, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total, unit=" comments", unit_scale=True, disable=not enabled, file=sys.stderr,
        mininterval=0.5, dynamic_ncols=True, desc="Seeding",
    )
