"""Search snippets, made safe: the database (or, on SQLite, `python_snippet`) marks matches with
two control characters; `highlight()` escapes all the text and only then turns those marks into
balanced <mark> tags, so nothing a member wrote becomes markup. Snippets quote the stored HTML's
text, so Markdown syntax does not show.
"""

from __future__ import annotations

import re
from html import unescape

from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

START, STOP = "\x02", "\x03"
MAX_WORDS = 12  # the SQLite fallback's limit on words matched one by one
SNIPPET_CHARS = 240

_MARKS = re.compile(f"([{START}{STOP}])")
_CONTROL = re.compile(f"[{START}{STOP}]")


def without_marks(text: str) -> str:
    """`text` without the two mark characters (a query must not carry them)."""
    return _CONTROL.sub("", text or "")


def highlight(marked: str) -> SafeString:
    """Escape `marked` and turn its START/STOP marks into <mark> tags, always balanced."""
    parts: list[str] = []
    inside = False
    for piece in _MARKS.split(marked or ""):
        if piece == START:
            if not inside:
                parts.append("<mark>")
                inside = True
        elif piece == STOP:
            if inside:
                parts.append("</mark>")
                inside = False
        elif piece:
            parts.append(str(escape(piece)))
    if inside:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above was escaped


def plain_text(html: str) -> str:
    """The words of stored comment HTML, without its tags or entities (what snippets quote)."""
    return unescape(strip_tags(html or ""))


def _plain(text: str) -> str:
    return " ".join(without_marks(text).split())


def mark_words(text: str, words: list[str]) -> str:
    """Put START/STOP around each occurrence of `words` (ignoring case) in plain text."""
    words = [w for w in words if w]
    if not words:
        return text
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    return pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", text)


def python_snippet(text: str, words: list[str], length: int = SNIPPET_CHARS) -> str:
    """A marked excerpt of `text` around the first of `words` it contains (SQLite's snippets)."""
    text = _plain(text)
    lowered = text.lower()
    hits = [lowered.find(w.lower()) for w in words if w and w.lower() in lowered]
    start = max(min(hits) - length // 3, 0) if hits else 0
    excerpt = text[start : start + length]
    if start > 0:
        cut = excerpt.find(" ")
        excerpt = "… " + (excerpt[cut + 1 :] if 0 <= cut < 30 else excerpt)
    if start + length < len(text):
        excerpt = excerpt.rsplit(" ", 1)[0] + " …"
    return mark_words(excerpt, words)


def query_words(q: str) -> list[str]:
    """The words of a query for the SQLite fallback: quotes and a leading minus are ignored."""
    words = [w.strip("\"'").lstrip("-") for w in q.split()]
    return [w for w in words if w and w.lower() != "or"][:MAX_WORDS]
