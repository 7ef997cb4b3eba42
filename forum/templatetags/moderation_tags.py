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
    """How many items wait in the review queue, for moderators only (one query); None otherwise."""
    user = context.get("user")
    if not rules.can_moderate(user):
        return None
    from forum.moderation import queue_count

    return queue_count()
