"""Downloads of the discussion as CSV and JSON, for one theme or for every theme.

Only what anyone can read on the site is exported: published comments, not deleted, in
published discussions (`Comment.objects.readable()`). Rows are read with `.iterator()` and
written as they come, so a large export streams in constant memory.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, or a tab or
carriage return) are prefixed with a single quote. JSON needs no such care and keeps the text
exactly as written.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.utils import timezone

from accounts.models import StakeholderGroup
from forum.models import Comment

GROUP_CODES = [code for code, _label in StakeholderGroup.choices]
_GROUP_LABELS = dict(StakeholderGroup.choices)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 1000

CSV_HEADER = [
    "theme",
    "thread_id",
    "thread_title",
    "comment_id",
    "position",
    "permalink",
    "paragraph_key",
    "paragraph_anchor",
    "paragraph_url",
    "author",
    "group",
    "verification",
    "organisation",
    "region_code",
    "region",
    "stance",
    "agree_count",
    *[f"agree_{code}" for code in GROUP_CODES],
    "disagree_count",
    *[f"disagree_{code}" for code in GROUP_CODES],
    "consensus",
    "common_ground",
    "contested",
    "codes",
    "created_at",
    "edited_at",
    "text",
]


_MEANINGS = {
    "theme": "The theme the discussion belongs to.",
    "thread_id": "The discussion's number on the site.",
    "thread_title": "The discussion's title.",
    "comment_id": "The comment's number on the site.",
    "position": "Where the comment comes in its discussion: 1 is the opening comment.",
    "permalink": "A link that always leads to the comment.",
    "paragraph_key": "The stable key of the source-text paragraph the discussion is about, if any.",
    "paragraph_anchor": "That paragraph's place on its page (the part after # in its link).",
    "paragraph_url": "A link to that paragraph.",
    "author": "The writer's display name, or “Former member”.",
    "group": "The stakeholder group the writer spoke for when posting the comment.",
    "verification": "“verified group” when that group was verified when posting, “self-declared” otherwise.",
    "organisation": "The organisation the writer names on their profile.",
    "region_code": (
        "The ONS code of the region the writer was in when posting (an integrated care board, or E92000001 for"
        " England-wide), if they gave one."
    ),
    "region": "That region's name.",
    "stance": "The tag the writer gave the comment: Support, Concern, Question or Evidence.",
    "agree_count": "How many members agree with the comment.",
    "disagree_count": "How many members disagree with the comment.",
    "consensus": "Group-informed consensus: the product over the named groups of (agree + 1) / (agree + disagree + 2).",
    "common_ground": "“yes” when members of three or more named stakeholder groups (not “Other”) agree with it.",
    "contested": "“yes” when one named group mostly agrees with it and another mostly disagrees.",
    "codes": "The codes facilitators applied to the comment, separated by semicolons.",
    "created_at": "When the comment was posted (ISO 8601, UTC).",
    "edited_at": "When it was last edited, if it was.",
    "text": "The comment as written, in Markdown.",
}


def column_meanings() -> list[tuple[str, str]]:
    """Each CSV column with a sentence on what it holds (the JSON fields are the same)."""
    meanings = []
    for name in CSV_HEADER:
        verb, _sep, code = name.partition("_")
        if verb in ("agree", "disagree") and code != "count":
            meanings.append((name, f"How many members of the group “{_GROUP_LABELS[code]}” {verb} with it."))
        else:
            meanings.append((name, _MEANINGS[name]))
    return meanings


def exported_comments(theme=None, region=None):
    """The comments an export contains, in reading order, with everything a row prints joined.
    With a region, only the comments its members wrote (the region as posted)."""
    comments = Comment.objects.readable().written_in(region)
    if theme is not None:
        comments = comments.filter(thread__theme=theme)
    return (
        comments.select_related("thread__theme", "thread__anchor_paragraph", "author", "author_region")
        .order_by("thread__theme__position", "thread__theme__title", "thread_id", "position")
    )


def absolute(path: str) -> str:
    """A site path as a full address, using SITE_URL (requests can come through a proxy)."""
    if not path:
        return ""
    return f"{settings.SITE_URL}{path}"


def _iso(value) -> str:
    return value.isoformat() if value else ""


def comment_record(comment) -> dict:
    """One comment as a JSON-ready dict; the CSV row is built from the same record."""
    thread = comment.thread
    author = comment.author
    present = author is not None and not author.is_former_member
    paragraph = thread.anchor_paragraph
    groups = comment.agree_groups or {}
    against = comment.disagree_groups or {}
    region = comment.author_region  # emptied when the account is erased
    return {
        "theme": thread.theme.title,
        "theme_slug": thread.theme.slug,
        "thread_id": thread.pk,
        "thread_title": thread.title,
        "comment_id": comment.pk,
        "position": comment.position,
        "permalink": absolute(comment.get_absolute_url()),
        "paragraph_key": thread.anchor_key,
        "paragraph_anchor": paragraph.anchor if paragraph is not None else "",
        "paragraph_url": absolute(thread.anchor_url),
        "author": comment.author_name,
        "group": _GROUP_LABELS.get(comment.author_group, "") if present else "",
        "group_code": comment.author_group if present else "",
        "verification": _verification(comment) if present and comment.author_group else "",
        "organisation": author.organisation_name if present else "",
        "region_code": region.code if region is not None else "",
        "region": region.name if region is not None else "",
        "stance": comment.get_stance_display() if comment.stance else "",
        "agree_count": comment.agree_count,
        "agree_groups": {code: int(groups.get(code, 0)) for code in GROUP_CODES},
        "disagree_count": comment.disagree_count,
        "disagree_groups": {code: int(against.get(code, 0)) for code in GROUP_CODES},
        "consensus": round(comment.consensus, 6),
        "common_ground": comment.is_common_ground,
        "contested": comment.is_contested,
        "codes": [code["label"] for code in comment.codes or []],
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
        "text": comment.body,
    }


def _verification(comment) -> str:
    return "verified group" if comment.author_group_verified else "self-declared"


def safe_cell(value):
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_row(record: dict) -> list:
    row = [
        record["theme"],
        record["thread_id"],
        record["thread_title"],
        record["comment_id"],
        record["position"],
        record["permalink"],
        record["paragraph_key"],
        record["paragraph_anchor"],
        record["paragraph_url"],
        record["author"],
        record["group"],
        record["verification"],
        record["organisation"],
        record["region_code"],
        record["region"],
        record["stance"],
        record["agree_count"],
        *[record["agree_groups"][code] for code in GROUP_CODES],
        record["disagree_count"],
        *[record["disagree_groups"][code] for code in GROUP_CODES],
        record["consensus"],
        "yes" if record["common_ground"] else "no",
        "yes" if record["contested"] else "no",
        "; ".join(record["codes"]),
        record["created_at"],
        record["edited_at"],
        record["text"],
    ]
    return [safe_cell(value) for value in row]


class Echo:
    """A file-like object whose write() returns what it was given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def stream_csv(comments: Iterable) -> Iterator[str]:
    """The CSV, a line at a time. Starts with a byte-order mark so spreadsheets read UTF-8."""
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    for comment in comments:
        yield writer.writerow(csv_row(comment_record(comment)))


def stream_json(comments: Iterable, *, scope: str, region=None) -> Iterator[str]:
    """One JSON document, written a comment at a time: {"scope", "region", "exported_at", "site",
    "comments": [...]}; "region" is the ONS code the download was narrowed to, or null."""
    head = json.dumps({
        "scope": scope, "region": region.code if region is not None else None,
        "exported_at": _iso(timezone.now()), "site": settings.SITE_URL,
    })
    yield head[:-1] + ', "comments": ['
    separator = "\n"
    for comment in comments:
        yield separator + json.dumps(comment_record(comment), ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"


def iterate(comments):
    """Read the rows in chunks (a server-side cursor on PostgreSQL) instead of all at once."""
    return comments.iterator(chunk_size=CHUNK_SIZE)
