"""Each comment's HTML for signed-in readers, and a page's list of them.

A comment's HTML is keyed by a digest of everything its template reads (the comment, its author's
badge, its parent, the thread's and theme's state), so an edit, a hide, an agreement or a changed
display name gives a new key by itself, and a new comment in the thread leaves the others' HTML in
place. Each is rendered once per kind of reader (members who may take part, and those who may
not), in each of the three states of the vote buttons (no vote, agrees, disagrees); the reader's
own state (which of the three, their CSRF token) is put in per request. A reader's own comments
are kept the same way under an "author" kind (only their author reads them so). Moderators and
the first comment a reader has not read are rendered as before.

`Listing` keeps a page's list of fragment keys, so a signed-in reader's next visit to an unchanged
page reads no comment rows at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString

from config import versions
from forum import permissions
from forum.cache.digest import FRAGMENT_TIMEOUT, PAGE_TIMEOUT, digest, files_digest, joined, row
from forum.cache.versions import EVERYTHING, everything_version, thread_key
from forum.models import Agreement, VoteValue
from forum.standing import is_moderator

CSRF_MARK = "cgcsrfmark0000000000000000000000000000000000000000000000000000000"
NEXT_MARK = "cgnextmark00000000000000"
# What a comment's HTML is made from; a change to any of these files gives new keys.
COMMENT_TEMPLATES = (
    "forum/includes/comment.html",
    "forum/includes/agree.html",
    "forum/includes/codes.html",
    "forum/includes/vote_button.html",
    "includes/member_badge.html",
    "includes/group_tags.html",
    "forum/moderation/includes/comment_tools.html",
    "forum/moderation/includes/comment_placeholder.html",
)


def templates_digest() -> str:
    return files_digest(COMMENT_TEMPLATES)


_COMMENT_SKIP = ("search_vector", "body")
_USER_SKIP = ("password", "last_login")


def thread_state(thread) -> tuple:
    """What comment.html reads of the thread and its theme (whether replies are taken)."""
    theme = thread.theme
    return (
        (thread.pk, thread.slug, thread.is_locked, thread.is_hidden, thread.needs_approval, thread.theme_id),
        (theme.pk, theme.status, theme.title, theme.is_accepting_posts),
    )


def comment_digest(comment, thread, reader_kind: str, everything: str) -> str:
    """A digest of everything comment.html reads for this comment, for readers of this kind."""
    return digest((
        templates_digest(),
        everything,
        reader_kind,
        row(comment, _COMMENT_SKIP),
        row(comment.author, _USER_SKIP) if comment.author_id else (),
        row(comment.parent, _COMMENT_SKIP) if comment.parent_id else (),
        thread_state(thread),
    ))


def reader_kind(user) -> str | None:
    """Which shared rendering a reader can use, or None when theirs must be rendered for them:
    members who may take part, those who may not, and the same two for moderators (who see
    hidden and waiting comments, and the links to moderate them: the same for every moderator)."""
    if user is None or not user.is_authenticated:
        return None
    kind = "member" if permissions.can_participate(user) else "reader"
    return f"moderator-{kind}" if is_moderator(user) else kind


def comment_list_html(request, thread, comments, first_unread_id, listing=None) -> SafeString | None:
    """The page's comments as HTML, from cached pieces where they can be shared, or None when this
    reader's page is rendered in full (anonymous readers have whole pages cached instead).

    Given the page's `Listing` (which missed), it is stored for the next reader when it may be."""
    user = request.user
    kind = reader_kind(user)
    if kind is None or not comments:
        return None
    everything = everything_version()
    if listing is not None:
        listing.keep(comments, everything)
    template = get_template("forum/includes/comment.html")
    shared, keys = {}, {}
    for comment in comments:
        if _own_view(comment, user, first_unread_id):
            continue
        # Only its author ever reads a comment as its author, so that view is shared by nobody
        # else, yet it is the same on every visit until the comment (or the rest) changes.
        view = f"author-{kind}" if comment.author_id == user.pk else kind
        keys[comment.pk] = "forum:comment:" + comment_digest(comment, thread, view, everything)
    found = cache.get_many(list(keys.values())) if keys else {}
    missing = {}
    for comment in comments:
        key = keys.get(comment.pk)
        if key is None:
            continue
        pieces = found.get(key)
        if pieces is None:
            pieces = render_shared(template, comment, thread, user)
            missing[key] = pieces
        shared[comment.pk] = pieces
    if missing:
        cache.set_many(missing, timeout=FRAGMENT_TIMEOUT)
    token = get_token(request)
    next_path = str(escape(request.get_full_path()))
    parts = []
    for comment in comments:
        pieces = shared.get(comment.pk)
        if pieces is None:
            context = {"comment": comment, "thread": thread, "user": user, "request": request,
                       "first_unread_id": first_unread_id, "csrf_token": token}
            parts.append(template.render(context))
            continue
        html = pieces[vote_state(getattr(comment, "my_vote", 0))]
        parts.append(html.replace(CSRF_MARK, token).replace(NEXT_MARK, next_path))
    return joined(parts)


def _own_view(comment, user, first_unread_id) -> bool:
    """Comments whose HTML is this reader's alone and not worth keeping: a reply to their own
    comment that others cannot see, and the first one they have not read."""
    if comment.pk == first_unread_id:
        return True
    parent = comment.parent if comment.parent_id else None
    return parent is not None and parent.author_id == user.pk and not parent.is_public


# The reader's vote (none, agree, disagree) -> which rendering of the comment they get.
_STATES = (0, VoteValue.AGREE, VoteValue.DISAGREE)


