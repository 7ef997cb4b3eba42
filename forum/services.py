"""Forum workflows that touch several rows. Each runs in one transaction and says what it changes.

Counters on Theme and Thread change only here, with F() expressions. Nothing happens through
signals: a later feature (following, notifications) adds its call to these functions explicitly.
"""

from __future__ import annotations

import re
from html import unescape

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import strip_tags

from forum import caching, following, moderation, notifications
from forum.models import (
    Comment,
    CommentRevision,
    Mention,
    ParagraphDiscussion,
    PostedAs,
    Theme,
    Thread,
    ThreadReadState,
)
from forum.rendering import extract_mentions
from forum.search import index_comment, index_thread_title

__all__ = [
    "create_comment",
    "delete_comment",
    "discussion_stats_of",
    "edit_comment",
    "extract_mentions",
    "mark_thread_read",
    "paragraph_discussion_stats",
    "quote_as_markdown",
    "start_thread",
    "with_discussion_stats",
]

QUOTE_MAX_CHARS = 1_000


def _author_fields(author) -> dict:
    return {"author": author, "author_name": author.public_name}


def _add_group(groups: list[str], group: str) -> list[str] | None:
    """The group set with `group` added, or None when it was already there (nothing to save)."""
    if not group or group in groups:
        return None
    return sorted([*groups, group])


def _sync_mentions(comment: Comment) -> list[Mention]:
    """Make the Mention rows match the members the rendered body links to; return the new ones."""
    members = {member.pk: member for member in getattr(comment, "mentioned_members", [])}
    members.pop(comment.author_id, None)
    existing = set(comment.mentions.values_list("member_id", flat=True))
    comment.mentions.exclude(member_id__in=members.keys()).delete()
    created = [Mention(comment=comment, member=m) for pk, m in members.items() if pk not in existing]
    return Mention.objects.bulk_create(created)


def _count_in(comment: Comment, *, new_thread: bool = False) -> None:
    """Add a newly public comment to its thread's and theme's counters and group sets.

    Called with the thread row locked (see `create_comment`), so the group set cannot lose an
    update; the theme's group set is only touched (under its own lock) when the thread gained a
    group, which is rare.
    """
    thread = comment.thread
    now = comment.created_at
    group = comment.author.stakeholder_group if comment.author else ""
    thread_groups = _add_group(thread.participant_groups, group)
    thread_changes = {"comment_count": F("comment_count") + 1, "last_activity_at": now}
    if thread_groups is not None:
        thread_changes["participant_groups"] = thread_groups
        thread.participant_groups = thread_groups
    Thread.objects.filter(pk=thread.pk).update(**thread_changes)
    if not thread.is_public:
        # A moderator's reply in a hidden discussion: the theme and paragraph figures count only
        # published discussions (moderation recounts them when the discussion is shown again).
        return

    theme_changes = {"comment_count": F("comment_count") + 1, "last_activity_at": now}
    if new_thread:
        theme_changes["thread_count"] = F("thread_count") + 1
    if thread_groups is not None:
        theme = Theme.objects.select_for_update().only("participant_groups").get(pk=thread.theme_id)
        theme_groups = _add_group(theme.participant_groups, group)
        if theme_groups is not None:
            theme_changes["participant_groups"] = theme_groups
    Theme.objects.filter(pk=thread.theme_id).update(**theme_changes)

    if thread.anchor_paragraph_id:
        stats_changes = {"comment_count": F("comment_count") + 1, "last_activity_at": now}
        if new_thread:
            stats_changes["thread_count"] = F("thread_count") + 1
        if thread_groups is not None:
            stats, _created = ParagraphDiscussion.objects.select_for_update().get_or_create(
                paragraph_id=thread.anchor_paragraph_id
            )
            if (stats_groups := _add_group(stats.participant_groups, group)) is not None:
                stats_changes["participant_groups"] = stats_groups
        ParagraphDiscussion.objects.filter(paragraph_id=thread.anchor_paragraph_id).update(**stats_changes)


