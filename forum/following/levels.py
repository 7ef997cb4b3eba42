"""Following themes and threads: the levels members choose.

Levels (forum.models.FollowLevel), as a member chooses them per theme and per thread:

- Watching: told about every new comment; for a theme, every new discussion and comment in it.
- Tracking: unread counts on the Following page; told only about replies, quotes and mentions.
- Normal: told only about replies, quotes and mentions (the level of anything not followed).
- Muted: told nothing about it, not even replies, and a muted thread stays quiet inside a
  watched theme.

A thread's own level wins over its theme's; a theme's level applies to every thread in it that has
no level of its own. Starting a discussion makes its author Watch it, commenting makes them Track
it, unless they already chose a level for that thread: defaults never overwrite a choice.

Theme rows at Normal are deleted (Normal is what no row means). Thread rows at Normal are kept,
because they record a choice that must outlive the Watching a theme would otherwise give.
"""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from forum import events
from forum.models import FollowLevel, Theme, ThemeFollow, Thread, ThreadFollow

__all__ = [
    "DIRECT_LEVELS",
    "FOLLOWING_LEVELS",
    "LEVEL_DESCRIPTIONS",
    "effective_level",
    "follow_by_default",
    "levels_for",
    "set_theme_follow_level",
    "set_thread_follow_level",
    "theme_level",
    "with_follow_levels",
    "with_theme_level",
]

# Levels at which a member is "following" (the follow button says so).
FOLLOWING_LEVELS = frozenset({FollowLevel.WATCHING, FollowLevel.TRACKING})
# Levels at which replies, quotes, mentions and "your comment became common ground" arrive.
DIRECT_LEVELS = frozenset({FollowLevel.WATCHING, FollowLevel.TRACKING, FollowLevel.NORMAL})

LEVEL_DESCRIPTIONS = {
    "theme": {
        FollowLevel.WATCHING: "Tell me about every new discussion and every new comment in this theme.",
        FollowLevel.TRACKING: "Show unread counts; tell me only about replies, quotes and mentions of me.",
        FollowLevel.NORMAL: "Not following: tell me only about replies, quotes and mentions of me.",
        FollowLevel.MUTED: "Tell me nothing about this theme, unless I follow one of its discussions myself.",
    },
    "thread": {
        FollowLevel.WATCHING: "Tell me about every new comment in this discussion.",
        FollowLevel.TRACKING: "Show unread counts; tell me only about replies, quotes and mentions of me.",
        FollowLevel.NORMAL: "Not following: tell me only about replies, quotes and mentions of me.",
        FollowLevel.MUTED: "Tell me nothing about this discussion, not even replies.",
    },
}

def _check_level(level: str) -> FollowLevel:
    if level not in FollowLevel.values:
        raise ValueError(f"{level!r} is not a follow level.")
    return FollowLevel(level)


def set_theme_follow_level(user, theme: Theme, level: str) -> FollowLevel:
    """Record how `user` follows `theme`; Normal removes the row (it is what no row means)."""
    level = _check_level(level)
    if level == FollowLevel.NORMAL:
        ThemeFollow.objects.filter(user=user, theme=theme).delete()
    else:
        ThemeFollow.objects.update_or_create(user=user, theme=theme, defaults={"level": level})
    events.reader_changed.send(reader_id=user.pk)
    return level


def set_thread_follow_level(user, thread: Thread, level: str) -> FollowLevel:
    """Record the level `user` chose for `thread`; the choice overrides defaults and the theme."""
    level = _check_level(level)
    ThreadFollow.objects.update_or_create(user=user, thread=thread, defaults={"level": level})
    events.reader_changed.send(reader_id=user.pk)
    return level


def follow_by_default(user, thread: Thread, *, started: bool) -> None:
    """Watch a discussion one started, Track one commented in, unless a level is already chosen.

    forum.posting.services calls this for every new comment. One INSERT, no read: the unique constraint
    leaves an existing row, and so an earlier choice, untouched.
    """
    if user is None or not user.is_authenticated:
        return
    level = FollowLevel.WATCHING if started else FollowLevel.TRACKING
    ThreadFollow.objects.bulk_create([ThreadFollow(user=user, thread=thread, level=level)], ignore_conflicts=True)
    events.reader_changed.send(reader_id=user.pk)


def theme_level(user, theme: Theme) -> FollowLevel:
    """How `user` follows `theme` (Normal when they never chose); free after `with_theme_level`."""
    if user is None or not user.is_authenticated:
        return FollowLevel.NORMAL
    if hasattr(theme, "follow_level"):
        return FollowLevel(theme.follow_level or FollowLevel.NORMAL)
    level = ThemeFollow.objects.filter(user=user, theme=theme).values_list("level", flat=True).first()
    return FollowLevel(level or FollowLevel.NORMAL)


def with_follow_levels(threads, user):
    """Annotate a thread queryset with the levels `user` chose, so pages need no extra query:
    `follow_thread_level` and `follow_theme_level` (None where they chose nothing)."""
    if user is None or not user.is_authenticated:
        return threads
    return threads.annotate(
        follow_thread_level=Subquery(ThreadFollow.objects.filter(user=user, thread=OuterRef("pk")).values("level")[:1]),
        follow_theme_level=Subquery(
            ThemeFollow.objects.filter(user=user, theme=OuterRef("theme_id")).values("level")[:1]
        ),
    )


def with_theme_level(themes, user):
    """Annotate a theme queryset with `follow_level`, the level `user` chose (None if none)."""
    if user is None or not user.is_authenticated:
        return themes
    return themes.annotate(
        follow_level=Subquery(ThemeFollow.objects.filter(user=user, theme=OuterRef("pk")).values("level")[:1])
    )


def theme_level_of(user, theme: Theme) -> str | None:
    """The level `user` chose for `theme`, or None (one query by unique index)."""
    return ThemeFollow.objects.filter(user=user, theme=theme).values_list("level", flat=True).first()


def levels_for(user, thread: Thread) -> tuple[FollowLevel | None, FollowLevel | None]:
    """The (thread, theme) levels `user` chose, None where they chose nothing.

    Free when the thread came through `with_follow_levels`; otherwise one query.
    """
    if user is None or not user.is_authenticated:
        return None, None
    if hasattr(thread, "follow_thread_level"):
        own, inherited = thread.follow_thread_level, thread.follow_theme_level
        return (FollowLevel(own) if own else None, FollowLevel(inherited) if inherited else None)
    thread_level = ThreadFollow.objects.filter(user=user, thread=OuterRef("pk")).values("level")[:1]
    theme_level_ = ThemeFollow.objects.filter(user=user, theme=OuterRef("theme_id")).values("level")[:1]
    row = (
        Thread.objects.filter(pk=thread.pk)
        .annotate(thread_level=Subquery(thread_level), theme_level=Subquery(theme_level_))
        .values("thread_level", "theme_level")
        .first()
    ) or {}
    return (
        FollowLevel(row["thread_level"]) if row.get("thread_level") else None,
        FollowLevel(row["theme_level"]) if row.get("theme_level") else None,
    )


def combine(thread_level: str | None, theme_level_: str | None) -> FollowLevel:
    """The level that applies: the thread's own, else the theme's, else Normal."""
    return FollowLevel(thread_level or theme_level_ or FollowLevel.NORMAL)


def effective_level(user, thread: Thread) -> FollowLevel:
    """The level that decides what `user` hears about `thread` (thread's own, else theme's)."""
    return combine(*levels_for(user, thread))
