"""Members voting on a comment (agree or disagree), counted by stakeholder group.

A comment carries its own figures so a page of comments shows them without a query per comment:
`agree_count`, `agree_groups` {group code: count}, `agree_groups_verified` (the agrees of members
whose group was verified when they voted), `disagree_count`, `disagree_groups`, `consensus`,
`is_common_ground`, `is_contested` and `common_ground_at`. They change only here, inside a
transaction that holds the comment's row lock, so two members voting at the same moment cannot lose
an update. The arithmetic (named groups, consensus, common ground, contested) is in `consensus`.

Each vote copies the member's stakeholder group and whether it was verified when it is cast.
Changing or withdrawing a vote takes away exactly what was added, even if the member has changed
group since, so the breakdowns always add up to the counts.

A comment is common ground while members of at least `COMMON_GROUND_GROUPS` named groups agree with
it. The first time that happens the event `common_ground_reached` is sent (its author is told once
the transaction commits); a comment that drops below and climbs back is marked again but not
announced again: `common_ground_at` keeps the first moment. Every change sends `agreement_changed`
(the cached pages showing the figures are renewed, the planning map counts its groups again).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import StakeholderGroup
from forum import events, permissions
from forum.agreement.consensus import COMMON_GROUND_GROUPS, consensus, is_common_ground, is_contested
from forum.models import Agreement, Comment, VoteValue

_GROUP_NAMES = dict(StakeholderGroup.choices)
_GROUP_ORDER = [code for code, _label in StakeholderGroup.choices]
_FIGURES = ("agree_groups", "agree_groups_verified", "disagree_groups")

__all__ = [
    "COMMON_GROUND_GROUPS",
    "agree",
    "group_breakdown",
    "vote",
    "with_agreement_of",
    "withdraw_agreement",
    "withdraw_vote",
]


def group_breakdown(agree_groups: dict | None) -> list[tuple[str, int]]:
    """(group name, count) pairs in the order the groups are declared, leaving out zeros."""
    groups = {code: count for code, count in (agree_groups or {}).items() if count > 0}
    ordered = [code for code in _GROUP_ORDER if code in groups]
    ordered += sorted(code for code in groups if code not in _GROUP_NAMES)
    return [(_GROUP_NAMES.get(code, "Group not given"), groups[code]) for code in ordered]


def with_agreement_of(queryset, user):
    """Annotate `my_vote` on a comment queryset: the reader's vote (1, -1) or 0, one subquery per
    row, no extra query."""
    if user is None or not user.is_authenticated:
        return queryset.annotate(my_vote=Value(0, output_field=models.SmallIntegerField()))
    mine = Agreement.objects.filter(comment=OuterRef("pk"), member=user).values("vote")[:1]
    return queryset.annotate(my_vote=Coalesce(Subquery(mine), 0, output_field=models.SmallIntegerField()))


def _locked(comment: Comment) -> Comment:
    """The comment's row, locked for this transaction, with what the permission rules read."""
    return (
        Comment.objects.select_for_update(of=("self",))
        .select_related("thread__theme")
        .get(pk=comment.pk)
    )


def _count(figures: dict, name: str, group: str, delta: int) -> None:
    counts = figures[name]
    remaining = counts.get(group, 0) + delta
    if remaining > 0:
        counts[group] = remaining
    else:
        counts.pop(group, None)


def _apply(figures: dict, ballot: Agreement, delta: int) -> None:
    """Add (+1) or take away (-1) one vote in the breakdowns, under the group it was cast with."""
    if ballot.vote == VoteValue.AGREE:
        _count(figures, "agree_groups", ballot.stakeholder_group, delta)
        if ballot.group_verified:
            _count(figures, "agree_groups_verified", ballot.stakeholder_group, delta)
    else:
        _count(figures, "disagree_groups", ballot.stakeholder_group, delta)


def _changes_for(locked: Comment, figures: dict, agree_delta: int, disagree_delta: int) -> tuple[dict, bool]:
    """The column updates for the new breakdowns, and whether the comment has just become common
    ground for the first time."""
    changes = {
        **figures,
        "agree_count": F("agree_count") + agree_delta,
        "disagree_count": F("disagree_count") + disagree_delta,
        "consensus": consensus(figures["agree_groups"], figures["disagree_groups"]),
        "is_contested": is_contested(figures["agree_groups"], figures["disagree_groups"], locked.concern_groups),
        "is_common_ground": is_common_ground(figures["agree_groups"]),
    }
    first_time = changes["is_common_ground"] and locked.common_ground_at is None
    if first_time:
        changes["common_ground_at"] = timezone.now()
    return changes, first_time


