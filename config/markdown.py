"""Markdown to safe HTML, shared by the source texts and the forum.

markdown-it-py runs with raw HTML off (the `js-default` preset: CommonMark with tables and
strikethrough, no HTML), then `nh3` cleans the result against an allowlist. The output is stored
beside the Markdown it came from; templates never render Markdown per request. `RENDERER_VERSION`
is stored with each rendering so a command can re-render when the rules change.

Nesting is capped twice, so hostile Markdown (thousands of nested emphasis markers, quotes or
lists) cannot build a tree deeper than browsers and HTML tools handle: markdown-it's `maxNesting`
stops block nesting at `MAX_BLOCK_NESTING` levels, and `limit_depth()` drops the tags (never the
words) of any element deeper than `MAX_DEPTH` in the sanitised HTML; emphasis is paired after
parsing, so only the second check catches it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from importlib import metadata

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

RENDERER_VERSION = f"2+nh3-{metadata.version('nh3')}"
MAX_BLOCK_NESTING = 20
MAX_DEPTH = 32

ALLOWED_TAGS = {
    "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s",
    "ul", "ol", "li", "a", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "sup",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"


def _image_as_link(self, tokens, idx, options, env):
    """Images are off: show the alt text as a link to the image instead."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt)}</a>'


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("js-default", {"linkify": True, "typographer": False, "maxNesting": MAX_BLOCK_NESTING})
    md.enable(["table", "strikethrough", "linkify"])
    md.add_render_rule("image", _image_as_link)
    # Headings inside comments start at h2: the page owns h1.
    return md


_parser = _build_parser()


def _shift_headings(html: str) -> str:
    return html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


_VOID_TAGS = {"br", "hr"}
# Elements whose children must be elements: kept only with room for those children below them.
_ROOM_FOR_CHILDREN = {"ul": 1, "ol": 1, "tr": 1, "thead": 2, "tbody": 2, "table": 3}


class _DepthLimiter(HTMLParser):
    """Copies sanitised HTML unchanged except for the tags nested deeper than MAX_DEPTH, which are
    left out with their words kept."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.kept: list[bool] = []  # for each open element, whether its tags were kept
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in _VOID_TAGS:
            self.parts.append(self.get_starttag_text())
            return
        keep = self.depth + 1 + _ROOM_FOR_CHILDREN.get(tag, 0) <= MAX_DEPTH and all(self.kept[-1:])
        self.kept.append(keep)
        if keep:
            self.depth += 1
            self.parts.append(self.get_starttag_text())

    def handle_startendtag(self, tag, attrs):
        self.parts.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if tag in _VOID_TAGS or not self.kept:
            return
        if self.kept.pop():
            self.depth -= 1
            self.parts.append(f"</{tag}>")

    def handle_data(self, data):
        self.parts.append(data)

    def handle_entityref(self, name):
        self.parts.append(f"&{name};")

    def handle_charref(self, name):
        self.parts.append(f"&#{name};")


def limit_depth(html: str) -> str:
    """`html` (sanitised, so well formed) with no element deeper than MAX_DEPTH; the words stay."""
    if html.count("<") <= MAX_DEPTH:  # too few tags to be that deep: the usual case, left alone
        return html
    limiter = _DepthLimiter()
    limiter.feed(html)
    limiter.close()
    return "".join(limiter.parts)


def render_markdown(source: str) -> str:
    """Render untrusted Markdown to HTML that is safe to store and print."""
    return limit_depth(sanitise_html(_shift_headings(_parser.render(source or ""))))


def render_inline(source: str) -> str:
    return sanitise_html(_parser.renderInline(source or ""))
