"""The forum's cached pages, named by the versions they are stored under (Misago's enum of caches).

- EVERYTHING (`forum:v:all`): every cached forum page and fragment, and the home and article pages;
- THEMES (`forum:v:themes`): the theme list, and the article pages' paragraph figures;
- `theme_key(slug)`: a theme's page;
- `thread_key(pk)`: a discussion's pages and its row;
- MAP (`forum:v:map`): the planning map and its lists, with THEMES (a need or an offer is a
  discussion: what changes a discussion renews THEMES);
- SEARCH (`forum:v:search`): the kept search windows (`forum.cache.rows.shared_search_window`),
  which a new comment joins as they are read: renewed by what changes a comment already written
  (an edit, a deletion, a new code, any moderation action), not by a new comment or a vote;
- `reader_key(user_id)`: a member's own state around the discussions (their votes, follow levels,
  read positions and drafts), kept for the pages they read (`forum.cache.reader_state`).

`renew(...)` gives the versions for a change new values through `config.versions`, so every
page stored under the old ones is passed over. Only `forum.cache.renewal` (the handlers of the
forum's events) and management commands call it: docs/architecture.md lists what renews what.
"""

from __future__ import annotations

from django.core.cache import cache

from config import versions
from forum.models import Theme

EVERYTHING = "forum:v:all"
THEMES = "forum:v:themes"
MAP = "forum:v:map"
SEARCH = "forum:v:search"


def thread_key(pk) -> str:
    return f"forum:v:thread:{pk}"


def theme_key(slug: str) -> str:
    return f"forum:v:theme:{slug}"


def reader_key(user_id) -> str:
    return f"forum:v:reader:{user_id}"


def renew(*, thread=None, theme=None, search: bool = False) -> None:
    """Renew a thread's pages, its theme's page and the theme list (and with `search`, the kept
    search windows: a comment already written changed).

    `thread` is a Thread or its id; `theme` a Theme or its slug. Given a Thread whose theme is
    loaded, its theme is renewed too.
    """
    keys = [THEMES, SEARCH] if search else [THEMES]
    if thread is not None:
        keys.append(thread_key(getattr(thread, "pk", thread)))
        if theme is None and hasattr(thread, "_state") and "theme" in thread._state.fields_cache:
            theme = thread.theme
        elif theme is None and getattr(thread, "theme_id", None):
            theme = Theme.objects.filter(pk=thread.theme_id).values_list("slug", flat=True).first()
    if theme is not None:
        keys.append(theme_key(theme if isinstance(theme, str) else theme.slug))
    versions.replace(keys)


def renew_map() -> None:
    """Renew the planning map: a need or an offer placed, an offer linked or unlinked."""
    versions.replace([MAP, THEMES])


def renew_search() -> None:
    """Renew the kept search windows alone: comments may have been hidden or shown."""
    versions.replace([SEARCH])


def renew_reader(user_id) -> None:
    """Renew a member's own state: they voted, changed a follow level, read further, or their
    draft changed."""
    versions.replace([reader_key(user_id)])


def renew_everything() -> None:
    """Renew every cached forum page: after a bulk load, or a change shown everywhere (a theme's
    title or status, a member's name, an account erased)."""
    versions.replace([EVERYTHING])


def everything_version() -> str:
    """The current version of EVERYTHING (part of every fragment's key)."""
    return versions.current({EVERYTHING: cache.get(EVERYTHING)}, [EVERYTHING])[0]
