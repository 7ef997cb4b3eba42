"""Session activity tracking that costs nothing on most requests."""

from __future__ import annotations

import time

from allauth.usersessions.models import UserSession
from django.utils.functional import empty

SEEN_AT_KEY = "_usersession_seen_at"
TRACK_INTERVAL_SECONDS = 300


class ThrottledUserSessionsMiddleware:
    """Record a signed-in session's last activity, IP and browser at most every five minutes.

    allauth's own tracking writes to the database on every request (several queries each time).
    The "where you are signed in" page only needs to say roughly when each session was last
    used, so we refresh the record when it is older than `TRACK_INTERVAL_SECONDS`. Sign-in
    records the session straight away (allauth's `user_logged_in` receiver).

    A request with a session reads its user here anyway, so `request.user` becomes the loaded user
    rather than Django's lazy wrapper: a signed-in page reads it hundreds of times, and each read
    through the wrapper costs a call.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and session.session_key and user is not None:
            user = request.user = _loaded(user)
        if session is not None and session.session_key and user is not None and user.is_authenticated:
            now = int(time.time())
            if now - int(session.get(SEEN_AT_KEY, 0)) >= TRACK_INTERVAL_SECONDS:
                UserSession.objects.create_from_request(request)
                session[SEEN_AT_KEY] = now
        return self.get_response(request)


def _loaded(user):
    """The user behind Django's lazy `request.user`, loaded (or `user` itself when not lazy)."""
    wrapped = getattr(user, "_wrapped", None)
    if wrapped is None:
        return user
    if wrapped is empty:
        user._setup()
    return user._wrapped
