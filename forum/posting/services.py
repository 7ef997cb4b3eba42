"""Posting: starting a discussion, adding, editing and deleting comments. Each runs in one
transaction and says what it changes.

What other parts of the forum do in response (renewing cached pages, telling followers, sending an
edited comment for review) they do as handlers of the events sent here (`forum.events`); this
module calls only what is part of posting itself: the counters, the author's default follow level
and the search index.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from config.text import one_line
from forum import events
from forum.following.levels import follow_by_default
from forum.models import Comment, CommentRevision, Mention, ParagraphDiscussion, PostedAs, Theme, Thread
from forum.posting import counters
from forum.posting.quoting import extract_quote, without_quote
from forum.posting.screening import needs_premoderation
from forum.rendering import render_comment
from forum.search.indexing import index_comment, index_thread_title


def _author_fields(author) -> dict:
    return {"author": author, "author_name": author.public_name}


def _sync_mentions(comment: Comment) -> list[Mention]:
    """Make the Mention rows match the members the rendered body links to; return the new ones."""
    members = {member.pk: member for member in getattr(comment, "mentioned_members", [])}
    members.pop(comment.author_id, None)
    existing = set(comment.mentions.values_list("member_id", flat=True))
    comment.mentions.exclude(member_id__in=members.keys()).delete()
    created = [Mention(comment=comment, member=m) for pk, m in members.items() if pk not in existing]
    return Mention.objects.bulk_create(created)


def _held(author, body: str, needs_approval: bool | None, needs_review: bool | None) -> bool:
    """Whether the post waits for a moderator: as the caller says, else the pre-moderation rules."""
    if needs_approval is not None:
        return needs_approval
    return needs_premoderation(author=author, body=body, needs_review=needs_review)


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
    needs_review: bool | None = None,
    posted_as: str = PostedAs.MEMBER,
    _new_thread: bool = False,
) -> Comment:
    """Add a comment at the next position of `thread`, with its first revision and mentions.

    Locks the thread row to hand out the position. A comment waiting for approval takes its
    position but is left out of the public counters until a moderator approves it; when the
    caller does not say, the pre-moderation rules decide (with the filters' `needs_review` when
    the post was screened already).
    """
    needs_approval = _held(author, body, needs_approval, needs_review)
    locked = Thread.objects.select_for_update().get(pk=thread.pk)
    thread.last_position = locked.last_position + 1
    thread.participant_groups = locked.participant_groups
    thread.is_hidden, thread.needs_approval = locked.is_hidden, locked.needs_approval
    quoted_text = extract_quote(body) if quoted_comment is not None else ""
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
        author_group=author.stakeholder_group,  # the group as posted: the badge, downloads and search
        author_group_verified=author.affiliation_verified,
        author_region_id=author.region_id,  # the region as posted: theme pages, summary and downloads filter on it
        thread_theme_id=locked.theme_id,  # likewise
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
        counters.count_in(comment, new_thread=_new_thread)
    follow_by_default(author, thread, started=_new_thread)
    events.comment_posted.send(comment=comment, new_thread=_new_thread)
    if not needs_approval:
        events.comment_published.send(comment_id=comment.pk, opening=_new_thread)
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
    needs_review: bool | None = None,
) -> Thread:
    """Open a discussion in `theme` with its first comment, optionally anchored to a paragraph.

    The anchor copies the paragraph's key, text and link so the thread still shows what it
    discussed if the source text changes later.
    """
    needs_approval = _held(author, body, needs_approval, needs_review)
    now = timezone.now()
    thread = Thread(
        theme=theme,
        title=one_line(title),
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
    return thread


@transaction.atomic
def edit_comment(*, comment: Comment, editor, body: str, stance: str | None = None, reason: str = "") -> Comment:
    """Change a comment's text (and stance), keeping the new version as a revision (with the
    moderator's reason, when a moderator changed it)."""
    comment.body = body
    comment.edited_at = timezone.now()
    fields = ["body", "edited_at"]
    if stance is not None:
        comment.stance = stance
        fields.append("stance")
    if comment.quoted_comment_id:
        comment.quoted_text = extract_quote(body)
        if not comment.quoted_text:
            comment.quoted_comment = None
        fields += ["quoted_text", "quoted_comment"]
    comment.save(update_fields=fields)
    CommentRevision.objects.create(comment=comment, body=comment.body, body_html=comment.body_html, edited_by=editor,
                                   reason=reason)
    _sync_mentions(comment)
    index_comment(comment)
    events.comment_edited.send(comment=comment, editor=editor)
    return comment


def withdraw_quotes_of(source: Comment) -> None:
    """Quotes of `source` in other comments, in their text and every version of it, become a note
    that the quoted comment was removed: for a source hidden, deleted, redacted or erased. Call it
    in the transaction that takes the source's words away; the caller's event renews the pages."""
    quoting = Comment.objects.select_for_update().filter(quoted_comment=source, is_deleted=False)
    for comment in quoting.exclude(quoted_text=""):
        comment.quoted_text = ""
        rewrite_everywhere(comment, without_quote, also=["quoted_text"])


def rewrite_everywhere(comment: Comment, change, *, also=()) -> None:
    """Apply `change` (text to text) to the comment and to every version of it, each rendered
    again, then keep its mentions and search vector in step (saving `also` with the text)."""
    comment.body = change(comment.body)
    comment.save(update_fields=["body", *also])
    for revision in comment.revisions.all():
        revision.body = change(revision.body)
        revision.body_html = render_comment(revision.body)[0]
        revision.save(update_fields=["body", "body_html"])
    _sync_mentions(comment)
    index_comment(comment)


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
    withdraw_quotes_of(comment)
    if was_public:
        counters.shift_comment_count(comment, -1)
    events.comment_deleted.send(comment=comment)
    return comment
