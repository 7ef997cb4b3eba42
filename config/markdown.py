"""Markdown to safe HTML, shared by the source texts and the forum.

markdown-it-py runs with raw HTML off (the `js-default` preset: CommonMark with tables and
strikethrough, no HTML), then `nh3` cleans the result against an allowlist. The output is stored
beside the Markdown it came from; templates never render Markdown per request. `RENDERER_VERSION`
is stored with each rendering so a command can re-render when the rules change.
"""

from __future__ import annotations

from importlib import metadata

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

RENDERER_VERSION = f"1+nh3-{metadata.version('nh3')}"

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
    md = MarkdownIt("js-default", {"linkify": True, "typographer": False})
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


def render_markdown(source: str) -> str:
    """Render untrusted Markdown to HTML that is safe to store and print."""
    return sanitise_html(_shift_headings(_parser.render(source or "")))


def render_inline(source: str) -> str:
    return sanitise_html(_parser.renderInline(source or ""))
