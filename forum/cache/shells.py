"""Whole pages for signed-in readers, stored once per page, version and kind of reader, with each
reader's own parts left as marks and put in per request.

A page made for one reader is stored as segments: the HTML every reader of its kind gets, between
marks for what is theirs alone. The marks are

- the CSRF token, the CSP nonce and the reply form's one-time key (`CSRF_MARK`, `NONCE_MARK`,
  `SUBMISSION_MARK`), swapped for this request's own;
- parts (`{% reader_part "template.html" %}`, config/templatetags/shells.py): the header with
  the reader's name and counts, their follow button, their unread link. The template is rendered
  again per request with a small context (the context processors and what the view passes);
- slots (`slot_mark(name)`): the page fills them (with text or UTF-8), e.g. a comment in the
  reader's vote state, or their "N unread" link under a discussion's title.

The stored page is used only while the versions it was made under are current (one round trip
with them, like `AnonymousPage`) and its `state` (what the page shows that no version covers, such
as the templates and the reader's refusal) is the same. The caller decides which readers and
requests may share a page: nothing of theirs may be in it outside the marks.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import Context, engines
from django.utils.functional import empty

from config import versions
from config.templatetags.shells import PART_PREFIX, PART_SUFFIX
from forum.cache.digest import PAGE_TIMEOUT, digest, site_templates_digest
from forum.cache.fragments import CSRF_MARK
from forum.cache.pages import CACHEABLE_PARAMS, NONCE_MARK, request_nonce
from forum.cache.rows import SUBMISSION_MARK
from forum.cache.versions import EVERYTHING

logger = logging.getLogger(__name__)

SLOT_PREFIX = "cgslotmark:"
SLOT_SUFFIX = ":endslot"
# Names are matched lazily: marks often follow one another ("…:endslotcgslotmark:…").
_MARKS = re.compile(
    f"({CSRF_MARK}|{NONCE_MARK}|{SUBMISSION_MARK}|{PART_PREFIX}[\\w/.-]+?{PART_SUFFIX}|{SLOT_PREFIX}[\\w:.-]+?{SLOT_SUFFIX})"
)


_FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{32,64}"')
_LEFT_TOKEN = re.compile(r'csrfmiddlewaretoken" value="(?!cgcsrfmark)')


def slot_mark(name: str) -> str:
    """The mark a page leaves where the reader's own `name` goes (`Shell.fill` asks for it)."""
    return f"{SLOT_PREFIX}{name}{SLOT_SUFFIX}"


def plain_request(request, *, params=CACHEABLE_PARAMS) -> bool:
    """A signed-in GET with nothing of the reader's own waiting in it: no query parameters but the
    page number (or but `params`; None when the caller keys its pages by them all), no messages to
    show."""
    if request.method != "GET" or (params is not None and not set(request.GET) <= params):
        return False
    if "messages" in request.COOKIES:
        return False
    session = getattr(request, "session", None)
    return session is None or "_messages" not in session


@dataclass
class Stored:
    """A page as stored: its segments (UTF-8 text, or a mark's kind and name) and what the page
    keeps with it to fill its slots."""

    segments: list
    data: dict = field(default_factory=dict)


