"""Caching of forum pages, made safe by version numbers rather than by deleting entries.

Two layers, both in the shared cache (Redis in production, so every web process sees the same):

1. **Whole pages for anonymous readers** (thread pages, theme pages, the theme list). A page is
   stored with the versions of what it shows (`forum:v:thread:<id>`, `forum:v:theme:<slug>`,
   `forum:v:themes` for the list, and `forum:v:all` for everything); serving it is one cache
   round trip (the page and the current versions in one `get_many`) and no database query. A
   change replaces a version (`bump()`), so the stored page no longer matches and the next reader
   gets a fresh one. The CSP nonce in the page is swapped for the request's own.

2. **Each comment's HTML for signed-in readers**, keyed by a digest of everything the comment's
   template reads (the comment, its author's badge, its parent, the thread's and theme's state),
   so an edit, a hide, an agreement or a changed display name gives a new key by itself, and a new
   comment in the thread leaves the others' HTML in place. Each is rendered once per kind of
   reader (members who may take part, and those who may not), with both states of the Agree
   button; the reader's own state (which button, their CSRF token) is put in per request.
   A reader's own comments are kept the same way under an "author" kind (only their author reads
   them so). Moderators and the first comment a reader has not read are rendered as before.

`bump()` is called by the services at every change a reader would see: comments posted, edited,
deleted, hidden, approved, agreed with; threads locked, pinned, moved, hidden. It runs at once,
inside the transaction, as the service's last step, so the request that made the change sees it.
Versions are kept in `config.versions`, the one door to the shared cache for every copy that must
change with its rows: for its SETTLE_SECONDS after a bump, pages are rendered but not stored, as a
reader who fetched the new version just before the transaction committed could render the old
rows under it. Entries also expire after PAGE_TIMEOUT as a backstop for changes nobody bumps (a
member's new display name on anonymous pages).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from config import versions

EVERYTHING = "forum:v:all"
THEMES = "forum:v:themes"
PAGE_TIMEOUT = 600
FRAGMENT_TIMEOUT = 24 * 3600
NONCE_MARK = "cgnoncemark0000000000000"
CSRF_MARK = "cgcsrfmark0000000000000000000000000000000000000000000000000000000"
NEXT_MARK = "cgnextmark00000000000000"
# Query parameters that do not stop a page being served from the cache.
CACHEABLE_PARAMS = {"page"}
# What a comment's HTML is made from; a change to any of these files gives new keys.
COMMENT_TEMPLATES = (
    "forum/includes/comment.html",
    "forum/includes/agree.html",
    "includes/member_badge.html",
    "forum/moderation/includes/comment_tools.html",
    "forum/moderation/includes/comment_placeholder.html",
)


def thread_key(pk) -> str:
    return f"forum:v:thread:{pk}"


def theme_key(slug: str) -> str:
    return f"forum:v:theme:{slug}"


def bump(*, thread=None, theme=None) -> None:
    """Mark a thread's pages, its theme's page and the theme list as changed.

    `thread` is a Thread or its id; `theme` a Theme (its page is keyed by slug). Given a Thread
    whose theme is loaded, its theme is bumped too.
    """
    keys = [THEMES]
    if thread is not None:
        keys.append(thread_key(getattr(thread, "pk", thread)))
        if theme is None and hasattr(thread, "_state") and "theme" in thread._state.fields_cache:
            theme = thread.theme
        elif theme is None and getattr(thread, "theme_id", None):
            from forum.models import Theme

            theme = Theme.objects.filter(pk=thread.theme_id).values_list("slug", flat=True).first()
    if theme is not None:
        keys.append(theme_key(theme if isinstance(theme, str) else theme.slug))
    versions.replace(keys)


def changed(target, *, action: str = "") -> None:
    """Something moderation acted on changed: bump what shows it (forum.moderation.log_action)."""
    from forum.models import Comment, Theme, Thread

    if isinstance(target, Comment):
        bump(thread=target.thread)
    elif isinstance(target, Thread):
        # A moved discussion leaves one theme for another: simplest to renew everything (rare).
        bump_everything() if action == "move" else bump(thread=target)
    elif isinstance(target, Theme):
        bump_everything()  # a theme's status or response shows on each of its discussions


def bump_everything() -> None:
    """Mark every cached forum page as changed: after a bulk load, or a change shown everywhere
    (a theme's title or status, a member's account erased)."""
    versions.replace([EVERYTHING])


# Whole pages for anonymous readers ---------------------------------------------------------------


class AnonymousPage:
    """A page an anonymous reader may get from the cache.

        cached = AnonymousPage(request, thread_key(pk))
        if (response := cached.response()) is not None:
            return response
        ...render...
        return cached.keep(response)
    """

    def __init__(self, request, *version_keys: str):
        self.request = request
        self.keys = [EVERYTHING, *version_keys]
        self.usable = settings.SHARED_CACHE and _anonymous_and_plain(request)
        self.versions: list[str] | None = None
        self.storable = False
        self.page_key = ""

    def response(self) -> HttpResponse | None:
        if not self.usable:
            return None
        path = self.request.get_full_path()
        self.page_key = "forum:page:" + hashlib.blake2b(path.encode(), digest_size=16).hexdigest()
        found, current = versions.read(self.keys, self.page_key)
        self.versions = current
        self.storable = versions.all_settled(current)
        stored = found.get(self.page_key)
        if stored is None or stored["versions"] != current:
            return None
        nonce = _nonce(self.request)
        response = HttpResponse(stored["body"].replace(NONCE_MARK, nonce), content_type=stored["content_type"])
        response["X-Forum-Cache"] = "hit"
        return response

    def keep(self, response: HttpResponse) -> HttpResponse:
        """Store a fresh 200 answer (not one that set a cookie or used a CSRF token)."""
        if self.usable:
            response["X-Forum-Cache"] = "miss"
        if (
            not self.storable
            or response.status_code != 200
            or response.streaming
            or response.cookies
            or self.request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        ):
            return response
        body = response.content.decode(response.charset)
        nonce = _nonce(self.request)
        if nonce:
            body = body.replace(nonce, NONCE_MARK)
        entry = {"versions": self.versions, "body": body, "content_type": response["Content-Type"]}
        cache.set(self.page_key, entry, timeout=PAGE_TIMEOUT)
        return response


def _nonce(request) -> str:
    # django-csp's lazy nonce is falsy until first read: compare with None, never use `or`.
    nonce = getattr(request, "csp_nonce", None)
    return str(nonce) if nonce is not None else ""


def _anonymous_and_plain(request) -> bool:
    """No session (so certainly signed out, with no messages or kept text waiting) and no query
    parameters other than the page number."""
    if request.method != "GET":
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    return set(request.GET) <= CACHEABLE_PARAMS


def _everything_version() -> str:
    return versions.current({EVERYTHING: cache.get(EVERYTHING)}, [EVERYTHING])[0]


# Comment HTML for signed-in readers -------------------------------------------------------------


@lru_cache(maxsize=8)
def _files_digest(names: tuple[str, ...]) -> str:
    """A digest of these templates' files (and of Django, whose widget templates forms use): a
    change to any of them gives the fragments made from them new keys."""
    import django

    digest = hashlib.blake2b(django.__version__.encode(), digest_size=8)
    for name in names:
        digest.update(Path(get_template(name).origin.name).read_bytes())
    return digest.hexdigest()


def _templates_digest() -> str:
    return _files_digest(COMMENT_TEMPLATES)


def _row(instance, skip: tuple[str, ...] = ()) -> tuple:
    if instance is None:
        return ()
    return tuple(getattr(instance, f.attname, None) for f in instance._meta.concrete_fields if f.attname not in skip)


_COMMENT_SKIP = ("search_vector", "body")
_USER_SKIP = ("password", "last_login")


def _thread_state(thread) -> tuple:
    """What comment.html reads of the thread and its theme (whether replies are taken)."""
    theme = thread.theme
    return (
        (thread.pk, thread.slug, thread.is_locked, thread.is_hidden, thread.needs_approval, thread.theme_id),
        (theme.pk, theme.status, theme.title, theme.is_accepting_posts),
    )


def comment_digest(comment, thread, reader_kind: str, everything: str) -> str:
    """A digest of everything comment.html reads for this comment, for readers of this kind."""
    parts = (
        _templates_digest(),
        everything,
        reader_kind,
        _row(comment, _COMMENT_SKIP),
        _row(comment.author, _USER_SKIP) if comment.author_id else (),
        _row(comment.parent, _COMMENT_SKIP) if comment.parent_id else (),
        _thread_state(thread),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def reader_kind(user) -> str | None:
    """Which shared rendering a reader can use, or None when theirs must be rendered for them."""
    from forum import permissions

    if user is None or not user.is_authenticated or permissions.is_moderator(user):
        return None
    return "member" if permissions.can_participate(user) else "reader"


def comment_list_html(request, thread, comments, first_unread_id, listing=None) -> SafeString | None:
    """The page's comments as HTML, from cached pieces where they can be shared, or None when this
    reader's page is rendered in full (anonymous readers have whole pages cached instead).

    Given the page's `Listing` (which missed), it is stored for the next reader when it may be."""
    user = request.user
    kind = reader_kind(user)
    if kind is None or not comments:
        return None
    everything = _everything_version()
    if listing is not None:
        listing.keep(comments, everything)
    template = get_template("forum/includes/comment.html")
    shared, keys = {}, {}
    for comment in comments:
        if _own_view(comment, user, first_unread_id):
            continue
        # Only its author ever reads a comment as its author, so that view is shared by nobody
        # else, yet it is the same on every visit until the comment (or the rest) changes.
        view = f"author-{kind}" if comment.author_id == user.pk else kind
        keys[comment.pk] = "forum:comment:" + comment_digest(comment, thread, view, everything)
    found = cache.get_many(list(keys.values())) if keys else {}
    missing = {}
    for comment in comments:
        key = keys.get(comment.pk)
        if key is None:
            continue
        pieces = found.get(key)
        if pieces is None:
            pieces = _render_shared(template, comment, thread, user)
            missing[key] = pieces
        shared[comment.pk] = pieces
    if missing:
        cache.set_many(missing, timeout=FRAGMENT_TIMEOUT)
    token = get_token(request)
    next_path = str(escape(request.get_full_path()))
    parts = []
    for comment in comments:
        pieces = shared.get(comment.pk)
        if pieces is None:
            context = {"comment": comment, "thread": thread, "user": user, "request": request,
                       "first_unread_id": first_unread_id, "csrf_token": token}
            parts.append(template.render(context))
            continue
        html = pieces[1] if getattr(comment, "agreed_by_me", False) else pieces[0]
        parts.append(html.replace(CSRF_MARK, token).replace(NEXT_MARK, next_path))
    return _joined(parts)


