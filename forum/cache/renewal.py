"""What renews which cached pages: the page cache's handlers of the forum's events.

Every change a reader would see reaches the cache here, and only here (`connect()` is called by
`ForumConfig.ready()`). Each handler runs at once, inside the transaction that made the change,
so the request that made it sees it; `config.versions` keeps pages made while the change is
settling from being stored.

- a comment posted, edited, deleted, agreed with or coded: its discussion, its theme, the theme list;
  and, when it was edited, deleted or coded, the kept search windows (a new comment joins them as
  they are read; a vote does not change what a search finds);
- a moderation action on a comment or discussion: the same, with the search windows (a moved
  discussion: everything); on a theme: everything, as its status and response show on each of
  its discussions;
- a need or an offer placed, linked or unlinked: the map (and, through THEMES, the theme list);
- a member's name, group, organisation or interests changed: everything, when they have written
  anything (their badge is on each of their comments);
- a member voted, changed a follow level, read further or changed a draft: their own state;
- the source texts changed, or `forum_changed` (admin edits, themes loaded, counters repaired, an
  account erased, demo data): everything.
"""

from __future__ import annotations

from accounts.signals import member_profile_changed
from articles.signals import texts_changed
from forum import events
from forum.cache.versions import renew, renew_everything, renew_map, renew_reader, renew_search
from forum.models import Comment, Theme, Thread


def comment_added(comment, **kwargs) -> None:
    """A new comment, or a vote on one: the search windows stay (a new comment joins them)."""
    renew(thread=comment.thread)


def comment_changed(comment, **kwargs) -> None:
    renew(thread=comment.thread, search=True)


def moderated(target, action: str) -> None:
    if isinstance(target, Comment):
        renew(thread=target.thread, search=True)
    elif isinstance(target, Thread):
        renew_everything() if action == "move" else renew(thread=target, search=True)  # a move changes two themes
    elif isinstance(target, Theme):
        renew_everything()
    else:
        renew_search()  # a member or a filter: what they wrote may have been hidden or shown


def map_changed(entry) -> None:
    renew_map()


def reader_changed(reader_id) -> None:
    renew_reader(reader_id)


def forum_changed(reason: str) -> None:
    renew_everything()


def badge_changed(sender, member, changed, **kwargs) -> None:
    if Comment.objects.filter(author=member).exists():
        renew_everything()  # (a member who has written nothing, like one finishing sign-up, shows nowhere)


def sources_changed(sender, **kwargs) -> None:
    renew_everything()  # the texts are quoted on theme and discussion pages


def connect() -> None:
    for event in (events.comment_posted, events.agreement_changed):
        event.connect(comment_added)
    for event in (events.comment_edited, events.comment_deleted, events.comment_coded):
        event.connect(comment_changed)
    events.moderated.connect(moderated)
    events.forum_changed.connect(forum_changed)
    events.map_changed.connect(map_changed)
    events.reader_changed.connect(reader_changed)
    member_profile_changed.connect(badge_changed, dispatch_uid="forum.cache.badge_changed")
    texts_changed.connect(sources_changed, dispatch_uid="forum.cache.texts_changed")