def _extract_quote(body: str) -> str:
    """The text of the first Markdown blockquote in `body` (how a quoted passage is recorded)."""
    lines: list[str] = []
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            lines.append(re.sub(r"^\s*>\s?", "", line))
        elif lines:
            break
    quote = "\n".join(lines).strip()
    # The attribution line the quote link adds is not part of the quoted passage.
    quote = re.sub(r'^@"[^"\n]*" wrote:\s*', "", quote)
    return quote[:QUOTE_MAX_CHARS]


def quoted_part(comment: Comment, part: str) -> str | None:
    """`part` when it is words of the comment as readers see it (its text without markup, spaces
    evened out), else None: a quote link may carry the words a member selected."""
    part = " ".join((part or "").split())[:QUOTE_MAX_CHARS]
    if len(part) < 2:
        return None
    html = _BLOCK_END.sub(" ", comment.body_html or "")  # paragraphs and items read apart
    shown = " ".join(unescape(strip_tags(html)).split())
    return part if part in shown else None


_BLOCK_END = re.compile(r"</(?:p|li|blockquote|h[1-6]|pre|td|th)>|<br\s*/?>", re.IGNORECASE)


def quote_as_markdown(comment: Comment, passage: str | None = None) -> str:
    """The Markdown blockquote a quote link puts in the reply form, attributed with a mention."""
    text = (passage or comment.body).strip()[:QUOTE_MAX_CHARS]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())
    return f'> @"{comment.author_name}" wrote:\n>\n{quoted}\n\n'


@transaction.atomic
def create_comment(
    *,
    thread: Thread,
    author,
    body: str,
    parent: Comment | None = None,
    quoted_comment: Comment | None = None,
    stance: str = "",
    needs_approval: bool | None = None,
    posted_as: str = PostedAs.MEMBER,
    _new_thread: bool = False,
) -> Comment:
    """Add a comment at the next position of `thread`, with its first revision and mentions.

    Locks the thread row to hand out the position. A comment waiting for approval takes its
    position but is left out of the public counters until a moderator approves it; when the
    caller does not say, the moderation rules decide (`moderation.needs_premoderation`).
    """
    if needs_approval is None:
        needs_approval = moderation.needs_premoderation(author=author, body=body)
    locked = Thread.objects.select_for_update().get(pk=thread.pk)
    thread.last_position = locked.last_position + 1
    thread.participant_groups = locked.participant_groups
    thread.is_hidden, thread.needs_approval = locked.is_hidden, locked.needs_approval
    quoted_text = _extract_quote(body) if quoted_comment is not None else ""
    if quoted_comment is not None and not quoted_text:
        quoted_comment = None  # the member removed the quote before posting
    comment = Comment(
        thread=thread,
        position=thread.last_position,
        body=body,
        parent=parent,
        quoted_comment=quoted_comment,
        quoted_text=quoted_text,
        stance=stance,
        needs_approval=needs_approval,
        posted_as=posted_as,
        author_group=author.stakeholder_group,  # search filters on it (kept in sync by accounts)
        thread_theme_id=locked.theme_id,  # likewise (kept in sync by moderation.move_thread)
        **_author_fields(author),
    )
    comment.save()
    CommentRevision.objects.create(
        comment=comment, body=comment.body, body_html=comment.body_html, edited_by=author, created_at=comment.created_at
    )
    _sync_mentions(comment)
    index_comment(comment)  # stored search vector (PostgreSQL only)
    Thread.objects.filter(pk=thread.pk).update(last_position=thread.last_position)
    if not needs_approval:
        _count_in(comment, new_thread=_new_thread)
    following.follow_by_default(author, thread, started=_new_thread)
    if not needs_approval and not _new_thread:
        notifications.on_comment_published(comment)  # queued for after commit
    caching.bump(thread=thread)  # cached pages of the thread and its theme are out of date
    return comment


