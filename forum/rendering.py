"""Comment bodies to stored HTML: Markdown through config.markdown, then @mentions become links.

Mention syntax (documented in the comment form's help text and docs/forum.md):

- `@"Display Name"` — any display name, spaces included;
- `@Display_Name` — underscores stand for spaces, so `@Priya_Shah` mentions “Priya Shah”;
- `@Priya` — a one-word display name.

Names match regardless of case, spaces and punctuation (display names are unique in that
folded form). A mention of no active member stays plain text. Mentions inside code, links and quotes of
code are left alone because linking works on the rendered HTML's text, not on the Markdown.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from accounts.models import User
from accounts.validators import name_key
from config.markdown import render_markdown, sanitise_html

MENTION_RE = re.compile(
    r"""(?<![\w@])@(?:"(?P<quoted>[^"\n]{1,50})"|(?P<plain>[^\W_](?:[\w'’.-]{0,48}[^\W_.'’-])?))""",
)
# Inside these elements text is left exactly as written.
_NO_MENTION_TAGS = {"a", "code", "pre"}
_VOID_TAGS = {"br", "hr"}


def _normalise(name: str) -> str:
    """The folded form display names are unique in (case, spaces and punctuation ignored)."""
    return name_key(name)


def _mention_name(match: re.Match) -> str:
    if match.group("quoted") is not None:
        return " ".join(match.group("quoted").split())
    return match.group("plain").replace("_", " ")


def extract_mentions(body: str) -> list[str]:
    """Display names mentioned in `body`, in order of first appearance, without duplicates."""
    seen: dict[str, str] = {}
    for match in MENTION_RE.finditer(body or ""):
        name = _mention_name(match)
        if _normalise(name):
            seen.setdefault(_normalise(name), name)
    return list(seen.values())


def resolve_mentions(names: list[str]) -> dict[str, object]:
    """Map each mentioned name's folded form to the active member it names, in one query.

    Display names are unique by their folded form (`accounts.validators.name_key`: case, spaces
    and punctuation ignored), so `@Priya_Shah`, `@"priya shah"` and `@"Priya Shah"` all name the
    same member and a name can never be ambiguous.
    """
    if not names:
        return {}
    keys = {_normalise(name) for name in names} - {""}
    members = User.objects.filter(display_name_key__in=keys, is_active=True, deleted_at__isnull=True)
    return {member.display_name_key: member for member in members}


class _MentionLinker(HTMLParser):
    """Rewrites sanitised HTML, turning mentions in ordinary text into profile links."""

    def __init__(self, members: dict[str, object]):
        super().__init__(convert_charrefs=True)
        self.members = members
        self.out: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in _NO_MENTION_TAGS and tag not in _VOID_TAGS:
            self.skip_depth += 1

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in _NO_MENTION_TAGS and self.skip_depth:
            self.skip_depth -= 1

    def handle_data(self, data):
        if self.skip_depth:
            self.out.append(escape(data, quote=False))
            return
        position = 0
        for match in MENTION_RE.finditer(data):
            member = self.members.get(_normalise(_mention_name(match)))
            if member is None:
                continue
            self.out.append(escape(data[position : match.start()], quote=False))
            url = escape(member.get_absolute_url())
            self.out.append(f'<a href="{url}">@{escape(member.display_name, quote=False)}</a>')
            position = match.end()
        self.out.append(escape(data[position:], quote=False))

    def result(self) -> str:
        return "".join(self.out)


def link_mentions(html: str, members: dict[str, object]) -> str:
    if not members:
        return html
    linker = _MentionLinker(members)
    linker.feed(html)
    linker.close()
    # The output is run through the sanitiser again so this step can never widen what is allowed.
    return sanitise_html(linker.result())


def rename_mentions(body: str, name: str, replacement: str) -> str:
    """`body` with every mention of `name` (in any of its spellings, quote attributions included)
    replaced by the plain words `replacement`: for a member whose account was erased."""
    key = _normalise(name)
    if not key:
        return body
    return MENTION_RE.sub(lambda match: replacement if _normalise(_mention_name(match)) == key else match[0], body)


def render_comment(body: str) -> tuple[str, list]:
    """Render a comment body to safe HTML; return it with the members it mentions."""
    html = render_markdown(body)
    names = extract_mentions(body)
    members = resolve_mentions(names)
    return link_mentions(html, members), list(members.values())
