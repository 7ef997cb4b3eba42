"""Every change to the forum's stored counters, in one place.

Themes, discussions and paragraphs carry their figures (public comment and discussion counts,
last activity, the stakeholder groups that took part) so list pages cost one query whatever their
size. Posting, deleting and every moderation action change them only through these functions,
with F() expressions inside the caller's transaction; `counter_check` proves they never drift.

- `count_in`: a comment became public (posted, or approved by a moderator).
- `shift_comment_count`: a public comment left or came back (hidden, shown, deleted).
- `recount_theme` / `recount_paragraph`: a whole discussion left, came back or moved.

Last activity never moves backwards: an approved comment written an hour ago leaves a discussion
that was active since as it was.
"""

from __future__ import annotations

from django.db.models import Count, DateTimeField, F, Max, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from forum.models import Comment, ParagraphDiscussion, Theme, Thread


def _add_group(groups: list[str], group: str) -> list[str] | None:
    """The group set with `group` added, or None when it was already there (nothing to save)."""
    if not group or group in groups:
        return None
    return sorted([*groups, group])


def _latest(moment):
    """The later of the stored last activity and `moment` (an empty one counts as `moment`)."""
    when = Value(moment, output_field=DateTimeField())
    return Greatest(Coalesce(F("last_activity_at"), when), when)


def count_in(comment: Comment, *, new_thread: bool = False) -> None:
    """Add a newly public comment to its thread's, theme's and paragraph's counters and groups.

    Called with the thread row locked (posting and approval both take it), so the group set cannot
    lose an update; the theme's and paragraph's group sets are only touched (under their own
    locks) when the thread gained a group, which is rare.
    """
    thread = comment.thread
    group = comment.author.stakeholder_group if comment.author else ""
    thread_groups = _add_group(thread.participant_groups, group)
    changes = {"comment_count": F("comment_count") + 1, "last_activity_at": _latest(comment.created_at)}
    thread_changes = dict(changes)
    if thread_groups is not None:
        thread_changes["participant_groups"] = thread.participant_groups = thread_groups
    Thread.objects.filter(pk=thread.pk).update(**thread_changes)
    if not thread.is_public:
        # A moderator's reply in a hidden discussion: the theme and paragraph figures count only
        # published discussions (they are recounted when the discussion is shown again).
        return
    if new_thread:
        changes["thread_count"] = F("thread_count") + 1
    theme_changes = dict(changes)
    if thread_groups is not None:
        theme = Theme.objects.select_for_update().only("participant_groups").get(pk=thread.theme_id)
        if (theme_groups := _add_group(theme.participant_groups, group)) is not None:
            theme_changes["participant_groups"] = theme_groups
    Theme.objects.filter(pk=thread.theme_id).update(**theme_changes)
    if thread.anchor_paragraph_id:
        if thread_groups is not None:
            stats, _created = ParagraphDiscussion.objects.select_for_update().get_or_create(
                paragraph_id=thread.anchor_paragraph_id
            )
            if (stats_groups := _add_group(stats.participant_groups, group)) is not None:
                changes["participant_groups"] = stats_groups
        ParagraphDiscussion.objects.filter(paragraph_id=thread.anchor_paragraph_id).update(**changes)


def shift_comment_count(comment: Comment, delta: int) -> None:
    """Add `delta` to the public comment counts of the comment's thread, and of its theme and
    paragraph when the thread itself is public."""
    thread = comment.thread
    Thread.objects.filter(pk=thread.pk).update(comment_count=F("comment_count") + delta)
    if thread.is_public:
        Theme.objects.filter(pk=thread.theme_id).update(comment_count=F("comment_count") + delta)
        if thread.anchor_paragraph_id:
            ParagraphDiscussion.objects.filter(paragraph_id=thread.anchor_paragraph_id).update(
                comment_count=F("comment_count") + delta
            )


def _recount(rows, threads) -> None:
    """Set the figures of `rows` (one theme or paragraph) from its public `threads`."""
    threads = threads.filter(is_hidden=False, needs_approval=False)
    totals = threads.aggregate(threads=Count("pk"), comments=Sum("comment_count"), last=Max("last_activity_at"))
    groups = set()
    for row in threads.values_list("participant_groups", flat=True):
        groups.update(row or [])
    rows.update(
        thread_count=totals["threads"] or 0,
        comment_count=totals["comments"] or 0,
        last_activity_at=totals["last"],
        participant_groups=sorted(groups),
    )


def recount_theme(theme_id: int) -> None:
    """Recompute a theme's figures from its public discussions."""
    _recount(Theme.objects.filter(pk=theme_id), Thread.objects.filter(theme_id=theme_id))


def recount_paragraph(paragraph_id: int | None) -> None:
    """Recompute a paragraph's figures from the public discussions anchored to it."""
    if paragraph_id:
        _recount(
            ParagraphDiscussion.objects.filter(paragraph_id=paragraph_id),
            Thread.objects.filter(anchor_paragraph_id=paragraph_id),
        )
