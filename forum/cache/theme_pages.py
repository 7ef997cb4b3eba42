"""A theme's page of discussions for signed-in readers, stored whole once per page, version and kind
of reader (`forum.cache.shells`): an unchanged page costs one round trip for the theme's row, the page and
the reader's state kept with it (their read positions in the discussions listed and how they
follow the theme, `forum.cache.reader_state`; one query when it is not kept, with their "N
unread" links and follow button as last made for them), and the rendering of the header's links.

Each discussion's row is kept with a slot for the reader's "N unread" link. A page is shared only
with readers who see the same list: not moderators (they see hidden discussions), and not a member
whose own discussion in the theme waits for a moderator (they see it listed). It is stored under
the theme's version and the themes' one (the missing voices move with any comment).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils.html import escape

from forum import permissions, standing
from forum.cache import fragments, reader_state, rows, shells
from forum.cache.versions import EVERYTHING, THEMES, reader_key, theme_key
from forum.models.querysets import PUBLIC_THREAD
from forum.standing import is_facilitator

THREADS_PER_PAGE = 50
# The reader's part of the page that depends only on the theme, their follow level and standing:
# kept with their state. (The header's links show their unread count: rendered every time.)
KEPT_PARTS = ("forum/includes/theme_follow.html",)


@dataclass(frozen=True)
class StoredRow:
    """What a row's unread link is made from."""

    pk: int
    url: str
    escaped_title: str
    last_position: int


@dataclass(frozen=True)
class ReadAhead:
    """What a signed-in reader's theme page needs from the cache, read in one round trip before
    the theme's row is known (`read_ahead`): the entries found, the current versions of
    everything, the themes, the theme and the reader, and the reader's kept state."""

    found: dict
    versions: list[str]
    kept: reader_state.Kept

    def theme_row(self) -> tuple[dict, list[str]]:
        """For `rows.shared_theme`: the row is kept under everything's and the theme's versions."""
        return self.found, [self.versions[0], self.versions[2]]


def read_ahead(request, slug: str, page: int) -> ReadAhead | None:
    """One round trip for the theme's row, its page as stored for readers of this one's kind and
    the reader's state kept with it; None when the reader has no shared page."""
    user = request.user
    standing.load(user)  # their kind: read with their row
    if not settings.SHARED_CACHE or not _shares_pages(request):
        return None
    name, key_state = _name_and_key_state(user, slug, page)
    kept, found, current = reader_state.read_kept(
        _version_keys(user, slug), _state_key(user, slug, page), rows.theme_row_key(slug),
        page=shells.shell_key(name, key_state),
    )
    return ReadAhead(found, current, kept)


