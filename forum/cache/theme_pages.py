"""A theme's page of discussions for signed-in readers, stored whole once per page, version and kind
of reader (`forum.cache.shells`): an unchanged page costs one round trip for the page and the reader's
state kept with it (their read positions in the discussions listed and how they follow the theme,
`forum.cache.reader_state`; one query when it is not kept), and the rendering of their own parts
(header, follow button).

Each discussion's row is kept with a slot for the reader's "N unread" link. A page is shared only
with readers who see the same list: not moderators (they see hidden discussions), and not a member
whose own discussion in the theme waits for a moderator (they see it listed). It is stored under
the theme's version and the themes' one (the missing voices move with any comment).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape

from forum.cache import fragments, reader_state, rows, shells
from forum.cache.versions import EVERYTHING, THEMES, reader_key, theme_key
from forum.models.querysets import PUBLIC_THREAD
from forum.standing import is_facilitator

THREADS_PER_PAGE = 50


@dataclass(frozen=True)
class StoredRow:
    """What a row's unread link is made from."""

    pk: int
    url: str
    escaped_title: str
    last_position: int


class ThemePage:
    """The stored page of a theme's discussions for this reader, when they may share it.

        shared = ThemePage(request, theme, page, start_refusal)
        if shared.usable and (response := shared.response(render)) is not None:
            return response
    """

    def __init__(self, request, theme, page: int, start_refusal):
        self.request = request
        self.user = request.user
        self.theme = theme
        self.page = page
        self.kind = fragments.reader_kind(self.user)
        self.state = (str(start_refusal or ""), is_facilitator(self.user))
        # Moderators' lists hold hidden discussions too: theirs are built each time.
        self.usable = self.kind in ("member", "reader") and shells.plain_request(request)

    def response(self, render):
        """The page from the store (made with `render(threads, rows_html, has_next)` when it is not
        there), or None when this reader's list is not the shared one, or the page does not exist."""
        slug = self.theme.slug
        name = f"theme:{slug}:{self.page}:{self.kind}"
        shell = shells.Shell(self.request, name, [THEMES, theme_key(slug)], state=self.state)
        # One round trip for the stored page and the reader's state kept for it (forum.cache.reader_state).
        kept, found, current = reader_state.read_kept(
            [EVERYTHING, THEMES, theme_key(slug), reader_key(self.user.pk)],
            f"forum:reader-state:theme:{self.user.pk}:{slug}:{self.page}", shell.key,
        )
        stored = shell.get((found, current[:3]))
        if stored is None:
            stored = self._make(shell, render)
            if stored is None:
                return None
        if kept.value is None:
            kept.value = self._reader_state([row.pk for row in stored.data["rows"]])
            kept.keep(kept.value)
        read, own_waiting, self.theme.follow_level = kept.value
        if own_waiting:
            return None
        links = {f"unread:{row.pk}": rows.unread_link(row.url, row.escaped_title, row.last_position,
                                                        read.get(row.pk) or 0) for row in stored.data["rows"]}
        parts = {"user": self.user, "theme": self.theme}
        return shell.fill(stored, parts, slot=links.get)

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
