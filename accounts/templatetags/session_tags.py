"""Words for the "Where you are signed in" page (templates/usersessions/usersession_list.html)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from accounts.middleware import TRACK_INTERVAL_SECONDS

register = template.Library()


@register.filter
def last_active(seen_at: datetime | None, now: datetime | None = None) -> str:
    """When a session was last used, in words, as precisely as it is known.

    accounts.middleware records a session's activity at most every TRACK_INTERVAL_SECONDS, so the
    last use lies between `seen_at` and that long after it: a record newer than the interval
    reads "In the last 5 minutes", an older one "3 hours ago" (one unit, rounded down).
    """
    if seen_at is None:
        return "Not known"
    now = now or timezone.now()
    interval = timedelta(seconds=TRACK_INTERVAL_SECONDS)
    if now - seen_at < interval:
        return f"In the last {TRACK_INTERVAL_SECONDS // 60} minutes"
    return f"{timesince(seen_at, now, depth=1)} ago".capitalize()
