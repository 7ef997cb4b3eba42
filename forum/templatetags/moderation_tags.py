"""Template side of the moderation rules (forum/moderation/rules.py) and the header's queue count.

Usage: `{% load moderation_tags %}{% if user|can_flag_comment:comment %}…{% endif %}`.
"""

from __future__ import annotations

from django import template
from django.db.models import Prefetch

from forum import permissions, standing
from forum.models import Commitment, ThemeResponse
from forum.models.viewer import known_moderator_status
from forum.moderation import rules
from forum.moderation.queue import header_queue_count

register = template.Library()


@register.filter
def can_flag_comment(user, comment) -> bool:
    return rules.can_flag_comment(user, comment)


@register.filter
def can_flag_thread(user, thread) -> bool:
    return rules.can_flag_thread(user, thread)


@register.filter
def can_moderate(user) -> bool:
    return rules.can_moderate(user)


@register.filter
def can_respond_to_theme(user) -> bool:
    return permissions.can_respond_to_theme(user)


@register.filter
def can_change_theme_status(user) -> bool:
    return rules.can_change_theme_status(user)


@register.simple_tag
def theme_responses(theme) -> list[ThemeResponse]:
    """A theme's official responses, newest first, each with its commitments and their updates
    (three queries, however many there are)."""
    commitments = Prefetch("commitments", queryset=Commitment.objects.with_updates())
    return list(ThemeResponse.objects.filter(theme=theme).prefetch_related(commitments))


@register.filter
def active_suspension(user):
    return standing.active_suspension(user)


@register.filter
def suspended_until(suspension) -> str:
    return standing.describe_until(suspension)


@register.simple_tag(takes_context=True)
def moderation_queue_count(context) -> int | None:
    """How many items wait in the review queue, for moderators only (usually no query: see
    `queue.header_queue_count`); None for everyone else. Whether the reader moderates comes from
    their standing (`forum.standing`, cached and dropped whenever it changes)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return None
    if known_moderator_status(user) is None:
        standing.load(user)  # pages that asked already (every forum page) answer for free
    if not rules.can_moderate(user):
        return None
    return header_queue_count(user)
