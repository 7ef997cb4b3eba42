"""Quoting another comment: the Markdown a Quote link puts in the reply box, and what of it the
saved comment records as the quoted passage."""

from __future__ import annotations

import re
from html import unescape

from django.utils.html import strip_tags

QUOTE_MAX_CHARS = 1_000
REMOVED_QUOTE = "This quote’s comment was removed."
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


def without_quote(body: str) -> str:
    """`body` with its first blockquote (the quoted passage and its attribution, as `extract_quote`
    finds it) replaced by a note that the quoted comment was removed."""
    lines = body.splitlines()
    start = next((number for number, line in enumerate(lines) if _quoting(line)), None)
    if start is None:
        return body
    end = start
    while end < len(lines) and _quoting(lines[end]):
        end += 1
    return "\n".join([*lines[:start], f"> *{REMOVED_QUOTE}*", *lines[end:]])


def _quoting(line: str) -> bool:
    return line.lstrip().startswith(">")


def _own_words(body: str) -> str:
    """`body` without its quotes of other comments, so quoting it never carries a third party's words."""
    return "\n".join(line for line in body.splitlines() if not _quoting(line)).strip()


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
    text = (passage or _own_words(comment.body)).strip()[:QUOTE_MAX_CHARS]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())
    return f'> @"{comment.author_name}" wrote:\n>\n{quoted}\n\n'
