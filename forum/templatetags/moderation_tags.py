"""Template side of the moderation rules (forum/moderation_permissions.py, via forum.permissions).

Usage: `{% load moderation_tags %}{% if user|can_flag_comment:comment %}…{% endif %}`.
"""

from __future__ import annotations

from django import template

from forum import moderation_permissions as rules

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
    return rules.can_respond_to_theme(user)


@register.filter
def can_change_theme_status(user) -> bool:
    return rules.can_change_theme_status(user)


@register.filter
def active_suspension(user):
    return rules.active_suspension(user)


@register.filter
def suspended_until(suspension) -> str:
    return rules.describe_until(suspension)


@register.simple_tag(takes_context=True)
def moderation_queue_count(context) -> int | None:
    """How many items wait in the review queue, for moderators only (usually no query: see
    `moderation.header_queue_count`); None for everyone else. Whether the reader moderates comes
    from their standing (`forum.standing`, cached and dropped whenever it changes)."""
    from forum import standing
    from forum.moderation import header_queue_count
    from forum.permissions import known_moderator_status

    user = context.get("user")
    if user is None or not user.is_authenticated:
        return None
    if known_moderator_status(user) is None:
        standing.load(user)  # pages that asked already (every forum page) answer for free
    if not rules.can_moderate(user):
        return None
    return header_queue_count()
