"""Template tags for following and notifications.

`{% load following_tags %}`, then:
- `{% follow_form theme %}` / `{% follow_form thread %}`: the follow form (one query for a member);
- `{% unread_notification_count as count %}`: the header badge's number (one COUNT query).
"""

from __future__ import annotations

from django import template

from forum.following.forms import follow_context
from forum.models import Theme
from forum.notifications.inbox import unread_count

register = template.Library()


@register.inclusion_tag("forum/following/includes/follow_form.html", takes_context=True)
def follow_form(context, target):
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    values = follow_context(user, theme=target) if isinstance(target, Theme) else follow_context(user, thread=target)
    values.update({"user": user, "request": request, "csrf_token": context.get("csrf_token")})
    return values


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    user = context.get("user")
    return unread_count(user)
