"""Version numbers that say when cached forum pages are out of date.

Every cached page is stored under a key that includes the version of everything it shows. A
change never deletes anything: it replaces a version, so every key built from the old one is
simply never asked for again (and expires). `bump()` is called by the services whenever something
a reader sees changes.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.db import transaction

EVERYTHING = "forum:v:all"
THEMES = "forum:v:themes"


def thread_key(pk: int) -> str:
    return f"forum:v:thread:{pk}"


def theme_key(pk: int) -> str:
    return f"forum:v:theme:{pk}"


def _new_version() -> str:
    return secrets.token_hex(6)


def _replace(keys: list[str]) -> None:
    cache.set_many({key: _new_version() for key in keys}, timeout=None)


def bump(*, thread=None, theme=None) -> None:
    """Mark a thread's pages and a theme's pages as changed.

    Done at once, so the request that made the change sees it, and again once the transaction
    commits, so a page another reader rendered from the old rows in between is not kept.
    """
    keys = [THEMES]
    if thread is not None:
        keys.append(thread_key(getattr(thread, "pk", thread)))
        theme_id = getattr(thread, "theme_id", None)
        if theme is None and theme_id is not None:
            theme = theme_id
    if theme is not None:
        keys.append(theme_key(getattr(theme, "pk", theme)))
    _replace(keys)
    transaction.on_commit(lambda: _replace(keys))


def bump_everything() -> None:
    """Mark every cached forum page as changed (after a bulk load, or a change shown everywhere)."""
    _replace([EVERYTHING])
    transaction.on_commit(lambda: _replace([EVERYTHING]))
