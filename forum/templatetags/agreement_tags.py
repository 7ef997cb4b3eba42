"""Template side of voting on comments and of downloads (rules in forum/permissions.py).

Usage: `{% load agreement_tags %}{% if user|can_agree:comment %}…{% endif %}`.
"""

from __future__ import annotations

from django import template

from forum import permissions
from forum.agreement.ranking import VoteSplit
from forum.agreement.ranking import vote_split as split_of
from forum.agreement.services import group_breakdown

register = template.Library()


@register.filter
def can_agree(user, comment) -> bool:
    return permissions.can_agree(user, comment)


@register.filter
def can_disagree(user, comment) -> bool:
    return permissions.can_disagree(user, comment)


@register.filter
def can_withdraw_agreement(user, comment) -> bool:
    return permissions.can_withdraw_agreement(user, comment)


@register.filter
def can_export(user) -> bool:
    return permissions.can_export(user)


@register.filter
def agree_breakdown(comment) -> list[tuple[str, int]]:
    """(group name, count) pairs for a comment's agreements, in the groups' declared order."""
    return group_breakdown(getattr(comment, "agree_groups", None))


@register.filter
def disagree_breakdown(comment) -> list[tuple[str, int]]:
    """(group name, count) pairs for a comment's disagreements, in the groups' declared order."""
    return group_breakdown(getattr(comment, "disagree_groups", None))


@register.filter
def vote_split(comment) -> VoteSplit:
    """A comment's votes by group, its agreeing groups verified and self-declared, and its chart."""
    return split_of(comment)
