"""Missing voices: the named stakeholder groups a theme (or a region) has not heard, or hears much
less than their place among the members would suggest.

A named group is every stakeholder group except "Other". For a theme, a group is missing when
none of its members has written a readable comment there, or when its share of the theme's
writers is under half its share of active members (only for groups with at least
`MIN_GROUP_MEMBERS` active members, so a tiny group is not flagged by chance). Active members are
accounts in use (signed in within `ACTIVE_DAYS`) with a complete profile; writers count for the
group they spoke for when posting. Two aggregate queries, whatever the theme's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from accounts.models import StakeholderGroup
from forum.models import Comment, group_labels

MIN_GROUP_MEMBERS = 5
ACTIVE_DAYS = 180
NAMED_GROUPS = [code for code, _label in StakeholderGroup.choices if code != StakeholderGroup.OTHER]


@dataclass(frozen=True)
class QuietGroup:
    """A named group heard less than its share: its share of writers and of active members (%)."""

    label: str
    writer_share: int
    member_share: int


@dataclass(frozen=True)
class MissingVoices:
    absent: list[str]  # labels of named groups with no writer at all
    quiet: list[QuietGroup]

    def __bool__(self) -> bool:
        return bool(self.absent or self.quiet)


def active_members_by_group() -> dict[str, int]:
    """Active members of each named group (accounts in use, with a complete profile)."""
    since = timezone.now() - timedelta(days=ACTIVE_DAYS)
    rows = (
        get_user_model().objects.filter(
            is_active=True, deleted_at__isnull=True, last_login__gte=since, stakeholder_group__in=NAMED_GROUPS
        )
        .exclude(display_name="")
        .order_by().values("stakeholder_group").annotate(count=Count("pk"))
    )
    return {row["stakeholder_group"]: row["count"] for row in rows}


def _writers_by_group(comments) -> dict[str, int]:
    rows = (
        comments.filter(author_group__in=NAMED_GROUPS, author__isnull=False)
        .order_by().values("author_group").annotate(writers=Count("author", distinct=True))
    )
    return {row["author_group"]: row["writers"] for row in rows}


def compare(writers: dict[str, int], members: dict[str, int]) -> MissingVoices:
    """Which named groups are absent from `writers`, and which write under half their share of
    `members` (groups of at least MIN_GROUP_MEMBERS)."""
    total_writers = sum(writers.values())
    total_members = sum(members.values())
    absent = [code for code in NAMED_GROUPS if not writers.get(code)]
    quiet = []
    for code in NAMED_GROUPS:
        if code in absent or members.get(code, 0) < MIN_GROUP_MEMBERS or not total_writers or not total_members:
            continue
        writer_share = writers[code] / total_writers
        member_share = members[code] / total_members
        if writer_share < member_share / 2:
            quiet.append(QuietGroup(group_labels([code])[0], round(100 * writer_share), round(100 * member_share)))
    return MissingVoices(absent=group_labels(absent), quiet=quiet)


def theme_missing_voices(theme) -> MissingVoices:
    """The named groups a theme has not heard, or hears too little."""
    comments = Comment.objects.readable().filter(thread_theme=theme)
    return compare(_writers_by_group(comments), active_members_by_group())


def region_missing_voices(region) -> MissingVoices:
    """The named groups none of a region's members has written for (the region as posted)."""
    comments = Comment.objects.readable().filter(author_region=region)
    return compare(_writers_by_group(comments), {})