def _joined(parts: list[str]) -> SafeString:
    """Fragments made by our own templates (autoescaping on), with only the reader's CSRF token,
    escaped page address, one-time key or unread link (built by format_html) put in."""
    return mark_safe("".join(parts))  # noqa: S308 - our own templates' output


def _own_view(comment, user, first_unread_id) -> bool:
    """Comments whose HTML is this reader's alone and not worth keeping: a reply to their own
    comment that others cannot see, and the first one they have not read."""
    if comment.pk == first_unread_id:
        return True
    parent = comment.parent if comment.parent_id else None
    return parent is not None and parent.author_id == user.pk and not parent.is_public


def _render_shared(template, comment, thread, user) -> tuple[str, str]:
    """The comment's HTML for any reader of this kind: without and with their agreement."""
    saved = getattr(comment, "agreed_by_me", False)
    # Stand-ins for the reader's own values, replaced in `comment_list_html`.
    stand_in = SimpleNamespace(get_full_path=lambda: NEXT_MARK, user=user)
    context = {"comment": comment, "thread": thread, "user": user, "first_unread_id": None,
               "csrf_token": CSRF_MARK, "request": stand_in}
    try:
        comment.agreed_by_me = False
        without = template.render(context)
        comment.agreed_by_me = True
        with_agreement = template.render(context)
    finally:
        comment.agreed_by_me = saved
    return without, with_agreement


