"""Shared helpers for the source-text tests: the original texts and the page's visible text."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bs4 import BeautifulSoup
from django.core.management import call_command

from articles.content import CONTENT_DIR

# The texts as they were copied from the web, page furniture and all, kept beside the tests so
# they run anywhere.
SEEDS_DIR = Path(__file__).resolve().parent / "seeds"
SEED_FILES = {
    "unified-health-service": SEEDS_DIR / "unified-health-service.txt",
    "collaboration-under-threat": SEEDS_DIR / "collaboration-under-threat.txt",
}
# Lines that belong to the web page the text was copied from, not to the text.
FURNITURE_LINES = (
    "iStock / Getty Images Plus / fedrelena",
    "Next article",
    "top of page",
    "bottom of page",
    "Next articletop of page",
)
FURNITURE_PREFIXES = ("Home » ",)
FOOTNOTE_LINE = re.compile(r"^\[(\d+)\]\s+(https?://\S+)$")
# The masthead line prints publication and date together; the page gives them as "in X, Y".
MASTHEADS = {"Supporting the NHS Q1 2022": "Supporting the NHS, Q1 2022"}
SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z‘“(])")


def normalise(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) to one space."""
    return " ".join(text.split())


def seed_lines(slug: str) -> list[str]:
    text = SEED_FILES[slug].read_text(encoding="utf-8")
    return [normalise(line) for line in text.splitlines() if normalise(line)]


def is_furniture(line: str) -> bool:
    return line in FURNITURE_LINES or line.startswith(FURNITURE_PREFIXES)


def seed_sentences(slug: str) -> list[str]:
    """Every sentence of the original text, without page furniture, masthead or footnote lines."""
    sentences: list[str] = []
    for line in seed_lines(slug):
        if is_furniture(line) or line in MASTHEADS or FOOTNOTE_LINE.match(line):
            continue
        sentences.extend(SENTENCE_END.split(line))
    return sentences


def seed_footnotes(slug: str) -> dict[int, str]:
    return {
        int(match.group(1)): match.group(2)
        for line in seed_lines(slug)
        if (match := FOOTNOTE_LINE.match(line))
    }


def main_text(html: str, *, drop_tools: bool = True) -> str:
    """What a sighted reader sees in <main>: hidden helper text and paragraph links left out."""
    main = BeautifulSoup(html, "html.parser").find("main")
    for hidden in main.select(".nhsuk-u-visually-hidden"):
        hidden.decompose()
    if drop_tools:
        for tools in main.select(".cg-paragraph-tools"):
            tools.decompose()
    return normalise(main.get_text())


def import_bundled_articles() -> str:
    """Import the bundled content files; return what the command printed."""
    out = io.StringIO()
    call_command("import_articles", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def bundled_file(slug: str) -> Path:
    return CONTENT_DIR / f"{slug}.md"