class Shell:
    """One page's stored copy for readers of one kind.

        shell = Shell(request, "thread:12:1:member:…", [thread_key(12)], state=(...))
        stored = shell.get()
        if stored is None:
            html = render the page with parts and slots as marks; shell.keep(html, data)
        response = shell.fill(stored, parts_context, slot=lambda name: ...)
    """

    def __init__(self, request, name: str, version_keys: list[str], *, state=(), key_state=None, local=True):
        """`local`: keep the stored page in the process's memory too (`config.versions.read`):
        for pages many readers share, not one member's own."""
        self.request = request
        state = (site_templates_digest(), state)
        self.key = shell_key(name, state if key_state is None else key_state)
        self.local = (self.key,) if local else ()
        self.version_keys = [EVERYTHING, *version_keys]
        self.state = state
        self.usable = bool(settings.SHARED_CACHE)
        self.versions: list[str] | None = None

    @cached_property
    def token(self) -> str:
        """The request's CSRF token, once (each `get_token` call masks it anew)."""
        return get_token(self.request)

    def get(self, read=None) -> Stored | None:
        """The stored page, when it was made under the current versions and state. `read` is the
        answer of a round trip the caller made already: (entries found, the current versions of
        this shell's version keys), with this shell's key among those asked for."""
        if not self.usable:
            return None
        found, self.versions = (
            read if read is not None else versions.read(self.version_keys, self.key, local=self.local)
        )
        entry = found.get(self.key)
        if not isinstance(entry, dict) or entry.get("versions") != self.versions or entry.get("state") != self.state:
            return None
        return entry["page"]

    def make(self, html: str, *, submission_key: str = "", data: dict | None = None,
             keep: bool = True) -> Stored | None:
        """Split a page rendered for this reader into segments (their token, nonce and one-time
        key made marks), and store it when the versions have settled (and `keep`: the caller's
        own conditions hold). None (and nothing stored) if a CSRF token were left in it."""
        # Every CSRF token in the page: each `get_token` call masks the reader's secret anew, so
        # a form the templates drew holds a token other than `self.token`. None may be stored:
        # another reader given this reader's token could unmask their secret.
        html = _FORM_TOKEN.sub(f'name="csrfmiddlewaretoken" value="{CSRF_MARK}"', html)
        for own, mark in ((self.token, CSRF_MARK), (request_nonce(self.request), NONCE_MARK),
                          (submission_key, SUBMISSION_MARK)):
            if own:
                html = html.replace(own, mark)
        if _LEFT_TOKEN.search(html):
            logger.warning("Page %s not stored: it holds a CSRF token outside a form field", self.key)
            return None
        stored = Stored(segments=_segments(html), data=data or {})
        if keep and self.usable and self.versions is not None and versions.all_settled(self.versions):
            cache.set(self.key, {"versions": self.versions, "state": self.state, "page": stored}, timeout=PAGE_TIMEOUT)
        return stored

    def fill(self, stored: Stored, parts: dict, *, slot=None, submission_key: str = "", rendered=None) -> HttpResponse:
        """The page for this reader: marks replaced by their token, nonce and key, each part
        rendered with `parts` (and the context processors), each slot by `slot(name)`.

        `rendered`: parts already made for this reader, by name, with `CSRF_MARK` for their token;
        the parts rendered here are added to it the same way, for the caller to keep."""
        context = _parts_context(self.request, {**parts, "user": _unwrapped(parts.get("user", self.request.user)),
                                                "csrf_token": self.token})
        own = {"csrf": self.token.encode(), "nonce": request_nonce(self.request).encode(),
               "submission": submission_key.encode()}
        out = []
        for segment in stored.segments:
            if isinstance(segment, bytes):
                out.append(segment)
            elif segment[0] == "part":
                out.append(self._part(segment[1], context, rendered).encode())
            elif segment[0] == "slot":
                filled = slot(segment[1]) if slot else b""
                out.append(filled if isinstance(filled, bytes) else filled.encode())
            else:
                out.append(own[segment[0]])
        return HttpResponse(b"".join(out))

    def _part(self, name: str, context: Context, rendered: dict | None) -> str:
        if rendered is not None and name in rendered:
            return rendered[name].replace(CSRF_MARK, self.token)
        html = _render_part(name, context)
        if rendered is not None:
            rendered[name] = html.replace(self.token, CSRF_MARK)
        return html


def shell_key(name: str, key_state) -> str:
    """The key of a page's stored copy: its name and what it is made for (`key_state`; what is
    known only later, such as the row it shows, may be checked against the copy's `state`)."""
    return "forum:shell:" + digest((name, site_templates_digest(), key_state))


def whole_page(request, name: str, version_keys: list[str], render) -> HttpResponse | None:
    """A page whose only parts of the reader's own are the `reader_part`s (the header's account
    links): the same stored copy for every signed-in reader, or None when the request is not a
    plain one. `render()` gives the page's HTML, rendered with `shell_marks`."""
    if not request.user.is_authenticated or not plain_request(request):
        return None
    shell = Shell(request, name, version_keys)
    stored = shell.get()
    if stored is None and (stored := shell.make(render())) is None:
        return None
    return shell.fill(stored, {"user": request.user})


def _unwrapped(user):
    """The user behind request.user's lazy wrapper (already loaded by now): the parts' templates
    read it dozens of times, and each read through the wrapper costs a call."""
    wrapped = getattr(user, "_wrapped", empty)
    return user if wrapped is empty else wrapped


def _segments(html: str) -> list:
    """Text (as UTF-8, which is what the response sends, and what the cache unpickles fastest)
    and marks, in order: ("csrf", ""), ("nonce", ""), ("submission", ""), ("part", name),
    ("slot", name)."""
    segments = []
    for index, piece in enumerate(_MARKS.split(html)):
        if index % 2 == 0:
            if piece:
                segments.append(piece.encode())
        elif piece == CSRF_MARK:
            segments.append(("csrf", ""))
        elif piece == NONCE_MARK:
            segments.append(("nonce", ""))
        elif piece == SUBMISSION_MARK:
            segments.append(("submission", ""))
        elif piece.startswith(PART_PREFIX):
            segments.append(("part", piece[len(PART_PREFIX):-len(PART_SUFFIX)]))
        else:
            segments.append(("slot", piece[len(SLOT_PREFIX):-len(SLOT_SUFFIX)]))
    return segments


def _parts_context(request, parts: dict) -> Context:
    """One context for every part of the page: the context processors' values, then `parts`."""
    engine = engines["django"].engine
    values = {}
    for processor in engine.template_context_processors:
        values.update(processor(request))
    values.update(parts)
    values["request"] = request
    return Context(values, autoescape=engine.autoescape)


def _render_part(name: str, context: Context) -> str:
    template = engines["django"].engine.get_template(name)
    with context.push():
        return template.render(context)
