"""The `html_datetime` filter, a builtin of every template (config/settings.py TEMPLATES)."""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter(expects_localtime=True)
def html_datetime(value) -> str:
    """A date or time for `<time datetime="…">`: ISO 8601 to the second, with its offset.

    Django's `|date:'c'` writes microseconds, and HTML allows at most three digits of a fraction of a
    second (the Nu HTML Checker reports six as an error). Aware times are shown in the current time
    zone, as `|date` does; a plain date stays a date.
    """
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return ""
