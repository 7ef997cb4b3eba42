"""A theme's page of discussions for signed-in readers, stored whole once per page, version and kind
of reader (`forum.cache.shells`): an unchanged page costs one round trip for the page, one query
for the reader's read positions in the discussions listed, and the rendering of their own parts
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

from forum.cache import fragments, rows, shells
from forum.cache.versions import THEMES, theme_key
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
        name = f"theme:{self.theme.slug}:{self.page}:{self.kind}"
        shell = shells.Shell(self.request, name, [THEMES, theme_key(self.theme.slug)], state=self.state)
        stored = shell.get()
        if stored is None:
            stored = self._make(shell, render)
            if stored is None:
                return None
        read, own_waiting = self._reader_state([row.pk for row in stored.data["rows"]])
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

    def _reader_state(self, thread_ids: list[int]) -> tuple[dict[int, int], bool]:
        """The reader's read position in each listed discussion, and whether a discussion of theirs
        in this theme waits for a moderator: one statement."""
        placeholders = ", ".join(["%s"] * len(thread_ids)) or "NULL"
        sql = (
            "SELECT thread_id, last_read_position FROM forum_threadreadstate"  # noqa: S608 - placeholders only
            f" WHERE user_id = %s AND thread_id IN ({placeholders})"
            " UNION ALL SELECT -1, 0 WHERE EXISTS (SELECT 1 FROM forum_thread"
            " WHERE theme_id = %s AND author_id = %s AND needs_approval AND NOT is_hidden)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.user.pk, *thread_ids, self.theme.pk, self.user.pk])
            found = dict(cursor.fetchall())
        own_waiting = found.pop(-1, None) is not None
        return found, own_waiting
