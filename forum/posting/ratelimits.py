"""Rate limits on posting comments, starting discussions and reporting, stricter for new members.

Each limit is "at most N in a sliding window", kept per member in the Django cache (Redis in
production, so every worker sees the same count) under `forum:ratelimit:<action>:<user id>` as the
list of recent times. A refusal says exactly when to try again; forms put it beside the text, so
nothing typed is lost.

Limits are per member, not per IP address: many NHS staff reach the internet through a handful of
shared gateways, so an address-wide limit would stop whole trusts at once (allauth's sign-in
limits make the same choice). Posting needs a verified account, which is the scarce thing.

Moderators are not limited. The check and the record are separate: `refusal` when the form is
checked, `record` once the post is committed (`forum.posting.screening` queues it for after the
commit), so previews, refused forms and posts that were rolled back cost nothing. Two posts racing
past the check together can both succeed, which is acceptable for a limit of this kind.

Settings (see .env.example): FORUM_RATE_LIMITS maps each action, and each action + "_new", to
"N/period" such as "10/10m" (s, m, h, d). The "_new" limits hold a member who joined less than
NEW_MEMBER_DAYS days ago until they are *proven*: a post of theirs has been published (a
moderator approved their first post) or their group is verified. From then on the ordinary limits
apply, as Discourse lets a new user who is not a spammer open a few topics on their first day.
DISABLE_RATE_LIMITS=true switches them off (load tests).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from forum.models import Comment
from forum.standing import is_moderator

COMMENT = "comment"
THREAD = "thread"
FLAG = "flag"

ACTIONS = {
    COMMENT: ("post", "comment", "comments"),
    THREAD: ("start", "discussion", "discussions"),
    FLAG: ("send", "report", "reports"),
}

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    @property
    def period_words(self) -> str:
        return _duration_words(self.seconds)


@lru_cache(maxsize=64)
def parse_limit(spec: str) -> Limit:
    """'10/10m' -> at most 10 in 600 seconds. Raises ImproperlyConfigured for anything else."""
    match = _SPEC.match(spec or "")
    if not match:
        raise ImproperlyConfigured(f"A forum rate limit must look like '10/10m' (count/period), not {spec!r}.")
    count, multiple, unit = match.groups()
    seconds = int(multiple or 1) * _UNITS[unit]
    if int(count) < 1 or seconds < 1:
        raise ImproperlyConfigured(f"A forum rate limit needs a count and a period of at least 1, not {spec!r}.")
    return Limit(int(count), seconds)


def _duration_words(seconds: int) -> str:
    for size, word in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            number = seconds // size
            return f"{word}" if number == 1 else f"{number} {word}s"
    return f"{seconds} seconds"


def _wait_words(seconds: float) -> str:
    if seconds <= 60:
        return "1 minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"


def is_new_member(user) -> bool:
    """Joined less than NEW_MEMBER_DAYS days ago."""
    joined = getattr(user, "date_joined", None)
    return bool(joined and joined > timezone.now() - timedelta(days=settings.NEW_MEMBER_DAYS))


def is_proven(user) -> bool:
    """A published post (approved, not hidden) or a verified group: the stricter limits end."""
    if getattr(user, "affiliation_verified", False):
        return True
    if (known := getattr(user, "_forum_proven", None)) is not None:  # asked once per request
        return known
    user._forum_proven = Comment.objects.filter(author=user, needs_approval=False, is_hidden=False).exists()
    return user._forum_proven


def held_to_new_member_limits(user, action: str) -> bool:
    return f"{action}_new" in settings.FORUM_RATE_LIMITS and is_new_member(user) and not is_proven(user)


def limit_for(user, action: str) -> Limit:
    key = f"{action}_new" if held_to_new_member_limits(user, action) else action
    return parse_limit(settings.FORUM_RATE_LIMITS[key])


def _exempt(user) -> bool:
    return not settings.FORUM_RATE_LIMITS_ENABLED or is_moderator(user)


def _key(user, action: str) -> str:
    return f"forum:ratelimit:{action}:{user.pk}"


def _recent(user, action: str, limit: Limit, now: float) -> list[float]:
    times = cache.get(_key(user, action)) or []
    return [t for t in times if t > now - limit.seconds]


def retry_after(user, action: str) -> float | None:
    """Seconds until `user` may do `action` again, or None when they may do it now."""
    if user is None or not user.is_authenticated or _exempt(user):
        return None
    limit = limit_for(user, action)
    now = time.time()
    recent = _recent(user, action, limit, now)
    if len(recent) < limit.count:
        return None
    oldest_counted = sorted(recent)[-limit.count]
    return max(oldest_counted + limit.seconds - now, 1)


def refusal(user, action: str) -> str | None:
    """The sentence to show when `user` has reached the limit for `action`, or None."""
    wait = retry_after(user, action)
    if wait is None:
        return None
    stricter = held_to_new_member_limits(user, action)
    limit = limit_for(user, action)
    verb, singular, plural = ACTIONS[action]
    things = singular if limit.count == 1 else plural
    newcomer = " until a moderator has approved your first post" if stricter else ""
    return (
        f"You can {verb} {limit.count} {things} every {limit.period_words}{newcomer}. "
        f"Try again in {_wait_words(wait)}. What you wrote is kept below."
        if action != FLAG
        else f"You can {verb} {limit.count} {things} every {limit.period_words}{newcomer}. "
        f"Try again in {_wait_words(wait)}."
    )


def record(user, action: str) -> None:
    """Count one `action` by `user` (call once it has been committed)."""
    if user is None or not user.is_authenticated or _exempt(user):
        return
    limit = limit_for(user, action)
    now = time.time()
    recent = _recent(user, action, limit, now)
    recent.append(now)
    cache.set(_key(user, action), recent[-limit.count :], timeout=limit.seconds)
