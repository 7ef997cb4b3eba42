"""Rows shared by every signed-in reader: a discussion's and a theme's row as everyone sees them,
the rows of a theme's list of discussions, and the empty reply form.

Each is stored under the versions of what it shows, or keyed by a digest of the row it was made
from, and the reader's own parts (their unread link, CSRF token, one-time form key) are put in per
request.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString

from config import versions
from forum.agreement.voices import theme_missing_voices
from forum.cache.digest import FRAGMENT_TIMEOUT, PAGE_TIMEOUT, digest, files_digest, joined, row, site_templates_digest
from forum.cache.fragments import CSRF_MARK
from forum.cache.versions import EVERYTHING, MAP, SEARCH, THEMES, everything_version, theme_key, thread_key
from forum.models import Thread
from forum.models.core import page_for_position

UNREAD_MARK = "cgunreadmark000000000000"
MAP_TEMPLATES = (
    "forum/planning/includes/map_content.html",
    "forum/planning/includes/map_body.html",
    "forum/includes/groups.html",
    "includes/form_field.html",
)


def thread_row_key(pk: int) -> str:
    return f"forum:thread-row:{pk}"


def shared_thread(pk: int, *, ahead=None):
    """The thread (with its theme and passage) as every reader sees it, from the cache under the
    thread's and everything's versions, or from the database (and stored). None if there is no
    such thread: the caller decides who may see it (`permissions.can_see_thread`). `ahead` as for
    `shared_theme`, with `thread_row_key(pk)`."""

    def read():
        related = ("theme", "anchor_paragraph__section__article", "map_entry")
        return Thread.objects.select_related(*related).filter(pk=pk).first()

    return _shared(thread_row_key(pk), [EVERYTHING, thread_key(pk)], read, ahead)


def theme_row_key(slug: str) -> str:
    return f"forum:theme-row:{slug}"


def shared_theme(slug: str, read, *, ahead=None):
    """A theme as every reader sees it (`read()` gives it, with whatever it prefetches), from the
    cache under the theme's and everything's versions. None if there is no such theme. `ahead`:
    (entries found, the current versions of everything and the theme) from a round trip the
    caller made with `theme_row_key(slug)` among its keys."""
    return _shared(theme_row_key(slug), [EVERYTHING, theme_key(slug)], read, ahead)


def shared_map_html(filters_key: str, render) -> str:
    """The planning map's grid and lists as every reader sees them for one set of filters
    (`render()` makes the HTML, which holds no reader's own parts), under the versions of
    everything, the themes and the map; a change to its templates gives it a new key."""
    templates = files_digest(MAP_TEMPLATES)
    return _shared(f"forum:map:{digest((templates, filters_key))}", [EVERYTHING, THEMES, MAP], render)


SEARCH_FORM_TEMPLATES = (
    "forum/includes/search_form.html",
    "includes/form_field.html",
    "includes/error_summary.html",
)
SEARCH_TEMPLATES = ("forum/includes/search_body.html", "forum/includes/pagination.html", *SEARCH_FORM_TEMPLATES)


def shared_search_form(asked: str, render) -> dict:
    """The search form as filled in by `asked` (the query string, less the page), with what it
    gives the search: the same for every reader (`render()` makes it). It shows the themes, whose
    titles and slugs change only with EVERYTHING, so it is kept under that version alone, and a
    new comment leaves it; a change to its templates gives it a new key."""
    # Keyed by the code too: it holds the criteria as objects, which another release may not read.
    made_by = (site_templates_digest(), files_digest(SEARCH_FORM_TEMPLATES))
    return _shared(f"forum:search-form:{digest((made_by, asked))}", [EVERYTHING], render)


def shared_search_page(readers: str, path: str, render) -> dict:
    """The search page's title and body (form and results) as every reader of one kind sees them
    (`forum.search.query.readers_like`) at one address, whose query string is the search;
    `render()` makes them, with no reader's own parts. Kept under the versions of everything, the
    themes and the search windows: every change to a comment, a discussion or a theme renews
    THEMES (`forum.cache.renewal`: posted, edited, deleted, agreed with, coded, moderated), a
    moderation action on a member or a filter renews SEARCH, and a member's badge or an erased
    account renews EVERYTHING. A change to the templates gives new keys."""
    templates = files_digest(SEARCH_TEMPLATES)
    return _shared(f"forum:search:{digest((templates, readers, path))}", [EVERYTHING, THEMES, SEARCH], render)


def shared_search_window(readers: str, criteria_key: str, find, bring_up_to_date):
    """A search's window of newest matches (`forum.search.query.FoundWindow`) as every reader of
    one kind finds it, kept for all its pages: `find()` works it out afresh, and a kept one is
    passed to `bring_up_to_date(window)`, which adds the comments written since (one query over
    them alone) and is stored again when it found any. Kept under the versions of everything and
    of SEARCH, which what changes a comment already written renews, and a new comment does not
    (`forum.cache.renewal`)."""
    # Keyed by the code too: another release (a rolling deploy) may not read this one's windows.
    key = f"forum:search-window:{digest((site_templates_digest(), readers, criteria_key))}"
    return _shared(key, [EVERYTHING, SEARCH], find, bring_up_to_date=bring_up_to_date)


def shared_own_waiting(user, look_up) -> bool:
    """Whether `user` wrote a comment or discussion that waits for a moderator (`look_up(user)`
    asks the database), under the versions of everything, the themes and the search windows:
    posting one, and approving or hiding it, renew THEMES (a member's moderation, SEARCH). Saves a
    signed-in search a query."""
    return _shared(f"forum:own-waiting:{user.pk}", [EVERYTHING, THEMES, SEARCH],
                   lambda: {"waiting": look_up(user)})["waiting"]


def shared_missing_voices(theme):
    """The theme's missing voices (`agreement.voices`), under the versions of everything, the
    themes (any comment anywhere moves the members' shares) and the theme."""
    return _shared(f"forum:voices:{theme.slug}", [EVERYTHING, THEMES, theme_key(theme.slug)],
                   lambda: theme_missing_voices(theme))


def _shared(key: str, version_keys: list[str], read, ahead=None, *, bring_up_to_date=None):
    """The object kept under `key` while `version_keys` keep the versions it was stored under, or
    `read()` (stored once the versions have settled). `ahead`: (entries found, current versions)
    from a round trip the caller made with `key` among its keys. `bring_up_to_date(kept)`: gives
    the kept object itself when nothing changed, or a new one, which is stored in its place."""
    if not settings.SHARED_CACHE:
        return read()
    found, current = ahead if ahead is not None else versions.read(version_keys, key)
    stored = found.get(key)
    if isinstance(stored, dict) and stored.get("versions") == current and "object" in stored:
        if bring_up_to_date is None:
            return stored["object"]
        instance = bring_up_to_date(stored["object"])
        if instance is stored["object"]:
            return instance
    else:
        instance = read()
    if instance is not None and versions.all_settled(current):
        cache.set(key, {"versions": current, "object": instance}, timeout=PAGE_TIMEOUT)
    return instance


# A signed-in reader's "N unread" link under a discussion's title ----------------------------------


def first_unread_url(thread) -> str:
    """Where an "N unread" link goes: the first unread comment, or the start for a new thread."""
    last_read = getattr(thread, "last_read_position", None)
    if not last_read:
        return thread.get_absolute_url()
    return thread.first_unread_url(last_read) or thread.get_absolute_url()


def unread_link_html(thread) -> str:
    """The reader's "N unread" link for a discussion annotated with `unread_count` and
    `last_read_position`."""
    return unread_link(thread.get_absolute_url(), escape(thread.title), thread.last_position,
                       getattr(thread, "last_read_position", None) or 0)


def unread_link(url: str, escaped_title: str, last_position: int, last_read: int) -> str:
    """The link from what it is made of (the theme page's stored rows keep just these): to the
    first comment after `last_read`, or to the start of a discussion never read."""
    count = max(last_position - last_read, 0)
    if not count:
        return ""
    if last_read:
        page = page_for_position(last_read + 1)
        url = f"{url if page <= 1 else f'{url}?page={page}'}#first-unread"
    go_to_first = " – go to the first" if last_read else ""
    return (f'<br><a class="nhsuk-body-s" href="{escape(url)}">{count} unread<span class="nhsuk-u-visually-hidden">'
            f" in {escaped_title}</span>{go_to_first}</a>")


# Rows of a theme's list of discussions for signed-in readers --------------------------------------

ROW_TEMPLATES = ("forum/includes/thread_row.html", "forum/includes/groups.html")


def thread_rows_html(threads) -> SafeString | None:
    """The rows of a signed-in reader's list of discussions (forum/includes/thread_row.html): each
    row from the cache, keyed by a digest of the thread's row (any change to it, from a title to
    the last activity, gives a new key), with the reader's own "N unread" link put in."""
    return thread_rows_marked(threads, slot=unread_link_html)


def thread_rows_marked(threads, *, slot) -> SafeString | None:
    """The rows as above, with `slot(thread)` where the reader's unread link goes."""
    if not threads:
        return None
    everything = everything_version()
    keys = [f"forum:row:{_thread_row_digest(thread, everything)}" for thread in threads]
    found = cache.get_many(keys)
    missing = {}
    template = get_template("forum/includes/thread_row.html")
    parts = []
    for thread, key in zip(threads, keys, strict=True):
        row = found.get(key)
        if row is None:
            row = missing[key] = template.render({"thread": thread, "unread_mark": True})
        parts.append(row.replace(UNREAD_MARK, slot(thread)))
    if missing:
        cache.set_many(missing, timeout=FRAGMENT_TIMEOUT)
    return joined(parts)


def _thread_row_digest(thread, everything: str) -> str:
    return digest((files_digest(ROW_TEMPLATES), everything, row(thread, ("search_vector",))))


# An empty reply form ------------------------------------------------------------------------------

FORM_TEMPLATES = ("forum/includes/form_fields.html", "includes/form_field.html", "forum/includes/markdown_help.html")
SUBMISSION_MARK = "cgsubmissionmark0000000000000000"


def form_signature(form) -> str:
    """A digest of the fields an empty form offers (a facilitator is offered more) and of the
    templates it is drawn with."""
    fields = tuple(
        (name, type(field).__name__, type(field.widget).__name__, str(field.label), str(field.help_text),
         field.required, repr(getattr(field, "choices", None)))
        for name, field in form.fields.items()
    )
    return digest((files_digest(FORM_TEMPLATES), type(form).__qualname__, fields))


def blank_form_html(request, form) -> SafeString | None:
    """forum/includes/form_fields.html for an empty form (no text, no draft, no errors), from the
    cache: it is the same for every reader offered the same fields, but for their CSRF token and
    the form's new one-time submission key, which are put in. None when the form is not empty."""
    if form.is_bound or any(value for name, value in form.initial.items()):
        return None
    key = f"forum:blank-form:{form_signature(form)}"
    token = get_token(request)
    submission_key = str(form["submission_key"].value())
    stored = cache.get(key)
    if stored is None:
        html = get_template("forum/includes/form_fields.html").render({"form": form, "csrf_token": token}, request)
        stored = html.replace(token, CSRF_MARK).replace(submission_key, SUBMISSION_MARK)
        cache.set(key, stored, timeout=PAGE_TIMEOUT)
    return joined([stored.replace(CSRF_MARK, token).replace(SUBMISSION_MARK, submission_key)])