# A thread's row for signed-in readers ------------------------------------------------------------


def shared_thread(pk: int):
    """The thread (with its theme and passage) as every reader sees it, from the cache under the
    thread's and everything's versions, or from the database (and stored). None if there is no
    such thread: the caller decides who may see it (`permissions.can_see_thread`)."""
    from forum.models import Thread

    def read():
        return Thread.objects.select_related("theme", "anchor_paragraph__section__article").filter(pk=pk).first()

    return _shared(f"forum:thread-row:{pk}", [EVERYTHING, thread_key(pk)], read)


def shared_theme(slug: str, read):
    """A theme as every reader sees it (`read()` gives it, with whatever it prefetches), from the
    cache under the theme's and everything's versions. None if there is no such theme."""
    return _shared(f"forum:theme-row:{slug}", [EVERYTHING, theme_key(slug)], read)


def _shared(key: str, version_keys: list[str], read):
    if not settings.SHARED_CACHE:
        return read()
    found, current = versions.read(version_keys, key)
    stored = found.get(key)
    if isinstance(stored, dict) and stored.get("versions") == current and "object" in stored:
        return stored["object"]
    instance = read()
    if instance is not None and versions.all_settled(current):
        cache.set(key, {"versions": current, "object": instance}, timeout=PAGE_TIMEOUT)
    return instance


