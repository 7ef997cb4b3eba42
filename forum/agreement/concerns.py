"""Concerns as a sign of disagreement: a published reply tagged "Concern" counts for the named
group its writer posted for, and a comment one group agrees with and another group raises a
concern about is contested, as if that group had disagreed (forum.agreement.consensus).

`Comment.concern_groups` ({group: replies}) is counted again from the replies whenever one of them
may have changed: posted, edited, deleted, or acted on by a moderator (hidden, approved, moved).
Each recount is one aggregate query and one UPDATE under the comment's row lock.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count

from forum import events
from forum.agreement.consensus import NAMED_GROUPS, is_contested
from forum.models import Comment, Stance


@transaction.atomic
def recount_concerns(comment_id: int) -> None:
    """Count again the concern replies to a comment, by named group, and whether it is contested."""
    rows = (
        Comment.objects.readable().filter(parent_id=comment_id, stance=Stance.CONCERN, author_group__in=NAMED_GROUPS)
        .order_by().values("author_group").annotate(replies=Count("pk"))
    )
    groups = {row["author_group"]: row["replies"] for row in rows}
    locked = Comment.objects.select_for_update(of=("self",)).filter(pk=comment_id).first()
    if locked is None or (locked.concern_groups or {}) == groups:
        return
    contested = is_contested(locked.agree_groups, locked.disagree_groups, groups)
    Comment.objects.filter(pk=comment_id).update(concern_groups=groups, is_contested=contested)


def reply_changed(comment, **kwargs) -> None:
    """Handler of `comment_posted`, `comment_edited` and `comment_deleted`: a reply may have become,
    or stopped being, a concern about the comment it answers."""
    if comment.parent_id:
        recount_concerns(comment.parent_id)


def reply_moderated(target, action: str) -> None:
    """Handler of `moderated`: a hidden, approved or moved reply changes what its parent hears."""
    if isinstance(target, Comment) and target.parent_id:
        recount_concerns(target.parent_id)


def connect() -> None:
    for event in (events.comment_posted, events.comment_edited, events.comment_deleted):
        event.connect(reply_changed)
    events.moderated.connect(reply_moderated)
