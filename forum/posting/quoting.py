"""Quoting another comment: the Markdown a Quote link puts in the reply box, and what of it the
saved comment records as the quoted passage."""

from __future__ import annotations

import re
from html import unescape

from django.utils.html import strip_tags

QUOTE_MAX_CHARS = 1_000
_BLOCK_END = re.compile(r"</(?:p|li|blockquote|h[1-6]|pre|td|th)>|<br\s*/?>", re.IGNORECASE)


def extract_quote(body: str) -> str:
    """The text of the first Markdown blockquote in `body` (how a quoted passage is recorded)."""
    lines: list[str] = []
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            lines.append(re.sub(r"^\s*>\s?", "", line))
        elif lines:
            break
    quote = "\n".join(lines).strip()
    # The attribution line the quote link adds is not part of the quoted passage.
    quote = re.sub(r'^@"[^"\n]*" wrote:\s*', "", quote)
    return quote[:QUOTE_MAX_CHARS]


def quoted_part(comment, part: str) -> str | None:
    """`part` when it is words of the comment as readers see it (its text without markup, spaces
    evened out), else None: a quote link may carry the words a member selected."""
    part = " ".join((part or "").split())[:QUOTE_MAX_CHARS]
    if len(part) < 2:
        return None
    html = _BLOCK_END.sub(" ", comment.body_html or "")  # paragraphs and items read apart
    shown = " ".join(unescape(strip_tags(html)).split())
    return part if part in shown else None


def quote_as_markdown(comment, passage: str | None = None) -> str:
    """The Markdown blockquote a quote link puts in the reply form, attributed with a mention."""
    text = (passage or comment.body).strip()[:QUOTE_MAX_CHARS]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())
    return f'> @"{comment.author_name}" wrote:\n>\n{quoted}\n\n'
