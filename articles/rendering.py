"""Markdown for the source texts: the shared renderer plus footnote reference markers.

A source text marks a footnote with `[^1]` straight after the words it supports, as the printed
article set a superscript "1". The shared renderer (config.markdown) leaves the marker as literal
text; after sanitising we swap it for a superscript link to the reference list. The link is built
here from the digits alone, so nothing from the source reaches the page unsanitised.
"""

from __future__ import annotations

import re

from config.markdown import RENDERER_VERSION, render_markdown

__all__ = ["FOOTNOTE_MARKER", "RENDERER_VERSION", "footnote_numbers", "render_source_markdown"]

# `[^1]` survives markdown-it and nh3 unchanged (no link definition matches it).
FOOTNOTE_MARKER = re.compile(r"\[\^(\d{1,3})\]")


def footnote_numbers(text: str) -> list[int]:
    return [int(number) for number in FOOTNOTE_MARKER.findall(text)]


def _footnote_link(match: re.Match) -> str:
    number = int(match.group(1))
    return (
        f'<sup class="cg-footnote"><a href="#ref-{number}">'
        f'<span class="nhsuk-u-visually-hidden">Reference </span>{number}</a></sup>'
    )


def render_source_markdown(text: str) -> str:
    """Render a source text's Markdown to sanitised HTML with footnote markers as links."""
    return FOOTNOTE_MARKER.sub(_footnote_link, render_markdown(text))
