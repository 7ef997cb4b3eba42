"""Comment bodies to stored HTML: Markdown through config.markdown, then @mentions become links.

Mention syntax (documented in the comment form's help text and docs/forum.md):

- `@"Display Name"` — any display name, spaces included;
- `@Display_Name` — underscores stand for spaces, so `@Priya_Shah` mentions “Priya Shah”;
- `@Priya` — a one-word display name.

Names match regardless of case. A mention becomes a link only when exactly one active member
has that display name; otherwise it stays plain text. Mentions inside code, links and quotes of
code are left alone because linking works on the rendered HTML's text, not on the Markdown.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from config.markdown import render_markdown, sanitise_html

MENTION_RE = re.compile(
    r"""(?<![\w@])@(?:"(?P<quoted>[^"\n]{1,50})"|(?P<plain>[^\W_](?:[\w'’.-]{0,48}[^\W_.'’-])?))""",
)
# Inside these elements text is left exactly as written.
_NO_MENTION_TAGS = {"a", "code", "pre"}
_VOID_TAGS = {"br", "hr"}


def _normalise(name: str) -> str:
    return " ".join(name.split()).casefold()


def _mention_name(match: re.Match) -> str:
    if match.group("quoted") is not None:
        return " ".join(match.group("quoted").split())
    return match.group("plain").replace("_", " ")


def extract_mentions(body: str) -> list[str]:
    """Display names mentioned in `body`, in order of first appearance, without duplicates."""
    seen: dict[str, str] = {}
    for match in MENTION_RE.finditer(body or ""):
        name = _mention_name(match)
        if name.strip():
            seen.setdefault(_normalise(name), name)
    return list(seen.values())


def resolve_mentions(names: list[str]) -> dict[str, object]:
    """Map each normalised name to the one active member who has it (ambiguous names dropped)."""
    if not names:
        return {}
    from django.db.models.functions import Lower

    from accounts.models import User

    wanted = {_normalise(name) for name in names}
    found: dict[str, list] = {}
    members = User.objects.annotate(name_ci=Lower("display_name")).filter(name_ci__in=wanted, is_active=True)
    for member in members:
        found.setdefault(_normalise(member.display_name), []).append(member)
    return {name: users[0] for name, users in found.items() if len(users) == 1}


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


def render_comment(body: str) -> tuple[str, list]:
    """Render a comment body to safe HTML; return it with the members it mentions."""
    html = render_markdown(body)
    names = extract_mentions(body)
    members = resolve_mentions(names)
    return link_mentions(html, members), list(members.values())
