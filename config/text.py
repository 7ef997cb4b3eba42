"""Plain-text clean-up shared by every app: one-line values such as titles.

A title is shown in headings, page titles, feeds and email subjects, where a line break or other
control character either breaks the layout or, in an email header, stops the message
(`BadHeaderError`). `one_line()` turns each run of control characters and whitespace into one
space, so what was typed is kept, on one line.
"""

from __future__ import annotations

import re

# Whitespace (Unicode's, so line and paragraph separators too) and the control characters (Cc).
_RUN = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


def one_line(value: str | None) -> str:
    """`value` on one line: runs of whitespace and control characters become one space."""
    return _RUN.sub(" ", value or "").strip()
