"""The numbers on a theme's summary page: who has taken part, how much, and in what spirit.

Everything is counted over the comments anyone can read: published, not deleted, in published
discussions. A comment counts for the stakeholder group its writer spoke for when posting it
(docs/accounts.md, "The member badge"), so a member who changed group is a participant of each
group they wrote for; likewise for the region a summary can be narrowed to. The figures cost three
aggregate queries whatever the theme's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower

from accounts.models import StakeholderGroup
from forum.models import Comment, Stance

NO_GROUP_LABEL = "Former members and no group given"
# The server-drawn chart: one bar per measure for each group. Fills are NHS.UK blues and purple, all
# dark enough to stand out from the white page.
CHART_MEASURES = [
    ("comments", "comment", "comments", "#005eb8"),
    ("participants", "person", "people", "#003087"),
    ("organisations", "organisation", "organisations", "#330072"),
]
STANCE_COLUMNS = [*Stance.choices, ("", "No tag")]


@dataclass
class GroupFigures:
    code: str
    label: str
    comments: int = 0
    participants: int = 0
    organisations: int = 0
    stances: dict[str, int] = field(default_factory=dict)
    share: int = 0  # percentage of the theme's comments, rounded

    @property
    def stance_counts(self) -> list[int]:
        """Counts in the order of STANCE_COLUMNS, for the table."""
        return [self.stances.get(code, 0) for code, _label in STANCE_COLUMNS]


@dataclass
class ThemeSummary:
    comments: int
    participants: int
    organisations: int
    common_ground: int
    contested: int
    groups: list[GroupFigures]
    stance_totals: list[int]
    dominant: GroupFigures | None

    @property
    def stance_columns(self) -> list[tuple[str, str]]:
        return STANCE_COLUMNS

    @property
    def chart(self) -> dict:
        return chart_geometry(self.groups)


def _count_marked(flag: str):
    """A subquery: the readable comments of the outer theme with `flag` set (from its partial
    index alone: forum_comment_cg_count_idx, forum_comment_ct_count_idx)."""
    counted = (
        Comment.objects.readable_unjoined()
        .filter(thread_theme=OuterRef("pk"), **{flag: True})
        .order_by()
        .values("thread_theme")
        .annotate(count=Count("*"))  # no column the index lacks
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


def with_common_ground_counts(themes):
    """Each theme with `common_ground_count` and `contested_count`: its readable comments marked
    common ground, and contested (one subquery each per row, on the partial indexes)."""
    return themes.annotate(
        common_ground_count=_count_marked("is_common_ground"), contested_count=_count_marked("is_contested")
    )


def _organisations():
    """Distinct organisation names, ignoring case; members who gave none are not counted."""
    return Count(Lower("author__organisation_name"), distinct=True, filter=~Q(author__organisation_name=""))


def theme_summary(theme, region=None) -> ThemeSummary:
    """Comments, participants, organisations and stances per stakeholder group, in three queries.
    With a region, only the comments its members wrote (the region as posted)."""
    comments = Comment.objects.readable().filter(thread__theme=theme).written_in(region)
    totals = comments.aggregate(
        comments=Count("pk"),
        participants=Count("author", distinct=True),
        organisations=_organisations(),
        common_ground=Count("pk", filter=Q(is_common_ground=True)),
        contested=Count("pk", filter=Q(is_contested=True)),
    )
    per_group = (
        comments.values("author_group")
        .annotate(comments=Count("pk"), participants=Count("author", distinct=True), organisations=_organisations())
        .order_by()
    )
    per_stance = comments.values("author_group", "stance").annotate(count=Count("pk")).order_by()

    labels = dict(StakeholderGroup.choices)
    groups: dict[str, GroupFigures] = {}

    def figures_for(code: str | None) -> GroupFigures:
        code = code if code in labels else ""
        if code not in groups:
            groups[code] = GroupFigures(code=code, label=labels.get(code, NO_GROUP_LABEL))
        return groups[code]

    for row in per_group:
        figures = figures_for(row["author_group"])
        figures.comments += row["comments"]
        figures.participants += row["participants"]
        figures.organisations += row["organisations"]
    for row in per_stance:
        figures = figures_for(row["author_group"])
        stance = row["stance"] if row["stance"] in dict(Stance.choices) else ""
        figures.stances[stance] = figures.stances.get(stance, 0) + row["count"]

    total = totals["comments"]
    order = [code for code, _label in StakeholderGroup.choices] + [""]
    ordered = [groups[code] for code in order if code in groups]
    for figures in ordered:
        figures.share = round(100 * figures.comments / total) if total else 0
    dominant = next((g for g in ordered if total and g.comments * 2 > total), None)
    stance_totals = [sum(g.stances.get(code, 0) for g in ordered) for code, _label in STANCE_COLUMNS]
    return ThemeSummary(
        comments=total,
        participants=totals["participants"],
        organisations=totals["organisations"],
        common_ground=totals["common_ground"],
        contested=totals["contested"],
        groups=ordered,
        stance_totals=stance_totals,
        dominant=dominant,
    )


def chart_geometry(groups: list[GroupFigures]) -> dict:
    """The summary chart: for each group its name, then one bar per measure, as a share of the scale.

    Bars share one scale (the largest figure on the page) so they can be compared; each bar is
    labelled with its number and unit in words, so nothing depends on telling colours apart. The
    page writes names and numbers as HTML text, so they keep their size on a narrow screen, and
    each bar as an SVG rectangle `percent` wide (a style attribute would need 'unsafe-inline').
    """
    largest = max([1, *(getattr(g, name) for g in groups for name, *_rest in CHART_MEASURES)])
    rows = []
    for figures in groups:
        bars = []
        for name, singular, plural, fill in CHART_MEASURES:
            value = getattr(figures, name)
            # A figure of one among thousands still gets a visible sliver.
            percent = max(round(100 * value / largest, 1), 0.5) if value else 0
            bars.append(
                {
                    "measure": name,
                    "value": value,
                    "percent": f"{percent:g}",
                    "text": f"{value} {singular if value == 1 else plural}",
                    "fill": fill,
                }
            )
        rows.append({"label": figures.label, "bars": bars})
    return {"rows": rows}
