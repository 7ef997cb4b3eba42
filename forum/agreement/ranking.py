"""Lists of comments by their votes: a theme's common ground and contested points, and common
ground across every theme; and each comment's split by stakeholder group, as a chart and a table.

Only published, undeleted comments in published discussions are listed: a hidden comment keeps its
figures but is not shown. Common ground is ranked by group-informed consensus (highest first), so a
comment every group leans to agree with comes before one a single group agrees with loudly.
Contested points come most voted first: where a planning meeting must spend its time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F

from accounts.models import StakeholderGroup
from forum.agreement.consensus import NAMED_GROUPS, group_factor, named_groups_with
from forum.models import Comment

_GROUP_NAMES = dict(StakeholderGroup.choices)
AGREE_FILL = "#007f3b"  # NHS.UK green
DISAGREE_FILL = "#d5281b"  # NHS.UK red

__all__ = [
    "common_ground_comments",
    "common_ground_everywhere",
    "contested_comments",
    "vote_split",
]


def _readable(user):
    return Comment.objects.visible_to(user).readable()


def common_ground_comments(theme, user, region=None):
    """A theme's common-ground comments the reader may see, best consensus first; with a region,
    only those its members wrote (the region as posted)."""
    return (
        _readable(user)
        .written_in(region)
        .filter(is_common_ground=True, thread_theme=theme)
        .select_related("thread", "author")
        .order_by("-consensus", "-agree_count", "-pk")
    )


def contested_comments(theme, user):
    """A theme's contested comments the reader may see: one named group leans to agree and
    another to disagree. Most votes first."""
    return (
        _readable(user)
        .filter(is_contested=True, thread_theme=theme)
        .select_related("thread", "author")
        .order_by((F("agree_count") + F("disagree_count")).desc(), "-pk")
    )


def common_ground_everywhere(user):
    """Common ground from every theme, best consensus first, each with its theme."""
    return (
        _readable(user)
        .filter(is_common_ground=True)
        .select_related("thread__theme", "author")
        .order_by("-consensus", "-agree_count", "-pk")
    )


@dataclass(frozen=True)
class GroupVotes:
    code: str
    label: str
    agrees: int
    verified_agrees: int
    disagrees: int
    counted: bool  # a named group ("Other" and no group are shown but never counted)

    @property
    def factor(self) -> str:
        """This group's factor in the consensus, as the page prints it."""
        return f"{group_factor(self.agrees, self.disagrees):.2f}" if self.counted else "not counted"


@dataclass(frozen=True)
class VoteSplit:
    groups: list[GroupVotes]
    agreeing_groups: int  # named groups with an agree
    verified_groups: int  # of those, groups with an agree by a member whose group was verified
    chart: dict

    @property
    def self_declared_groups(self) -> int:
        return self.agreeing_groups - self.verified_groups


def vote_split(comment) -> VoteSplit:
    """A comment's votes by group (every group that voted, named ones first in declared order),
    how many named groups agree and how many of them with a verified member, and the chart."""
    agrees = comment.agree_groups or {}
    verified = comment.agree_groups_verified or {}
    disagrees = comment.disagree_groups or {}
    voted = {code for code, count in agrees.items() if count} | {code for code, count in disagrees.items() if count}
    order = [code for code in NAMED_GROUPS if code in voted]
    order += sorted(code for code in voted if code not in NAMED_GROUPS)
    groups = [
        GroupVotes(
            code=code,
            label=_GROUP_NAMES.get(code, "Group not given"),
            agrees=agrees.get(code, 0),
            verified_agrees=verified.get(code, 0),
            disagrees=disagrees.get(code, 0),
            counted=code in NAMED_GROUPS,
        )
        for code in order
    ]
    agreeing = named_groups_with(agrees)
    return VoteSplit(
        groups=groups,
        agreeing_groups=len(agreeing),
        verified_groups=len([code for code in agreeing if verified.get(code, 0) > 0]),
        chart=_chart(groups),
    )


def _bar(value: int, largest: int, singular: str, plural: str, fill: str) -> dict:
    percent = max(round(100 * value / largest, 1), 0.5) if value else 0
    text = f"{value} {singular if value == 1 else plural}"
    return {"value": value, "percent": f"{percent:g}", "text": text, "fill": fill}


def _chart(groups: list[GroupVotes]) -> dict:
    """The split as the summary page draws its chart (forum.agreement.summary.chart_geometry): each
    group's name and figures in words as HTML text, each bar an SVG rectangle on one scale."""
    largest = max([1, *(g.agrees for g in groups), *(g.disagrees for g in groups)])
    rows = []
    for group in groups:
        label = group.label if group.counted else f"{group.label} (not counted)"
        bars = [
            _bar(group.agrees, largest, "agrees", "agree", AGREE_FILL),
            _bar(group.disagrees, largest, "disagrees", "disagree", DISAGREE_FILL),
        ]
        rows.append({"label": label, "bars": bars})
    return {"rows": rows}
