"""Members agreeing with a comment, counted by stakeholder group: the common-ground figures.

A comment carries its own figures (`agree_count`, `agree_groups` {group code: count},
`is_common_ground`, `common_ground_at`) so a page of comments shows them without a query per
comment. They change only here, inside a transaction that holds the comment's row lock, so two
members agreeing at the same moment cannot lose an update.

Each Agreement copies the member's stakeholder group when it is made. Withdrawing takes away
exactly what was added, even if the member has changed group since, so the breakdown always adds
up to the count.

A comment is common ground while members of at least `COMMON_GROUND_GROUPS` different groups
agree with it. The first time that happens the event `common_ground_reached` is sent (its author
is told once the transaction commits); a comment that drops below and climbs back is marked again
but not announced again: `common_ground_at` keeps the first moment. Every change sends
`agreement_changed` (the cached pages showing the figures are renewed).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.utils import timezone

from accounts.models import StakeholderGroup
from forum import events, permissions
from forum.models import Agreement, Comment

COMMON_GROUND_GROUPS = 3

_GROUP_NAMES = dict(StakeholderGroup.choices)
_GROUP_ORDER = [code for code, _label in StakeholderGroup.choices]

__all__ = [
    "COMMON_GROUND_GROUPS",
    "agree",
    "common_ground_comments",
    "group_breakdown",
    "groups_agreeing",
    "with_agreement_of",
    "withdraw_agreement",
]


def groups_agreeing(agree_groups: dict | None) -> list[str]:
    """Codes of the groups with at least one agreement."""
    return [code for code, count in (agree_groups or {}).items() if count > 0]


def group_breakdown(agree_groups: dict | None) -> list[tuple[str, int]]:
    """(group name, count) pairs in the order the groups are declared, leaving out zeros."""
    groups = {code: count for code, count in (agree_groups or {}).items() if count > 0}
    ordered = [code for code in _GROUP_ORDER if code in groups]
    ordered += sorted(code for code in groups if code not in _GROUP_NAMES)
    return [(_GROUP_NAMES.get(code, "Group not given"), groups[code]) for code in ordered]


def with_agreement_of(queryset, user):
    """Annotate `agreed_by_me` on a comment queryset: one EXISTS per row, no extra query."""
    if user is None or not user.is_authenticated:
        return queryset.annotate(agreed_by_me=Value(False, output_field=models.BooleanField()))
    mine = Agreement.objects.filter(comment=OuterRef("pk"), member=user)
    return queryset.annotate(agreed_by_me=Exists(mine))


def common_ground_comments(theme, user, region=None):
    """A theme's common-ground comments the reader may see, most agreed first; with a region,
    only those written by its members (the region as posted).

    Only published, undeleted comments in published discussions: a hidden comment keeps its
    figures but is not shown as common ground.
    """
    return (
        Comment.objects.visible_to(user)
        .readable()
        .written_in(region)
        .filter(is_common_ground=True, thread__theme=theme)
        .select_related("thread", "author")
        .order_by("-agree_count", "-common_ground_at", "-pk")
    )


def _locked(comment: Comment) -> Comment:
    """The comment's row, locked for this transaction, with what the permission rules read."""
    return (
        Comment.objects.select_for_update(of=("self",))
        .select_related("thread__theme")
        .get(pk=comment.pk)
    )


def _changes_for(locked: Comment, groups: dict[str, int], delta: int) -> tuple[dict, bool]:
    """The column updates for a new agreement (+1) or a withdrawn one (-1), and whether the
    comment has just become common ground for the first time."""
    changes = {"agree_count": F("agree_count") + delta, "agree_groups": groups}
    reached = len(groups_agreeing(groups)) >= COMMON_GROUND_GROUPS
    first_time = False
    if reached and not locked.is_common_ground:
        changes["is_common_ground"] = True
        if locked.common_ground_at is None:
            changes["common_ground_at"] = timezone.now()
            first_time = True
    elif not reached and locked.is_common_ground:
        changes["is_common_ground"] = False
    return changes, first_time


def _save_changes(comment: Comment, locked: Comment, changes: dict, delta: int) -> None:
    Comment.objects.filter(pk=locked.pk).update(**changes)
    events.agreement_changed.send(comment=locked)
    # Keep the caller's object in step, so the page it renders next shows the new figures.
    comment.agree_count = locked.agree_count + delta
    comment.agree_groups = changes["agree_groups"]
    comment.is_common_ground = changes.get("is_common_ground", locked.is_common_ground)
    comment.common_ground_at = changes.get("common_ground_at", locked.common_ground_at)
    comment.agreed_by_me = delta > 0


@transaction.atomic
def agree(*, comment: Comment, member) -> Agreement:
    """Record that `member` agrees with `comment` and update its figures.

    Raises PermissionDenied with a readable sentence when the rules say no (see
    `permissions.agree_refusal`). Agreeing twice changes nothing and returns the first agreement.
    """
    locked = _locked(comment)
    if reason := permissions.agree_refusal(member, locked):
        raise PermissionDenied(reason)
    existing = Agreement.objects.filter(comment=locked, member=member).first()
    if existing is not None:
        comment.agreed_by_me = True
        return existing
    group = member.stakeholder_group
    agreement = Agreement.objects.create(comment=locked, member=member, stakeholder_group=group)
    groups = dict(locked.agree_groups or {})
    groups[group] = groups.get(group, 0) + 1
    changes, first_time = _changes_for(locked, groups, +1)
    _save_changes(comment, locked, changes, +1)
    if first_time:
        events.common_ground_reached.send(comment_id=locked.pk)
    return agreement


@transaction.atomic
def withdraw_agreement(*, comment: Comment, member) -> bool:
    """Take back `member`'s agreement with `comment`. False when there was none to take back."""
    locked = _locked(comment)
    if reason := permissions.withdraw_agreement_refusal(member, locked):
        raise PermissionDenied(reason)
    agreement = Agreement.objects.filter(comment=locked, member=member).first()
    if agreement is None:
        comment.agreed_by_me = False
        return False
    agreement.delete()
    groups = dict(locked.agree_groups or {})
    remaining = groups.get(agreement.stakeholder_group, 0) - 1
    if remaining > 0:
        groups[agreement.stakeholder_group] = remaining
    else:
        groups.pop(agreement.stakeholder_group, None)
    changes, _first_time = _changes_for(locked, groups, -1)
    _save_changes(comment, locked, changes, -1)
    return True
