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


HEADER_ROLE_SECONDS = 60


def _moderates_for_header(user) -> bool:
    """Whether to show the queue link. Pages that already asked (every forum page) answer for
    free; elsewhere the answer is kept in the cache for a minute, so ordinary pages cost members
    no query. The queue itself always checks the permission afresh."""
    from django.core.cache import cache

    from forum.permissions import known_moderator_status

    known = known_moderator_status(user)
    if known is not None:
        return known
    key = f"forum:header-moderator:{user.pk}"
    cached = cache.get(key)
    if cached is None:
        cached = rules.can_moderate(user)
        cache.set(key, cached, HEADER_ROLE_SECONDS)
    return cached


@register.simple_tag(takes_context=True)
def moderation_queue_count(context) -> int | None:
    """How many items wait in the review queue, for moderators only (at most one query, usually
    none: see `moderation.header_queue_count`); None for everyone else."""
    user = context.get("user")
    if user is None or not user.is_authenticated or not _moderates_for_header(user):
        return None
    from forum.moderation import header_queue_count

    return header_queue_count()
