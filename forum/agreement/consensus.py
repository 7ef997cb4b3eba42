"""The arithmetic of votes by stakeholder group: named groups, group-informed consensus, contested.

Pure functions of the figures a comment stores ({group code: count} for agrees and disagrees), so
the services, the migration's backfill and the tests share one definition. Only *named* groups
count: every stakeholder group except "Other" (and a blank group, a former member's). "Other" says
nothing about who else agrees, so it never makes common ground, consensus or a contest.
"""

from __future__ import annotations

from accounts.models import StakeholderGroup

NAMED_GROUPS: tuple[str, ...] = tuple(code for code in StakeholderGroup if code != StakeholderGroup.OTHER)
COMMON_GROUND_GROUPS = 3


def is_named(code: str) -> bool:
    """Whether votes from this group count towards common ground, consensus and contests."""
    return code in NAMED_GROUPS


def named_groups_with(counts: dict | None) -> list[str]:
    """The named groups with at least one vote in `counts`, in their declared order."""
    counts = counts or {}
    return [code for code in NAMED_GROUPS if counts.get(code, 0) > 0]


def group_factor(agrees: int, disagrees: int) -> float:
    """One group's lean, smoothed: (a + 1) / (a + d + 2). A group with no votes gives 0.5."""
    return (agrees + 1) / (agrees + disagrees + 2)


def consensus(agree_groups: dict | None, disagree_groups: dict | None) -> float:
    """Polis' group-informed consensus: the product over every named group of its factor.

    It is high only when every group leans to agree; a group that has not voted contributes 0.5, so
    one group's votes alone cannot lift a comment above comments that several groups agree with.
    Worked example in docs/forum.md ("Group-informed consensus").
    """
    agree_groups, disagree_groups = agree_groups or {}, disagree_groups or {}
    product = 1.0
    for code in NAMED_GROUPS:
        product *= group_factor(agree_groups.get(code, 0), disagree_groups.get(code, 0))
    return product


NO_VOTES_CONSENSUS = consensus({}, {})


def is_common_ground(agree_groups: dict | None) -> bool:
    """Members of at least COMMON_GROUND_GROUPS named groups agree."""
    return len(named_groups_with(agree_groups)) >= COMMON_GROUND_GROUPS


def is_contested(agree_groups: dict | None, disagree_groups: dict | None, concern_groups: dict | None = None) -> bool:
    """One named group leans to agree (more agrees than disagrees) while another leans to disagree,
    or has replied to it with a comment tagged as a concern (`concern_groups`: {group: replies})."""
    agree_groups, disagree_groups = agree_groups or {}, disagree_groups or {}
    leans = {code: agree_groups.get(code, 0) - disagree_groups.get(code, 0) for code in NAMED_GROUPS}
    agreeing = {code for code, lean in leans.items() if lean > 0}
    against = {code for code, lean in leans.items() if lean < 0}
    against |= {code for code, count in (concern_groups or {}).items() if count > 0 and code in NAMED_GROUPS}
    return any(first != second for first in agreeing for second in against)
