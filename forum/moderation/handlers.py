"""Moderation's handlers of the forum's events (`connect()` is called by ForumConfig.ready)."""

from __future__ import annotations

from forum import events
from forum.moderation.reports import review_after_edit


def comment_edited(comment, editor) -> None:
    """An author's edit that trips a "send to review" filter goes to the queue, in the edit's
    own transaction."""
    review_after_edit(comment=comment, editor=editor)


def connect() -> None:
    events.comment_edited.connect(comment_edited)
