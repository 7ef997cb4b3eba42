"""The forum's side of a member's privacy rights: what to export, what to erase, what to show.

accounts calls these; the forum never reaches into accounts' own data.

- `export_member_data(user) -> dict`: everything the forum holds that the member wrote or that is
  about their reading: threads, comments with every revision, read positions, drafts, reports
  and appeals (with what they wrote in them), follows and notifications. JSON-ready.
- `erase_member_data(user, *, remove_text) -> None`: anonymise what the member wrote. Posts
  stay where they are, attributed to "Former member", so discussions still read in order.
  With `remove_text`, the text of every comment is replaced by a short notice and its revision
  history is purged, and quotes of it in others' comments give way to a note. Either way: read
  positions, drafts and the member's words in reports and appeals are removed, and others'
  mentions of the member (quote attributions included) become "Former member".
- `public_activity(member, *, viewer) -> dict`: the post count and recent comments a public
  profile shows, in two queries.

The contract these follow is written in accounts/member_data.py.
"""

from __future__ import annotations

from functools import partial
from html import unescape

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.html import strip_tags
from django.utils.text import Truncator

from forum import events
from forum.coding.services import forget_coder
from forum.models import (
    ERASED_PLACEHOLDER,
    FORMER_MEMBER,
    Comment,
    CommentRevision,
    Draft,
    MapEntry,
    MapLink,
    Mention,
    Thread,
    ThreadReadState,
)
from forum.moderation import privacy as moderation_data
from forum.notifications import privacy as notifications_data
from forum.posting import services
from forum.rendering import rename_mentions
from forum.search.indexing import reindex_comments

RECENT_POSTS = 10


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_member_data(user) -> dict:
    """Everything the forum stores that this member wrote, and how far they have read."""
    threads = Thread.objects.filter(author=user).select_related("theme").order_by("created_at", "pk")
    revisions = CommentRevision.objects.order_by("created_at", "pk")
    comments = (
        Comment.objects.filter(author=user)
        .select_related("thread")
        .prefetch_related(Prefetch("revisions", queryset=revisions))
        .order_by("created_at", "pk")
    )
    read_states = ThreadReadState.objects.filter(user=user).select_related("thread").order_by("thread_id")
    return {
        "threads": [
            {
                "id": thread.pk,
                "title": thread.title,
                "theme": thread.theme.title,
                "url": thread.get_absolute_url(),
                "created_at": _iso(thread.created_at),
                "about_paragraph": thread.anchor_text or None,
            }
            for thread in threads
        ],
        "comments": [
            {
                "id": comment.pk,
                "thread_id": comment.thread_id,
                "thread_title": comment.thread.title,
                "position": comment.position,
                "url": comment.get_absolute_url(),
                "created_at": _iso(comment.created_at),
                "edited_at": _iso(comment.edited_at),
                "deleted": comment.is_deleted,
                "hidden_by_moderator": comment.is_hidden,
                "waiting_for_moderator": comment.needs_approval,
                "stance": comment.stance or None,
                "body": comment.body,
                "revisions": [
                    {"created_at": _iso(revision.created_at), "body": revision.body,
                     "withheld_by_moderators": revision.is_withheld}
                    for revision in comment.revisions.all()
                ],
            }
            for comment in comments
        ],
        "read_states": [
            {
                "thread_id": state.thread_id,
                "thread_title": state.thread.title,
                "last_read_position": state.last_read_position,
                "updated_at": _iso(state.updated_at),
            }
            for state in read_states
        ],
        "drafts": [
            {"form": draft.context, "title": draft.title or None, "body": draft.body,
             "saved_at": _iso(draft.updated_at)}
            for draft in Draft.objects.filter(user=user).order_by("updated_at", "pk")
        ],
        "needs_and_offers": [
            {"id": entry.pk, "kind": entry.kind, "thread_id": entry.thread_id, "title": entry.thread.title,
             "stage": entry.stage.title, "support": entry.support, "region_code": entry.region.code,
             "url": entry.get_absolute_url(), "created_at": _iso(entry.created_at)}
            for entry in MapEntry.objects.filter(thread__author=user).select_related("thread", "stage", "region")
            .order_by("created_at", "pk")
        ],
        "map_links_made": [
            {"need_id": link.need_id, "offer_id": link.offer_id, "created_at": _iso(link.created_at)}
            for link in MapLink.objects.filter(linked_by=user).order_by("created_at", "pk")
        ],
        **notifications_data.member_export(user),  # follows, notifications and email settings
        **moderation_data.member_export(user),  # reports and appeals, with what the member wrote
    }


