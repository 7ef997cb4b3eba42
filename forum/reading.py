"""What readers see of the discussion beside the texts: how far each member has read, the
figures shown beside each paragraph of a source text, and the themes a paragraph's discussion
can go in."""

from __future__ import annotations

from django.utils import timezone

from articles.models import Paragraph
from forum import events
from forum.models import ParagraphDiscussion, Theme, Thread, ThreadReadState


def mark_thread_read(*, user, thread: Thread, position: int) -> None:
    """Record that `user` has read `thread` up to `position` (never moves backwards).

    Uses the `last_read_position` annotation from `Thread.objects.with_read_state()` when the
    thread carries it: nothing to do when already read that far, a single INSERT the first time,
    a single UPDATE otherwise.
    """
    if user is None or not user.is_authenticated or position <= 0:
        return
    known = getattr(thread, "last_read_position", None)
    if known is not None and known >= position:
        return
    if known == 0:
        ThreadReadState.objects.bulk_create(
            [ThreadReadState(user=user, thread=thread, last_read_position=position)], ignore_conflicts=True
        )
    else:
        updated = ThreadReadState.objects.filter(
            user=user, thread=thread, last_read_position__lt=position
        ).update(last_read_position=position, updated_at=timezone.now())
        if not updated and known is None:
            ThreadReadState.objects.get_or_create(user=user, thread=thread, defaults={"last_read_position": position})
    thread.last_read_position = position
    events.reader_changed.send(reader_id=user.pk)


def paragraph_discussion_stats(article) -> dict[int, ParagraphDiscussion]:
    """Discussion figures per paragraph of `article`, keyed by paragraph id, in one query."""
    rows = ParagraphDiscussion.objects.filter(paragraph__section__article=article, thread_count__gt=0)
    return {row.paragraph_id: row for row in rows}


def with_discussion_stats(paragraphs):
    """Join each paragraph's discussion figures onto a paragraph queryset (no extra query)."""
    return paragraphs.select_related("forum_stats")


def discussion_stats_of(paragraphs) -> dict[int, ParagraphDiscussion]:
    """The figures already joined by `with_discussion_stats`, keyed by paragraph id; no query."""
    found = {}
    for paragraph in paragraphs:
        # Read the relation only when select_related loaded it, so this never runs a query.
        if not Paragraph.forum_stats.is_cached(paragraph):
            continue
        stats = getattr(paragraph, "forum_stats", None)
        if stats is not None and stats.thread_count:
            found[paragraph.pk] = stats
    return found


def themes_for_paragraph(paragraph) -> tuple[list[Theme], bool]:
    """Open themes a discussion of this paragraph can go in, and whether they draw on it.

    The themes that quote the paragraph (or its section) come first; when none of them is
    open, every open theme is offered.
    """
    drawing = list(Theme.objects.accepting_posts().drawing_on(paragraph).order_by("position", "title"))
    if drawing:
        return drawing, True
    return list(Theme.objects.accepting_posts().order_by("position", "title")), False
