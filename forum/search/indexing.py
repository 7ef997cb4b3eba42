"""Keeping comments findable: the stored search vectors, and the copies search filters on.

On PostgreSQL every comment and thread stores a `search_vector` (English configuration), kept up
to date by `index_comment` / `index_thread_title` / `index_thread`, which posting calls when it
saves text, and refilled in bulk by `manage.py rebuild_search_index`. A GIN index (created by a
PostgreSQL-only migration) makes matching fast. The opening comment of a discussion also carries
the discussion's title at weight A, above the text's weight B, so a title match ranks first and
shows up as that discussion's opening comment.

Each comment also keeps the group its writer spoke for when posting (set by posting, never
relabelled by a later change of group; emptied by `forget_group_of_erased` when the account is
erased) and a copy of its discussion's theme, so search filters on them inside the same index as
the words: `copy_theme_to_comments` (when a discussion moves) keeps the theme true, and
`check_counters` checks both.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Subquery, Value

from forum.models import Comment, Thread

CONFIG = "english"
REBUILD_BATCH = 2000


def full_text_available() -> bool:
    """True on PostgreSQL, where comments and threads carry a stored search vector."""
    return connection.vendor == "postgresql"


# Keeping the stored vectors up to date ------------------------------------------------------


def _body_vector():
    return SearchVector("body", weight="B", config=CONFIG)


def _title_vector(title):
    return SearchVector(title, weight="A", config=CONFIG)


def index_comment(comment: Comment) -> None:
    """Store the comment's vector (its text; the opening comment also its discussion's title).

    One UPDATE on PostgreSQL, called inside the transaction that saved the comment; nothing
    elsewhere.
    """
    if not full_text_available():
        return
    vector = _body_vector()
    if comment.position == 1:
        vector = _title_vector(Value(comment.thread.title)) + vector
    Comment.objects.filter(pk=comment.pk).update(search_vector=vector)


def index_thread_title(thread: Thread) -> None:
    """Store the thread's own title vector (used for the "discussions" part of the results)."""
    if not full_text_available():
        return
    Thread.objects.filter(pk=thread.pk).update(search_vector=_title_vector("title"))


def index_thread(thread: Thread) -> None:
    """After a title changes: the thread's vector and its opening comment's."""
    if not full_text_available():
        return
    index_thread_title(thread)
    Comment.objects.filter(thread=thread, position=1).update(
        search_vector=_title_vector(Value(thread.title)) + _body_vector()
    )


def reindex_comments(comments) -> int:
    """Refill the vectors of a queryset of comments (after text was changed in bulk)."""
    if not full_text_available():
        return 0
    title = Subquery(Thread.objects.filter(pk=OuterRef("thread_id")).values("title")[:1])
    opening = comments.filter(position=1).update(search_vector=_title_vector(title) + _body_vector())
    others = comments.exclude(position=1).update(search_vector=_body_vector())
    return opening + others


def rebuild_search_index(*, batch_size: int = REBUILD_BATCH, progress=None) -> tuple[int, int]:
    """Refill every stored vector, comments in batches of primary keys (one transaction each).

    Returns (threads, comments) updated; (0, 0) when full-text search is not available.
    """
    if not full_text_available():
        return 0, 0
    threads = Thread.objects.update(search_vector=_title_vector("title"))
    highest = Comment.objects.aggregate(highest=Max("pk"))["highest"] or 0
    done = 0
    for start in range(0, highest + 1, batch_size):
        with transaction.atomic():
            done += reindex_comments(Comment.objects.filter(pk__gte=start, pk__lt=start + batch_size))
        if progress is not None:
            progress(done)
    return threads, done


# Copies kept on each comment for search -----------------------------------------------------------


def forget_group_of_erased(member) -> int:
    """Empty the group and the region kept on an erased member's comments (one UPDATE)."""
    return (
        Comment.objects.filter(author=member)
        .exclude(author_group="", author_group_verified=False, author_region__isnull=True)
        .update(author_group="", author_group_verified=False, author_region=None)
    )


def copy_theme_to_comments(thread) -> int:
    """Give a discussion's comments its (new) theme, after it moved."""
    return Comment.objects.filter(thread=thread).exclude(thread_theme_id=thread.theme_id).update(
        thread_theme_id=thread.theme_id
    )


def member_profile_changed(sender, member, changed, **kwargs) -> None:
    """accounts' `member_profile_changed`: an erased member's comments no longer name a group or a
    region. A change of group or region is not copied: each comment keeps what it was posted with."""
    if "deleted_at" in changed and member.is_former_member:
        forget_group_of_erased(member)