@transaction.atomic
def erase_member_data(user, *, remove_text: bool) -> None:
    """Attribute the member's posts to "Former member"; with `remove_text`, remove their words too.

    Thread titles stay (they are how a discussion is found); counters and the stakeholder groups
    recorded on threads stay too, because every post keeps its place.
    """
    comments = Comment.objects.filter(author=user)
    comment_ids = list(comments.values_list("pk", flat=True))
    if remove_text:
        for comment in comments.exclude(is_deleted=True):
            comment.body = ERASED_PLACEHOLDER
            comment.quoted_text = ""
            comment.save(update_fields=["body", "quoted_text"])
            services.withdraw_quotes_of(comment)
        CommentRevision.objects.filter(comment_id__in=comment_ids).delete()[0]
        Mention.objects.filter(comment_id__in=comment_ids).delete()
        reindex_comments(Comment.objects.filter(pk__in=comment_ids))  # erased words must not stay findable
    else:
        CommentRevision.objects.filter(comment_id__in=comment_ids).update(edited_by=None)
    # The author link stays (accounts keeps the emptied row so nothing cascades); the copied name
    # is what pages print, so it changes here.
    Comment.objects.filter(pk__in=comment_ids).update(author_name=FORMER_MEMBER)
    Thread.objects.filter(author=user).update(author_name=FORMER_MEMBER)
    CommentRevision.objects.filter(edited_by=user).update(edited_by=None)
    _unname_in_others_comments(user)
    ThreadReadState.objects.filter(user=user).delete()
    MapLink.objects.filter(linked_by=user).update(linked_by=None)  # the links stay, without who made them
    forget_coder(user, name=FORMER_MEMBER)  # codes a facilitator applied stay, applied by "Former member"
    Draft.objects.filter(user=user).delete()
    notifications_data.member_erase(user)
    moderation_data.member_erase(user)
    Mention.objects.filter(member=user).delete()
    events.forum_changed.send(reason="account erased")  # the member's name and words leave every cached page now


def _unname_in_others_comments(user) -> None:
    """Others' mentions of the member, and the attributions of their quotes of the member, become
    "Former member" in every version of those comments (the profile they linked to is gone)."""
    mentioning = Comment.objects.filter(Q(mentions__member=user) | Q(quoted_comment__author=user)).exclude(author=user)
    ids = set(mentioning.values_list("pk", flat=True))
    unname = partial(rename_mentions, name=user.display_name, replacement=FORMER_MEMBER)
    for comment in Comment.objects.select_for_update().filter(pk__in=ids):
        services.rewrite_everywhere(comment, unname)


def public_activity(member, *, viewer) -> dict:
    """The member's posting as their public profile shows it: a count and the latest comments.

    Only comments everyone may read are counted and listed (not deleted, hidden or waiting for a
    moderator, in a public thread), whoever is looking. Two queries.
    """
    public_comments = Comment.objects.readable().filter(author=member)
    recent = public_comments.select_related("thread").order_by("-created_at", "-pk")[:RECENT_POSTS]
    return {
        "post_count": public_comments.count(),
        "recent_posts": [
            {
                "title": comment.thread.title,
                "url": comment.get_absolute_url(),
                "created_at": comment.created_at,
                "excerpt": Truncator(" ".join(unescape(strip_tags(comment.body_html)).split())).chars(160),
            }
            for comment in recent
        ],
    }