def _save_changes(comment: Comment, locked: Comment, changes: dict, deltas: tuple[int, int], my_vote: int) -> None:
    Comment.objects.filter(pk=locked.pk).update(**changes)
    events.agreement_changed.send(comment=locked)
    # Keep the caller's object in step, so the page it renders next shows the new figures.
    comment.agree_count = locked.agree_count + deltas[0]
    comment.disagree_count = locked.disagree_count + deltas[1]
    for name in (*_FIGURES, "consensus", "is_contested", "is_common_ground"):
        setattr(comment, name, changes[name])
    comment.common_ground_at = changes.get("common_ground_at", locked.common_ground_at)
    comment.my_vote = my_vote


def _deltas(value: int, sign: int) -> tuple[int, int]:
    """(agree, disagree) count changes for adding (+1) or taking away (-1) one vote of `value`."""
    return (sign, 0) if value == VoteValue.AGREE else (0, sign)


@transaction.atomic
def vote(*, comment: Comment, member, value: int) -> Agreement:
    """Record `member`'s vote on `comment` (VoteValue.AGREE or DISAGREE) and update its figures.

    Raises PermissionDenied with a readable sentence when the rules say no (see
    `permissions.vote_refusal`). Voting the same way again changes nothing and returns the first
    vote; voting the other way replaces it, moving the member from one side to the other at once.
    """
    value = VoteValue(value)
    locked = _locked(comment)
    if reason := permissions.vote_refusal(member, locked, value):
        raise PermissionDenied(reason)
    ballot = Agreement.objects.filter(comment=locked, member=member).first()
    if ballot is not None and ballot.vote == value:
        comment.my_vote = value
        return ballot
    figures = {name: dict(getattr(locked, name) or {}) for name in _FIGURES}
    agree_delta, disagree_delta = _deltas(value, +1)
    if ballot is None:
        ballot = Agreement(comment=locked, member=member)
    else:
        _apply(figures, ballot, -1)
        undo = _deltas(ballot.vote, -1)
        agree_delta, disagree_delta = agree_delta + undo[0], disagree_delta + undo[1]
    ballot.vote = value
    ballot.stakeholder_group = member.stakeholder_group
    ballot.group_verified = member.has_verified_group
    ballot.created_at = timezone.now()
    ballot.save()
    events.reader_changed.send(reader_id=member.pk)
    _apply(figures, ballot, +1)
    changes, first_time = _changes_for(locked, figures, agree_delta, disagree_delta)
    _save_changes(comment, locked, changes, (agree_delta, disagree_delta), value)
    if first_time:
        events.common_ground_reached.send(comment_id=locked.pk)
    return ballot


@transaction.atomic
def withdraw_vote(*, comment: Comment, member) -> bool:
    """Take back `member`'s vote on `comment`, whichever way. False when there was none."""
    locked = _locked(comment)
    if reason := permissions.withdraw_agreement_refusal(member, locked):
        raise PermissionDenied(reason)
    ballot = Agreement.objects.filter(comment=locked, member=member).first()
    if ballot is None:
        comment.my_vote = 0
        return False
    ballot.delete()
    events.reader_changed.send(reader_id=member.pk)
    figures = {name: dict(getattr(locked, name) or {}) for name in _FIGURES}
    _apply(figures, ballot, -1)
    deltas = _deltas(ballot.vote, -1)
    changes, _first_time = _changes_for(locked, figures, *deltas)
    _save_changes(comment, locked, changes, deltas, 0)
    return True


def agree(*, comment: Comment, member) -> Agreement:
    """Vote to agree (the planning map's "we see this too" too)."""
    return vote(comment=comment, member=member, value=VoteValue.AGREE)


def withdraw_agreement(*, comment: Comment, member) -> bool:
    """Take back the member's vote (kept under its first name for the planning map)."""
    return withdraw_vote(comment=comment, member=member)
