"""The signed links every email carries, which work without signing in: stop following the
discussion or theme an email is about, or stop all emails. The `List-Unsubscribe` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` headers (RFC 8058) point at one of them, so
mail programs can offer their own unsubscribe button.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.models import User
from forum.following.levels import set_theme_follow_level, set_thread_follow_level
from forum.models import EmailFrequency, FollowLevel, NotificationPreference, Theme, Thread

UNSUBSCRIBE_SALT = "forum.emails.unsubscribe"
# Links in old emails keep working for three months; after that the page asks the member to
# sign in and change their settings there.
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 90

SCOPE_THREAD = "thread"
SCOPE_THEME = "theme"
SCOPE_ALL = "all"
SCOPES = {SCOPE_THREAD, SCOPE_THEME, SCOPE_ALL}


def unsubscribe_token(user, scope: str, target_id: int | None = None) -> str:
    """A signed, timestamped token saying: `user` wants to stop `scope` (a thread, a theme, all)."""
    if scope not in SCOPES:
        raise ValueError(f"Unknown unsubscribe scope {scope!r}.")
    return signing.dumps({"u": user.pk, "s": scope, "o": target_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> dict:
    """The token's content; raises signing.SignatureExpired or signing.BadSignature."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    if not isinstance(data, dict) or data.get("s") not in SCOPES or not isinstance(data.get("u"), int):
        raise signing.BadSignature("Unexpected token content.")
    return data


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def unsubscribe_url(user, scope: str, target_id: int | None = None) -> str:
    return absolute(reverse("forum:unsubscribe", kwargs={"token": unsubscribe_token(user, scope, target_id)}))


def describe_unsubscribe(data: dict) -> dict | None:
    """What a token would do, for the confirmation page; None when its target no longer exists."""
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None:
        return None
    scope, target_id = data["s"], data.get("o")
    if scope == SCOPE_ALL:
        return {"user": user, "scope": scope, "target": None,
                "question": "Stop all emails from Common Ground?",
                "action": "Stop all emails",
                "done": "You will not get any more emails about discussions. Notifications still appear "
                        "on the site when you sign in."}
    model = Thread if scope == SCOPE_THREAD else Theme
    target = model.objects.filter(pk=target_id).first()
    if target is None:
        return None
    noun = "discussion" if scope == SCOPE_THREAD else "theme"
    return {"user": user, "scope": scope, "target": target,
            "question": f"Stop following the {noun} “{target.title}”?",
            "action": f"Stop following this {noun}",
            "done": f"You no longer follow the {noun} “{target.title}”. You will still hear about "
                    "replies to your comments and mentions of you."}


def apply_unsubscribe(data: dict) -> dict | None:
    """Carry out what the token says (idempotent); returns the description, None if nothing to do."""
    described = describe_unsubscribe(data)
    if described is None:
        return None
    user, scope, target = described["user"], described["scope"], described["target"]
    if scope == SCOPE_ALL:
        NotificationPreference.objects.update_or_create(
            user=user, defaults={"email_frequency": EmailFrequency.NEVER}
        )
    elif scope == SCOPE_THREAD:
        set_thread_follow_level(user, target, FollowLevel.NORMAL)
    else:
        set_theme_follow_level(user, target, FollowLevel.NORMAL)
    return described
