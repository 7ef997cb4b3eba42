"""What a theme brief holds, gathered in a fixed number of queries whatever the theme's size.

The brief states when it was made and the filters it was made with (a region, optionally). Only
what anyone can read goes in: published comments and discussions, needs and offers on the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from forum.agreement import ranking
from forum.agreement.summary import ThemeSummary, theme_summary
from forum.agreement.voices import MissingVoices, theme_missing_voices
from forum.coding.services import code_table
from forum.models import Comment, Commitment, MapEntry, ThemeResponse

COMMON_GROUND_LISTED = 10
MAP_ENTRIES_LISTED = 5


@dataclass
class Brief:
    theme: object
    made_at: datetime
    filters: dict[str, str]
    summary: ThemeSummary
    missing_voices: MissingVoices
    common_ground: list[Comment]
    contested: list[Comment]
    needs: list[MapEntry]
    offers: list[MapEntry]
    codes: dict
    responses: list[ThemeResponse]
    commitments: list[Commitment]
    extra: dict = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Nothing has happened in the theme yet: no comment, no need or offer, no response."""
        return not (self.summary.comments or self.needs or self.offers or self.responses)


def _with_splits(comments) -> list[Comment]:
    """The first COMMON_GROUND_LISTED comments, each with its split by group."""
    listed = list(comments[:COMMON_GROUND_LISTED])
    for comment in listed:
        comment.split = ranking.vote_split(comment)
    return listed


def _map_entries(theme, kind: str, region) -> list[MapEntry]:
    """The needs (or offers) most seen on the stages that speak to this theme, or posted in it."""
    on_map = MapEntry.objects.on_map().filter(kind=kind)
    if region is not None:
        on_map = on_map.filter(region=region)
    entries = on_map.filter(stage__themes=theme) | on_map.filter(thread__theme=theme)
    return list(
        entries.distinct().select_related("thread", "stage", "region", "opening")
        .order_by("-seen_groups", "-link_count", "-created_at", "-pk")[:MAP_ENTRIES_LISTED]
    )


def build_brief(theme, *, region=None) -> Brief:
    """Everything the brief of `theme` shows, as of now; with `region`, the comments, common ground,
    needs and offers of members in that region (as posted). Missing voices, codes and responses
    are the whole theme's."""
    return Brief(
        theme=theme,
        made_at=timezone.now(),
        filters={"region": region.name} if region is not None else {},
        summary=theme_summary(theme, region),
        missing_voices=theme_missing_voices(theme),
        common_ground=_with_splits(ranking.common_ground_comments(theme, None, region=region)),
        contested=_with_splits(ranking.contested_comments(theme, None)),
        needs=_map_entries(theme, "need", region),
        offers=_map_entries(theme, "offer", region),
        codes=code_table(theme),
        responses=list(ThemeResponse.objects.filter(theme=theme).order_by("-created_at")),
        commitments=list(Commitment.objects.filter(theme=theme).with_updates()
                         .order_by("response__created_at", "position", "pk")),
    )