# A thread page's comments for signed-in readers, without reading them again ----------------------


@dataclass(frozen=True)
class ListedComment:
    """What a page needs of one comment to assemble it from the fragment cache."""

    pk: int
    position: int
    author_id: int | None
    private_parent_author_id: int | None  # the author of a parent others cannot see
    key: str  # its fragment for readers of the page's kind
    author_key: str  # its fragment for its author


class Listing:
    """The comments of one page of a thread as a list of fragment keys, so that a signed-in
    reader's next visit to an unchanged page reads no comment rows at all: one cache round trip
    for the list, one query for which of them the reader agrees with, one for the fragments.

    Stored under the thread's and everything's versions (any change to a comment on the page, to
    an agreement or to a member's badge replaces one) and the state of the thread and theme the
    fragments were made for. It is used only when nothing on the page is the reader's alone: no
    comment they have not read, no reply to their own comment that others cannot see, and no gap
    in the positions (a comment waiting for a moderator, which its author would see). Otherwise
    the page is built from the database as before, and stored again when it can be.
    """

    def __init__(self, request, thread, page: int, per_page: int):
        self.request = request
        self.thread = thread
        self.user = request.user
        self.kind = reader_kind(self.user) if settings.SHARED_CACHE else None
        self.first = (page - 1) * per_page + 1
        self.last = min(self.first + per_page - 1, thread.last_position)
        self.key = f"forum:listing:{thread.pk}:{page}:{per_page}:{self.kind}"
        self.version_keys = [EVERYTHING, thread_key(thread.pk)]
        self.versions: list[str] | None = None

    def _state(self) -> tuple:
        return (_templates_digest(), _thread_state(self.thread))

    def html(self) -> tuple[list[ListedComment], SafeString] | None:
        """The page's comments and their HTML for this reader, or None to build them."""
        if self.kind is None:
            return None
        found, current = versions.read(self.version_keys, self.key)
        self.versions = current
        stored = found.get(self.key)
        if not isinstance(stored, dict) or stored.get("versions") != current or stored.get("state") != self._state():
            return None
        entries: list[ListedComment] = stored["comments"]
        if not self._shared_by(entries):
            return None
        agreed = self._agreed([entry.pk for entry in entries])
        keys = [entry.author_key if entry.author_id == self.user.pk else entry.key for entry in entries]
        pieces = cache.get_many(keys)
        if len(pieces) != len(set(keys)):
            return None  # a fragment has gone: build the page
        token = get_token(self.request)
        next_path = str(escape(self.request.get_full_path()))
        parts = []
        for entry, key in zip(entries, keys, strict=True):
            html = pieces[key][1] if entry.pk in agreed else pieces[key][0]
            parts.append(html.replace(CSRF_MARK, token).replace(NEXT_MARK, next_path))
        return entries, _joined(parts)

    def _shared_by(self, entries: list[ListedComment]) -> bool:
        """Whether this reader sees the page as the list was stored (see the class docstring)."""
        if not entries or [entry.position for entry in entries] != list(range(self.first, self.last + 1)):
            return False
        last_read = getattr(self.thread, "last_read_position", None)
        if last_read and entries[-1].position > last_read:
            return False
        return all(entry.private_parent_author_id != self.user.pk for entry in entries)

    def _agreed(self, comment_ids: list[int]) -> set[int]:
        from forum.models import Agreement

        mine = Agreement.objects.filter(member=self.user, comment_id__in=comment_ids)
        return set(mine.values_list("comment_id", flat=True))

    def keep(self, comments, everything: str) -> None:
        """Store the list made from `comments` (as read for this reader), when others would read
        the same: nothing on it waits for a moderator, and the versions have settled."""
        if self.kind is None or self.versions is None or not versions.all_settled(self.versions):
            return
        if self.versions[0] != everything:
            return
        if any(comment.needs_approval and not comment.is_hidden for comment in comments):
            return
        if [comment.position for comment in comments] != list(range(self.first, self.last + 1)):
            return  # a comment others cannot see is on the page: the list would never be used
        entries = []
        for comment in comments:
            parent = comment.parent if comment.parent_id else None
            private_parent = parent is not None and not parent.is_public
            entries.append(
                ListedComment(
                    pk=comment.pk,
                    position=comment.position,
                    author_id=comment.author_id,
                    private_parent_author_id=parent.author_id if private_parent else None,
                    key="forum:comment:" + comment_digest(comment, self.thread, self.kind, everything),
                    author_key="forum:comment:"
                    + comment_digest(comment, self.thread, f"author-{self.kind}", everything),
                )
            )
        stored = {"versions": self.versions, "state": self._state(), "comments": entries}
        cache.set(self.key, stored, timeout=PAGE_TIMEOUT)