@transaction.atomic
def start_thread(
    *,
    theme: Theme,
    author,
    title: str,
    body: str,
    stance: str = "",
    paragraph=None,
    needs_approval: bool | None = None,
) -> Thread:
    """Open a discussion in `theme` with its first comment, optionally anchored to a paragraph.

    The anchor copies the paragraph's key, text and link so the thread still shows what it
    discussed if the source text changes later.
    """
    if needs_approval is None:
        needs_approval = moderation.needs_premoderation(author=author, body=body)
    now = timezone.now()
    thread = Thread(
        theme=theme,
        title=title.strip(),
        created_at=now,
        last_activity_at=now,
        needs_approval=needs_approval,
        **_author_fields(author),
    )
    if paragraph is not None:
        article = paragraph.section.article
        thread.anchor_paragraph = paragraph
        thread.anchor_key = paragraph.key
        thread.anchor_text = paragraph.text
        thread.anchor_source = article.title
        thread.anchor_url = paragraph.get_absolute_url()
    thread.save()
    index_thread_title(thread)
    if paragraph is not None:
        ParagraphDiscussion.objects.get_or_create(paragraph=paragraph)
    create_comment(
        thread=thread, author=author, body=body, stance=stance, needs_approval=needs_approval, _new_thread=True
    )
    if not needs_approval:
        notifications.on_thread_published(thread)  # queued for after commit; covers the opening comment
    return thread


@transaction.atomic
def edit_comment(*, comment: Comment, editor, body: str, stance: str | None = None) -> Comment:
    """Change a comment's text (and stance), keeping the new version as a revision."""
    now = timezone.now()
    comment.body = body
    comment.edited_at = now
    fields = ["body", "edited_at"]
    if stance is not None:
        comment.stance = stance
        fields.append("stance")
    if comment.quoted_comment_id:
        comment.quoted_text = _extract_quote(body)
        if not comment.quoted_text:
            comment.quoted_comment = None
        fields += ["quoted_text", "quoted_comment"]
    comment.save(update_fields=fields)
    CommentRevision.objects.create(comment=comment, body=comment.body, body_html=comment.body_html, edited_by=editor)
    _sync_mentions(comment)
    index_comment(comment)
    moderation.review_after_edit(comment=comment, editor=editor)
    caching.bump(thread=comment.thread)
    return comment


@transaction.atomic
def delete_comment(*, comment: Comment, deleted_by) -> Comment:
    """Withdraw a comment: its text and revisions go, a placeholder keeps its place for replies."""
    was_public = comment.is_public and not comment.is_deleted
    comment.is_deleted = True
    comment.deleted_at = timezone.now()
    comment.body = ""
    comment.quoted_text = ""
    comment.stance = ""
    comment.save(update_fields=["is_deleted", "deleted_at", "body", "quoted_text", "stance"])
    index_comment(comment)  # the deleted text must not be findable
    comment.revisions.all().delete()
    comment.mentions.all().delete()
    if was_public:
        Thread.objects.filter(pk=comment.thread_id).update(comment_count=F("comment_count") - 1)
        Theme.objects.filter(pk=comment.thread.theme_id).update(comment_count=F("comment_count") - 1)
        if comment.thread.anchor_paragraph_id:
            ParagraphDiscussion.objects.filter(paragraph_id=comment.thread.anchor_paragraph_id).update(
                comment_count=F("comment_count") - 1
            )
    caching.bump(thread=comment.thread)
    return comment


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


def paragraph_discussion_stats(article) -> dict[int, ParagraphDiscussion]:
    """Discussion figures per paragraph of `article`, keyed by paragraph id, in one query."""
    rows = ParagraphDiscussion.objects.filter(paragraph__section__article=article, thread_count__gt=0)
    return {row.paragraph_id: row for row in rows}


def with_discussion_stats(paragraphs):
    """Join each paragraph's discussion figures onto a paragraph queryset (no extra query)."""
    return paragraphs.select_related("forum_stats")


def discussion_stats_of(paragraphs) -> dict[int, ParagraphDiscussion]:
    """The figures already joined by `with_discussion_stats`, keyed by paragraph id; no query."""
    from articles.models import Paragraph

    found = {}
    for paragraph in paragraphs:
        # Read the relation only when select_related loaded it, so this never runs a query.
        if not Paragraph.forum_stats.is_cached(paragraph):
            continue
        stats = getattr(paragraph, "forum_stats", None)
        if stats is not None and stats.thread_count:
            found[paragraph.pk] = stats
    return found