def vote_state(my_vote) -> int:
    """The index, in a fragment's renderings, of the one for a reader with this vote."""
    return _STATES.index(my_vote) if my_vote in _STATES else 0


def render_shared(template, comment, thread, user) -> tuple[str, ...]:
    """The comment's HTML for any reader of this kind: with no vote, agreeing, disagreeing."""
    saved = getattr(comment, "my_vote", 0)
    # Stand-ins for the reader's own values, replaced in `comment_list_html`.
    stand_in = SimpleNamespace(get_full_path=lambda: NEXT_MARK, user=user)
    context = {"comment": comment, "thread": thread, "user": user, "first_unread_id": None,
               "csrf_token": CSRF_MARK, "request": stand_in}
    renderings = []
    try:
        for state in _STATES:
            comment.my_vote = state
            renderings.append(template.render(context))
    finally:
        comment.my_vote = saved
    return tuple(renderings)


# A thread page's comments for signed-in readers, without reading them again ----------------------


@dataclass(frozen=True)
class ListedComment:
    """What a page needs of one comment to assemble it from the fragment cache."""

    pk: int
    position: int
    author_id: int | None
    private_parent_author_id: int | None  # the author of a parent others cannot see
    key: str  # its fragment for readers of the page's kind
    author_key: str  # its fragment for its author


class Listing:
    """The comments of one page of a thread as a list of fragment keys, so that a signed-in
    reader's next visit to an unchanged page reads no comment rows at all: one cache round trip
    for the list, one query for the reader's votes on them, one for the fragments.

    Stored under the thread's and everything's versions (any change to a comment on the page, to
    an agreement or to a member's badge replaces one) and the state of the thread and theme the
    fragments were made for. It is used only when nothing on the page is the reader's alone: no
    comment they have not read, no reply to their own comment that others cannot see, and no gap
    in the positions (a comment waiting for a moderator, which its author would see). Otherwise
    the page is built from the database as before, and stored again when it can be.
    """

    def __init__(self, request, thread, page: int, per_page: int):
        self.request = request
        self.thread = thread
        self.user = request.user
        self.kind = reader_kind(self.user) if settings.SHARED_CACHE else None
        self.first = (page - 1) * per_page + 1
        self.last = min(self.first + per_page - 1, thread.last_position)
        self.key = f"forum:listing:{thread.pk}:{page}:{per_page}:{self.kind}"
        self.version_keys = [EVERYTHING, thread_key(thread.pk)]
        self.versions: list[str] | None = None

    def _page_state(self) -> tuple:
        return (templates_digest(), thread_state(self.thread))

    def html(self) -> tuple[list[ListedComment], SafeString] | None:
        """The page's comments and their HTML for this reader, or None to build them."""
        if self.kind is None:
            return None
        found, current = versions.read(self.version_keys, self.key)
        self.versions = current
        stored = found.get(self.key)
        if (not isinstance(stored, dict) or stored.get("versions") != current
                or stored.get("state") != self._page_state()):
            return None
        entries: list[ListedComment] = stored["comments"]
        if not self._shared_by(entries):
            return None
        votes = self._votes([entry.pk for entry in entries])
        keys = [entry.author_key if entry.author_id == self.user.pk else entry.key for entry in entries]
        pieces = cache.get_many(keys)
        if len(pieces) != len(set(keys)):
            return None  # a fragment has gone: build the page
        token = get_token(self.request)
        next_path = str(escape(self.request.get_full_path()))
        parts = []
        for entry, key in zip(entries, keys, strict=True):
            html = pieces[key][vote_state(votes.get(entry.pk, 0))]
            parts.append(html.replace(CSRF_MARK, token).replace(NEXT_MARK, next_path))
        return entries, joined(parts)

    def _shared_by(self, entries: list[ListedComment]) -> bool:
        """Whether this reader sees the page as the list was stored (see the class docstring)."""
        if not entries or [entry.position for entry in entries] != list(range(self.first, self.last + 1)):
            return False
        last_read = getattr(self.thread, "last_read_position", None)
        if last_read and entries[-1].position > last_read:
            return False
        return all(entry.private_parent_author_id != self.user.pk for entry in entries)

    def _votes(self, comment_ids: list[int]) -> dict[int, int]:
        mine = Agreement.objects.filter(member=self.user, comment_id__in=comment_ids)
        return dict(mine.values_list("comment_id", "vote"))

    def keep(self, comments, everything: str) -> None:
        """Store the list made from `comments` (as read for this reader), when others would read
        the same: nothing on it waits for a moderator, and the versions have settled."""
        if self.kind is None or self.versions is None or not versions.all_settled(self.versions):
            return
        if self.versions[0] != everything:
            return
        if any(comment.needs_approval and not comment.is_hidden for comment in comments):
            return
        if [comment.position for comment in comments] != list(range(self.first, self.last + 1)):
            return  # a comment others cannot see is on the page: the list would never be used
        entries = []
        for comment in comments:
            parent = comment.parent if comment.parent_id else None
            private_parent = parent is not None and not parent.is_public
            entries.append(
                ListedComment(
                    pk=comment.pk,
                    position=comment.position,
                    author_id=comment.author_id,
                    private_parent_author_id=parent.author_id if private_parent else None,
                    key="forum:comment:" + comment_digest(comment, self.thread, self.kind, everything),
                    author_key="forum:comment:"
                    + comment_digest(comment, self.thread, f"author-{self.kind}", everything),
                )
            )
        stored = {"versions": self.versions, "state": self._page_state(), "comments": entries}
        cache.set(self.key, stored, timeout=PAGE_TIMEOUT)