# Rows of a theme's list of discussions for signed-in readers --------------------------------------

ROW_TEMPLATES = ("forum/includes/thread_row.html", "forum/includes/groups.html")


def thread_rows_html(threads) -> SafeString | None:
    """The rows of a signed-in reader's list of discussions (forum/includes/thread_row.html): each
    row from the cache, keyed by a digest of the thread's row (any change to it, from a title to
    the last activity, gives a new key), with the reader's own "N unread" link put in."""
    from forum.templatetags.forum_tags import UNREAD_MARK, unread_link_html

    if not threads:
        return None
    everything = _everything_version()
    keys = [f"forum:row:{_thread_row_digest(thread, everything)}" for thread in threads]
    found = cache.get_many(keys)
    missing = {}
    template = get_template("forum/includes/thread_row.html")
    parts = []
    for thread, key in zip(threads, keys, strict=True):
        row = found.get(key)
        if row is None:
            row = missing[key] = template.render({"thread": thread, "unread_mark": True})
        parts.append(row.replace(UNREAD_MARK, unread_link_html(thread)))
    if missing:
        cache.set_many(missing, timeout=FRAGMENT_TIMEOUT)
    return _joined(parts)


def _thread_row_digest(thread, everything: str) -> str:
    parts = (_files_digest(ROW_TEMPLATES), everything, _row(thread, ("search_vector",)))
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


# An empty reply form ------------------------------------------------------------------------------

FORM_TEMPLATES = ("forum/includes/form_fields.html", "includes/form_field.html", "forum/includes/markdown_help.html")
SUBMISSION_MARK = "cgsubmissionmark0000000000000000"


def blank_form_html(request, form) -> SafeString | None:
    """forum/includes/form_fields.html for an empty form (no text, no draft, no errors), from the
    cache: it is the same for every reader offered the same fields, but for their CSRF token and
    the form's new one-time submission key, which are put in. None when the form is not empty."""
    if form.is_bound or any(value for name, value in form.initial.items()):
        return None
    fields = tuple(
        (name, type(field).__name__, type(field.widget).__name__, str(field.label), str(field.help_text),
         field.required, repr(getattr(field, "choices", None)))
        for name, field in form.fields.items()
    )
    digest = hashlib.blake2b(repr((_files_digest(FORM_TEMPLATES), type(form).__qualname__, fields)).encode(),
                             digest_size=16).hexdigest()
    key = f"forum:blank-form:{digest}"
    token = get_token(request)
    submission_key = str(form["submission_key"].value())
    stored = cache.get(key)
    if stored is None:
        html = get_template("forum/includes/form_fields.html").render({"form": form, "csrf_token": token}, request)
        stored = html.replace(token, CSRF_MARK).replace(submission_key, SUBMISSION_MARK)
        cache.set(key, stored, timeout=PAGE_TIMEOUT)
    return _joined([stored.replace(CSRF_MARK, token).replace(SUBMISSION_MARK, submission_key)])


# A member's badge is part of every comment they wrote ---------------------------------------------

BADGE_FIELDS = ("display_name", "stakeholder_group", "organisation_name", "declared_interests",
                "affiliation_verified", "deleted_at")


def _remember_badge(sender, instance, **kwargs):
    instance._forum_badge = tuple(instance.__dict__.get(name) for name in BADGE_FIELDS)


def _badge_saved(sender, instance, created, update_fields=None, **kwargs):
    """A changed name, group, organisation or interests shows at once on every page with the
    member's comments: stored comment lists hold fragment keys made from the old badge."""
    if created or (update_fields is not None and not set(update_fields) & set(BADGE_FIELDS)):
        return
    from forum.models import Comment

    now = tuple(getattr(instance, name) for name in BADGE_FIELDS)
    if getattr(instance, "_forum_badge", now) != now and Comment.objects.filter(author=instance).exists():
        bump_everything()  # (a member who has written nothing, like one finishing sign-up, shows nowhere)
    instance._forum_badge = now


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_init, post_save

    user_model = get_user_model()
    post_init.connect(_remember_badge, sender=user_model, dispatch_uid="caching.remember_badge")
    post_save.connect(_badge_saved, sender=user_model, dispatch_uid="caching.badge_saved")
