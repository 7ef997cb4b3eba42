"""A discussion's page for signed-in readers, stored whole once per page, version and kind of reader
(`forum.cache.shells`), so an unchanged page costs one round trip for the page (the reader's votes
on its comments come with their read position, in `forum.views.access`), and the rendering of the
reader's own parts (header, follow button, unread link).

Each comment is kept in the stored page in its three renderings (no vote, agrees, disagrees) and
put in per request in the reader's own state; a reader's own comments come from their author
renderings (`forum.cache.fragments`). A page is shared only when nothing on it is the reader's
alone: not when a comment on the page is unread by them, waits for a moderator (but for
moderators, who share a page of their own) or answers a comment of theirs others cannot see, not
with a draft or text kept over a sign-in in the reply box, not with messages to show, and not on a
discussion that is not public. Those pages are built as before.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.core.cache import cache
from django.template.loader import get_template
from django.utils.html import escape

from forum import permissions
from forum.cache import fragments, shells
from forum.cache.digest import FRAGMENT_TIMEOUT
from forum.cache.versions import everything_version, thread_key
from forum.posting.once import new_submission_key

# The reader's parts of the page that depend only on the discussion, their standing, follow levels
# and read position: kept with their state. (The header's links show their unread count, which
# changes without their doing: rendered every time.)
KEPT_PARTS = ("forum/includes/thread_reader_tools.html", "forum/includes/first_unread_link.html")


@dataclass(frozen=True)
class StoredComment:
    pk: int
    author_id: int | None
    # Its renderings for any reader of the page's kind, one per vote state, as UTF-8: what they
    # share before and after the vote buttons once, and each one's middle.
    before: bytes
    middles: tuple[bytes, ...]
    after: bytes
    author_key: str  # its renderings for its author, in the fragment cache
    private_parent_author_id: int | None  # who wrote the comment it answers, when others cannot see that

    def html(self, state: int) -> bytes:
        return self.before + self.middles[state] + self.after


def _split(renderings: tuple[str, ...]) -> tuple[bytes, tuple[bytes, ...], bytes]:
    """The renderings' common start, each one's middle and their common end."""
    encoded = [rendering.encode() for rendering in renderings]
    before = _common_start(encoded)
    rests = [rendering[len(before):] for rendering in encoded]
    after = _common_start([rest[::-1] for rest in rests])[::-1]
    middles = tuple(rest[: len(rest) - len(after)] for rest in rests)
    return before, middles, after


def _common_start(items: list[bytes]) -> bytes:
    shortest, longest = min(items), max(items)  # the sorted first and last differ the soonest
    for index, byte in enumerate(shortest):
        if byte != longest[index]:
            return shortest[:index]
    return shortest


class ThreadPage:
    """The stored page of a discussion for this reader, when they may share it.

        shared = ThreadPage(request, thread, page_number, per_page)  # thread from views.access, with page_votes
        if shared.usable and (response := shared.response(render)) is not None:
            return response

    The reply form is the empty one (no draft, no quote: the caller checks), so a stored page
    needs only a new one-time key; `render` makes the page, form and all, when it is not stored.
    """

    def __init__(self, request, thread, page: int, per_page: int, *, read=None):
        self.request = request
        self.read = read  # the stored page, when the caller fetched it with the thread (`page_key`)
        self.user = request.user
        self.user_id = request.user.pk
        self.thread = thread
        self.page = page
        self.per_page = per_page
        self.kind = fragments.reader_kind(self.user)
        self.first = (page - 1) * per_page + 1
        self.last = min(self.first + per_page - 1, thread.last_position)
        self.usable = self._usable()

    def _usable(self) -> bool:
        thread = self.thread
        if self.kind is None or not shells.plain_request(self.request) or not thread.is_public:
            return False
        if getattr(thread, "draft_body", None) is not None:
            return False
        last_read = getattr(thread, "last_read_position", None)
        return not (last_read and self.last > last_read)  # no comment on the page is unread

    def _shell_name(self) -> tuple[str, tuple]:
        return getattr(self.thread, "page_name", None) or _name_and_key_state(
            self.user, self.thread.pk, self.page, self.per_page
        )

    def _shell(self) -> shells.Shell:
        name, key_state = self._shell_name()
        refusal = permissions.comment_refusal(self.user, self.thread)
        state = (key_state, fragments.thread_state(self.thread), str(refusal or ""))
        return shells.Shell(self.request, name, [thread_key(self.thread.pk)], state=state, key_state=key_state)

    def response(self, render):
        """The page from the store (made with `render(comments, comments_html)`, which gives the
        HTML and the form's one-time key, when it is not there), or None when it cannot be
        shared after all."""
        shell = self._shell()
        stored = shell.get(self.read)
        if stored is None:
            stored = self._make(shell, render)
            if stored is None:
                return None
        return self._fill(shell, stored)

    # Making the page -------------------------------------------------------------------------------

    def _make(self, shell: shells.Shell, render):
        comments = list(
            self.thread.comments.listed_for(self.user)
            .on_page(self.thread, self.page, self.per_page)
            .select_related("author", "parent")
        )
        if not self._shareable(comments):
            return None
        everything = everything_version()
        stored = self._comments(comments, everything)
        marks = fragments.joined([shells.slot_mark(f"comment:{comment.pk}") for comment in comments])
        html, submission_key = render(comments, marks)
        return shell.make(html, submission_key=submission_key, data={"comments": stored})

    def _shareable(self, comments) -> bool:
        """Every position of the page is there, and nothing waits for a moderator (its author
        alone would see it), unless the page is for moderators, who all see it."""
        if [comment.position for comment in comments] != list(range(self.first, self.last + 1)):
            return False
        if self.kind.startswith("moderator"):
            return True
        return not any(comment.needs_approval and not comment.is_hidden for comment in comments)

    def _comments(self, comments, everything: str) -> dict[int, StoredComment]:
        """Each comment's renderings for the page's kind of reader (from the fragment cache, or
        rendered and kept there), with the reader's own comments' author renderings kept too.
        The reader's own comments are rendered as others see them with a stand-in for the
        reader who wrote none of them."""
        def key(comment, view):
            return "forum:comment:" + fragments.comment_digest(comment, self.thread, view, everything)

        keys = {c.pk: key(c, self.kind) for c in comments}
        own = {c.pk: key(c, f"author-{self.kind}") for c in comments if c.author_id == self.user_id}
        found = cache.get_many([*keys.values(), *own.values()])
        template = get_template("forum/includes/comment.html")
        others = _stand_in(self.user)
        missing = {}
        for comment in comments:
            for wanted, reader in ((keys[comment.pk], others), (own.get(comment.pk), self.user)):
                if wanted and wanted not in found:
                    found[wanted] = missing[wanted] = fragments.render_shared(template, comment, self.thread, reader)
        if missing:
            cache.set_many(missing, timeout=FRAGMENT_TIMEOUT)
        return {c.pk: StoredComment(c.pk, c.author_id, *_split(found[keys[c.pk]]), key(c, f"author-{self.kind}"),
                                    _private_parent_author(c)) for c in comments}

    # Serving it -------------------------------------------------------------------------------------

    def _fill(self, shell: shells.Shell, stored: shells.Stored):
        entries: dict[int, StoredComment] = stored.data["comments"]
        me = self.user_id
        if any(entry.private_parent_author_id == me for entry in entries.values()):
            return None  # a reply to the reader's own comment that others cannot see: theirs alone
        own = self._own_renderings(entries)
        if own is None:
            return None  # the reader's own comment has gone from the fragment cache: build the page
        votes = self.thread.page_votes  # read with the reader's state (forum.views.access)
        token = shell.token.encode()
        next_path = str(escape(self.request.get_full_path())).encode()
        csrf_mark, next_mark = fragments.CSRF_MARK.encode(), fragments.NEXT_MARK.encode()

        def comment_html(name: str) -> bytes:
            entry = entries[int(name.rpartition(":")[2])]
            state = fragments.vote_state(votes.get(entry.pk, 0))
            return own[entry.author_key][state].encode() if entry.author_id == me else entry.html(state)

        last_read = getattr(self.thread, "last_read_position", None)
        parts = {
            "user": self.user,
            "thread": self.thread,
            "theme": self.thread.theme,
            "first_unread_url": self.thread.first_unread_url(last_read) if last_read else None,
            "first_unread_id": None,
        }
        rendered, keep_parts = self._kept_parts()
        response = shell.fill(stored, parts, slot=comment_html, submission_key=new_submission_key(), rendered=rendered)
        keep_parts(rendered)
        # The comments' forms hold marks for the reader's token and this page's address: put in
        # once over the page (nothing else on it holds them) rather than once per comment.
        response.content = response.content.replace(csrf_mark, token).replace(next_mark, next_path)
        return response

    def _kept_parts(self):
        """The reader's follow button, report links and unread link as rendered for them on an
        earlier visit, kept with their state (`forum.cache.reader_state`: what they show of the
        discussion and the reader's follow levels and read position are under its versions),
        when their standing is the same; and a function that keeps those rendered now."""
        kept = getattr(self.thread, "kept_state", None)
        value = kept.value if kept is not None and isinstance(kept.value, dict) else None
        made_for = (self.kind, self._shell_name()[1])  # kind, refusal, roles, templates
        known = value.get("parts") if value and value.get("parts_for") == made_for else None

        def keep(rendered: dict) -> None:
            if value is not None and known is None:
                value["parts"] = {name: rendered[name] for name in KEPT_PARTS if name in rendered}
                value["parts_for"] = made_for
                kept.keep(value)

        return dict(known or {}), keep

    def _own_renderings(self, entries: dict) -> dict | None:
        """The author renderings of the reader's own comments on the page, by key: from their state
        kept with the page (`forum.cache.reader_state`, so no round trip of their own), or from the
        fragment cache (and then kept with their state); None when one has gone from the cache."""
        own_keys = [entry.author_key for entry in entries.values() if entry.author_id == self.user_id]
        if not own_keys:
            return {}
        kept = getattr(self.thread, "kept_state", None)
        remembered = kept.value.get("own", {}) if kept is not None and kept.value else {}
        if all(key in remembered for key in own_keys):
            return remembered
        found = cache.get_many(own_keys)
        if len(found) != len(own_keys):
            return None
        if kept is not None and kept.value is not None:
            kept.value["own"] = found
            kept.keep(kept.value)
        return found


def page_name(user, pk: int, page: int, per_page: int) -> tuple[str, tuple] | None:
    """The stored page's name and what it is made for, for this reader, known before the thread's
    row is read, so the page can be fetched with it (`page_key`); None for a reader who has no
    shared page. Given to `ThreadPage` as the thread's `page_name`."""
    if fragments.reader_kind(user) is None:
        return None
    return _name_and_key_state(user, pk, page, per_page)


def page_key(name_and_key_state: tuple[str, tuple]) -> str:
    return shells.shell_key(*name_and_key_state)


def _name_and_key_state(user, pk: int, page: int, per_page: int) -> tuple[str, tuple]:
    """The stored page's name and what it is made for, from what is known before the row: the
    kind of reader, why they may not take part (if so), the roles the reply form offers
    (forum.posting.forms.CommentForm) and the page size. What depends on the row (its state,
    the full refusal) is checked against the stored copy's `state`."""
    roles = (permissions.can_post_as_moderator(user), permissions.can_respond_to_theme(user))
    key_state = (fragments.templates_digest(), str(permissions.participation_refusal(user) or ""), roles, per_page)
    return f"thread:{pk}:{page}:{fragments.reader_kind(user)}", key_state


def _private_parent_author(comment) -> int | None:
    parent = comment.parent if comment.parent_id else None
    return parent.author_id if parent is not None and not parent.is_public else None


def _stand_in(user):
    """The reader as another member of their kind sees a comment: the same standing (remembered on
    the copy), but the author of none of them."""
    other = copy.copy(user)
    other.id = 0
    return other
