"""The follow form every theme and discussion page shows, and what it needs to render."""

from __future__ import annotations

from django import forms

from forum import permissions
from forum.following import levels
from forum.models import FollowLevel


class FollowForm(forms.Form):
    level = forms.ChoiceField(choices=FollowLevel.choices, label="Notifications")


def saved_message(noun: str, title: str, level: FollowLevel) -> str:
    """What a member is told after the follow button or a level was saved."""
    if level == FollowLevel.WATCHING:
        return f"You now follow the {noun} “{title}”: we will tell you about every new comment in it."
    if level == FollowLevel.NORMAL:
        return f"You no longer follow the {noun} “{title}”. We still tell you about replies to you."
    return f"You now follow the {noun} “{title}” at the level {level.label}."


def follow_refusal(user) -> str | None:
    """Why this person may not change how they follow things (as for taking part)."""
    return permissions.participation_refusal(user)


def follow_context(user, *, theme=None, thread=None, next_url: str = "") -> dict:
    """What the follow form for a theme or a thread needs (one query for a member)."""
    if thread is not None:
        own, from_theme = levels.levels_for(user, thread)
        current = levels.combine(own, from_theme)
        kind = "thread"
        target = thread
    else:
        own = levels.theme_level(user, theme) if user.is_authenticated else None
        from_theme = None
        current = FollowLevel(own or FollowLevel.NORMAL)
        kind = "theme"
        target = theme
    return {
        "follow_kind": kind,
        "follow_target": target,
        "follow_level": current,
        "follow_inherited": thread is not None and own is None and from_theme is not None,
        "follow_description": levels.LEVEL_DESCRIPTIONS[kind][current],
        "follow_following": current in levels.FOLLOWING_LEVELS,
        "follow_muted": current == FollowLevel.MUTED,
        "follow_refusal": follow_refusal(user),
        "follow_next": next_url,
    }