class ThemePage:
    """The stored page of a theme's discussions for this reader, when they may share it.

        shared = ThemePage(request, theme, page, start_refusal, ahead=read_ahead(request, slug, page))
        if shared.usable and (response := shared.response(render)) is not None:
            return response
    """

    def __init__(self, request, theme, page: int, start_refusal, *, ahead: ReadAhead | None = None):
        self.request = request
        self.user = request.user
        self.theme = theme
        self.page = page
        self.ahead = ahead
        self.start_refusal = str(start_refusal or "")
        self.kind = fragments.reader_kind(self.user)
        # Moderators' lists hold hidden discussions too: theirs are built each time.
        self.usable = _shares_pages(request)

    def response(self, render):
        """The page from the store (made with `render(threads, rows_html, has_next)` when it is not
        there), or None when this reader's list is not the shared one, or the page does not exist."""
        slug, user = self.theme.slug, self.user
        name, key_state = _name_and_key_state(user, slug, self.page)
        shell = shells.Shell(self.request, name, [THEMES, theme_key(slug)], state=(key_state, self.start_refusal),
                             key_state=key_state)
        ahead = self.ahead
        if ahead is None:  # one round trip for the stored page and the reader's kept state
            kept, found, current = reader_state.read_kept(
                _version_keys(user, slug), _state_key(user, slug, self.page), page=shell.key
            )
            ahead = ReadAhead(found, current, kept)
        stored = shell.get((ahead.found, ahead.versions[:3]))
        if stored is None:
            stored = self._make(shell, render)
            if stored is None:
                return None
        kept = ahead.kept
        value = dict(kept.value) if isinstance(kept.value, dict) else {}  # what is kept with the reader's state
        changed = False
        if "state" not in value:
            value["state"], changed = self._reader_state([row.pk for row in stored.data["rows"]]), True
        read, own_waiting, self.theme.follow_level = value["state"]
        if own_waiting:
            return None
        if "links" not in value:
            value["links"], changed = _unread_links(stored.data["rows"], read), True
        # The follow button depends on the theme, the follow level and the reader's standing.
        made_for = (self.kind, key_state)
        known = value.get("parts") if value.get("parts_for") == made_for else None
        rendered = dict(known or {})
        response = shell.fill(stored, {"user": self.user, "theme": self.theme}, slot=value["links"].get,
                              rendered=rendered)
        if known is None:
            value.update(parts={name: rendered[name] for name in KEPT_PARTS if name in rendered}, parts_for=made_for)
            changed = True
        if changed:
            kept.value = value
            kept.keep(value)
        return response

    def _make(self, shell: shells.Shell, render):
        start = (self.page - 1) * THREADS_PER_PAGE
        threads = list(self.theme.threads.filter(PUBLIC_THREAD).in_theme_order()[start : start + THREADS_PER_PAGE + 1])
        if self.page > 1 and not threads:
            return None
        has_next = len(threads) > THREADS_PER_PAGE
        threads = threads[:THREADS_PER_PAGE]
        for thread in threads:
            thread.theme = self.theme
        html = render(threads, rows.thread_rows_marked(threads, slot=lambda t: shells.slot_mark(f"unread:{t.pk}")),
                      has_next)
        stored_rows = [StoredRow(t.pk, t.get_absolute_url(), escape(t.title), t.last_position) for t in threads]
        return shell.make(html, data={"rows": stored_rows})

    def _reader_state(self, thread_ids: list[int]) -> tuple[dict[int, int], bool, str | None]:
        """The reader's read position in each listed discussion, whether a discussion of theirs
        in this theme waits for a moderator, and how they follow the theme: one statement (the
        first row always comes, with the last two; the others add read positions)."""
        placeholders = ", ".join(["%s"] * len(thread_ids)) or "NULL"
        sql = (
            "SELECT rs.thread_id, rs.last_read_position,"  # noqa: S608 - placeholders only
            " EXISTS (SELECT 1 FROM forum_thread WHERE theme_id = %s AND author_id = %s"
            " AND needs_approval AND NOT is_hidden),"
            " (SELECT level FROM forum_themefollow WHERE theme_id = %s AND user_id = %s)"
            " FROM (SELECT 1 AS one) AS reader LEFT JOIN forum_threadreadstate AS rs"
            f" ON rs.user_id = %s AND rs.thread_id IN ({placeholders})"
        )
        me, theme = self.user.pk, self.theme.pk
        with connection.cursor() as cursor:
            cursor.execute(sql, [theme, me, theme, me, me, *thread_ids])
            rows = cursor.fetchall()
        read = {thread_id: position for thread_id, position, _waiting, _level in rows if thread_id is not None}
        return read, bool(rows[0][2]), rows[0][3]


def _unread_links(stored_rows: list[StoredRow], read: dict[int, int]) -> dict[str, str]:
    """The reader's "N unread" link under each discussion listed, by slot name."""
    return {f"unread:{row.pk}": rows.unread_link(row.url, row.escaped_title, row.last_position, read.get(row.pk) or 0)
            for row in stored_rows}


def _shares_pages(request) -> bool:
    return fragments.reader_kind(request.user) in ("member", "reader") and shells.plain_request(request)


def _name_and_key_state(user, slug: str, page: int) -> tuple[str, tuple]:
    """The stored page's name and what it is made for, known before the theme's row: why the
    reader may not take part (if so) and whether they are a facilitator. The rest of why they may
    not start a discussion (the theme's status) is checked against the stored copy's state."""
    key_state = (str(permissions.participation_refusal(user) or ""), is_facilitator(user))
    return f"theme:{slug}:{page}:{fragments.reader_kind(user)}", key_state


def _version_keys(user, slug: str) -> list[str]:
    return [EVERYTHING, THEMES, theme_key(slug), reader_key(user.pk)]


def _state_key(user, slug: str, page: int) -> str:
    return f"forum:reader-state:theme:{user.pk}:{slug}:{page}"
