"""Template side of forum/permissions.py, so templates ask the same questions as the views.

Usage: `{% load forum_tags %}{% if user|can_reply:comment %}…{% endif %}`.
"""

from __future__ import annotations

from html import unescape

from django import template
from django.utils.html import strip_tags
from django.utils.text import Truncator

from forum import permissions, standing
from forum.cache.rows import UNREAD_MARK, unread_link_html
from forum.cache.rows import first_unread_url as _first_unread_url
from forum.models import group_labels as _group_labels

register = template.Library()


@register.filter
def can_start_thread(user, theme) -> bool:
    return permissions.can_start_thread(user, theme)


@register.filter
def can_comment(user, thread) -> bool:
    return permissions.can_comment(user, thread)


@register.filter
def can_reply(user, comment) -> bool:
    return permissions.can_reply(user, comment)


@register.filter
def can_edit_comment(user, comment) -> bool:
    return permissions.can_edit_comment(user, comment)


@register.filter
def can_delete_comment(user, comment) -> bool:
    return permissions.can_delete_comment(user, comment)


@register.filter
def can_see_comment(user, comment) -> bool:
    return permissions.can_see_comment(user, comment)


@register.filter
def is_forum_moderator(user) -> bool:
    return standing.is_moderator(user)


@register.filter
def group_labels(codes) -> list[str]:
    return _group_labels(codes)


@register.filter
def short_quote(html: str, length: int = 140) -> str:
    """A one-line plain-text excerpt of stored comment HTML (for "in reply to")."""
    text = " ".join(unescape(strip_tags(html or "")).split())
    return Truncator(text).chars(length)


@register.filter
def first_unread_url(thread) -> str:
    """Where an "N unread" link goes: the first unread comment, or the start for a new thread."""
    return _first_unread_url(thread)


@register.simple_tag(takes_context=True)
def unread_link(context, thread) -> str:
    """A signed-in reader's "N unread" link under a discussion's title (nothing when all is read).
    Inside a row made for every reader (forum.cache.rows.thread_rows_html), a mark for their own."""
    if context.get("unread_mark"):
        return UNREAD_MARK
    return unread_link_html(thread)
