"""What is checked before a post is saved, run once per post: the rate limits, the word filters and
whether a moderator must see it first (pre-moderation).

A form calls `screen()` from its `clean()`: a refusal (too many posts, a blocked word) goes beside
the text, which is kept; otherwise the screening carries the text to save (with the filters'
replacements made) and whether the filters asked for a review. Saving the post reads that answer
instead of running the filters again, and `count_on_commit()` counts the post against the rate
limits once its transaction commits, so a refused, previewed or rolled-back post costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction

from forum.models import Comment
from forum.posting import ratelimits
from forum.posting.filters import apply_filters
from forum.standing import is_facilitator, is_moderator


@dataclass
class Screening:
    """The outcome of the checks for one post."""

    body: str
    refusal: str | None = None
    needs_review: bool = False
    author: object = None
    limited: list[str] = field(default_factory=list)  # rate-limited actions this post counts against

    def count_on_commit(self) -> None:
        """Count the post against the rate limits once (and only if) its transaction commits."""
        for action in self.limited:
            transaction.on_commit(partial(ratelimits.record, self.author, action))


def _limited_actions(action: str | None) -> list[str]:
    """Starting a discussion also posts its opening comment, so it counts against both limits."""
    if action is None:
        return []
    return [action, ratelimits.COMMENT] if action == ratelimits.THREAD else [action]


def screen(author, body: str, *, action: str | None, previewing: bool = False) -> Screening:
    """Check `body` by `author` against the rate limits of `action` ("comment", "thread", or None
    for an edit) and the filters. A preview is filtered but not held to the rate limits."""
    limited = [] if previewing else _limited_actions(action)
    for name in limited:
        if reason := ratelimits.refusal(author, name):
            return Screening(body=body, refusal=reason, author=author)
    result = apply_filters(body, author)
    if not result.ok:
        return Screening(body=body, refusal=result.blocked, author=author)
    return Screening(body=result.body, needs_review=result.needs_review, author=author, limited=limited)


def needs_premoderation(*, author, body: str, needs_review: bool | None = None) -> bool:
    """Whether a new comment waits for a moderator before anyone else sees it.

    Yes for a member's first PREMODERATE_FIRST_COMMENTS comments (counting those that were
    published and not hidden), and for a comment the filters send for review (`needs_review`, as
    screened; the filters run here only when the post was not screened). Moderators and
    facilitators are never held.
    """
    if author is None or is_moderator(author) or is_facilitator(author):
        return False
    first = settings.PREMODERATE_FIRST_COMMENTS
    if first > 0:
        published = Comment.objects.filter(author=author, needs_approval=False, is_hidden=False).values("pk")[:first]
        if len(published) < first:
            return True
    if needs_review is None:
        needs_review = apply_filters(body, author).needs_review
    return needs_review
