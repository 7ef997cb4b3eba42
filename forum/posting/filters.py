"""The moderators' word and pattern filters, and the new-member link limit, applied to a text.

Moderators keep the list (`forum.moderation.filters`); here it is read (cached until it changes)
and applied: a block refuses the text with a message, a replacement changes it, a review match
sends it to the queue. Moderators' and facilitators' texts pass unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from config import versions
from forum.models import FilterAction, WordFilter
from forum.posting.ratelimits import is_new_member
from forum.standing import is_facilitator, is_moderator

CACHE_KEY = "forum:word-filters"
_LINK = re.compile(r"(?i)\bhttps?://|\bwww\.[a-z0-9-]+\.")


@dataclass
class FilterResult:
    """What the filters make of a text: the text to save (with replacements made), a message when
    it may not be posted, and whether it must wait for a moderator."""

    body: str
    blocked: str | None = None
    needs_review: bool = False
    matched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.blocked is None


def compile_pattern(pattern: str, is_regex: bool) -> re.Pattern:
    """A filter as a case-insensitive regular expression; plain words match whole words only."""
    if is_regex:
        return re.compile(pattern, re.IGNORECASE)
    words = r"\s+".join(re.escape(word) for word in pattern.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def _filters() -> list[tuple[str, str, str, str, re.Pattern]]:
    """The filter list, compiled; cached until a moderator changes it (`forget`)."""
    cached = cache.get(CACHE_KEY)
    if cached is None:
        cached = list(WordFilter.objects.order_by("pk").values_list("pattern", "is_regex", "action", "replacement",
                                                                     "message"))
        cache.set(CACHE_KEY, cached, timeout=3600)
    compiled = []
    for pattern, is_regex, action, replacement, message in cached:
        try:
            compiled.append((pattern, action, replacement, message, compile_pattern(pattern, is_regex)))
        except re.error:
            continue  # refused when saved; an old bad row must not stop everyone posting
    return compiled


def forget() -> None:
    """The list changed: drop the cached copy (now, and again after the commit)."""
    versions.drop([CACHE_KEY])


def count_links(body: str) -> int:
    return len(_LINK.findall(body))


def apply_filters(body: str, author) -> FilterResult:
    """Run `body` through the moderators' filters and the new-member link limit.

    Blocks win over everything (the first matching block's message is shown); replacements are
    made in the returned body; any "review" match sends the comment to the queue.
    """
    result = FilterResult(body=body)
    if author is not None and (is_moderator(author) or is_facilitator(author)):
        return result
    for pattern, action, replacement, message, regex in _filters():
        if not regex.search(result.body):
            continue
        result.matched.append(pattern)
        if action == FilterAction.BLOCK and result.blocked is None:
            result.blocked = message or (
                f"Your comment contains “{regex.search(result.body).group(0)}”, which is not allowed here. "
                "Change it and post again."
            )
        elif action == FilterAction.REPLACE:
            result.body = regex.sub(replacement, result.body)
        elif action == FilterAction.REVIEW:
            result.needs_review = True
    limit = settings.NEW_MEMBER_MAX_LINKS
    if result.blocked is None and author is not None and is_new_member(author) and count_links(result.body) > limit:
        links = "link" if limit == 1 else "links"
        result.blocked = (
            f"New members can include up to {limit} {links} in a comment, for the first "
            f"{settings.NEW_MEMBER_DAYS} days. Remove some links and post again."
        )
    return result
