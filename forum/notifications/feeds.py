"""Atom feeds of a theme's and a thread's newest comments (django.contrib.syndication).

Feeds are read by programs without a session, so they show what an anonymous reader sees: public
comments in public discussions, never hidden, deleted or waiting ones.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed

from forum.models import Comment, Theme, Thread

FEED_ITEMS = 30


def _public_comments():
    return (
        Comment.objects.readable()
        .select_related("thread")
        .order_by("-created_at", "-pk")
    )


class _CommentFeed(Feed):
    feed_type = Atom1Feed

    def item_title(self, comment: Comment) -> str:
        if comment.position == 1:
            return f"{comment.author_name} started “{comment.thread.title}”"
        return f"{comment.author_name} in “{comment.thread.title}”"

    def item_description(self, comment: Comment) -> str:
        return comment.body_html

    def item_link(self, comment: Comment) -> str:
        return comment.get_absolute_url()

    def item_guid(self, comment: Comment) -> str:
        return comment.get_absolute_url()

    def item_author_name(self, comment: Comment) -> str:
        return comment.author_name

    def item_pubdate(self, comment: Comment):
        return comment.created_at

    def item_updateddate(self, comment: Comment):
        return comment.edited_at or comment.created_at


class ThemeFeed(_CommentFeed):
    def get_object(self, request, slug: str) -> Theme:
        return get_object_or_404(Theme, slug=slug)

    def title(self, theme: Theme) -> str:
        return f"{theme.title} – Common Ground"

    def subtitle(self, theme: Theme) -> str:
        return f"New comments in the theme “{theme.title}”."

    def link(self, theme: Theme) -> str:
        return theme.get_absolute_url()

    def items(self, theme: Theme):
        return _public_comments().filter(thread__theme=theme)[:FEED_ITEMS]


class ThreadFeed(_CommentFeed):
    def get_object(self, request, pk: int) -> Thread:
        return get_object_or_404(Thread.objects.visible_to(AnonymousUser()), pk=pk)

    def title(self, thread: Thread) -> str:
        return f"{thread.title} – Common Ground"

    def subtitle(self, thread: Thread) -> str:
        return f"New comments in the discussion “{thread.title}”."

    def link(self, thread: Thread) -> str:
        return thread.get_absolute_url()

    def items(self, thread: Thread):
        return _public_comments().filter(thread=thread)[:FEED_ITEMS]


theme_feed = ThemeFeed()
thread_feed = ThreadFeed()
