"""At most how many comments a search can match, from PostgreSQL's own statistics of the comments
table, asked before its first query: a search that can match only a few thousand comments is
answered by one query over all time, which reads them all once, instead of ranges that each
read the words' whole lists from the index (docs/performance.md, "Seventh round").

The bound is the share of comments holding the search's rarest word, times the share holding
each filter's value, times the comments: words of one search often come together ("social
care"), so the product of their shares, which PostgreSQL's planner takes, can be far too low,
while the rarest word's share never is. Filters and words are taken as independent, as the
planner takes them (for one word and filters its estimates were within 6%). The statistics are
those ANALYZE (or autovacuum) last gathered; they are read once every STATISTICS_SECONDS.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from django.db import connection

from forum.search.indexing import CONFIG

STATISTICS_SECONDS = 600
# The columns the search's GIN index holds beside the words, as a search filters them.
FILTERED_COLUMNS = ("stance", "author_group", "thread_theme_id")
_LEXEME = re.compile(r"(!?)'((?:[^']|'')*)'")


@dataclass(frozen=True)
class CommentStatistics:
    """What ANALYZE found: how many comments there are, the share holding each common word (a word
    not listed is held by fewer than `rarest_share`), and the share of each filtered column's
    common values."""

    comments: float
    word_share: dict[str, float]
    rarest_share: float
    value_share: dict[str, dict[str, float]]

    def bound(self, words: list[str], filters: dict[str, object]) -> Bound:
        """At most what share of the comments holds every one of `words` and the `filters`'
        values (a value not listed: any share)."""
        shares = [min(self.word_share.get(word, self.rarest_share) for word in words)] if words else []
        shares += [self.value_share.get(column, {}).get(str(value), 1.0) for column, value in filters.items()]
        return Bound(comments=self.comments, share=math.prod(shares))


@dataclass(frozen=True)
class Bound:
    """At most what `share` of the `comments` a search can match."""

    comments: float
    share: float

    @property
    def matches(self) -> float:
        return self.comments * self.share


_kept: tuple[float, CommentStatistics | None] | None = None


def statistics() -> CommentStatistics | None:
    """The comments' statistics, read at most once every STATISTICS_SECONDS in each process (None
    when the table was never analysed)."""
    global _kept
    now = time.monotonic()
    if _kept is None or now - _kept[0] > STATISTICS_SECONDS:
        _kept = (now, _read_statistics())
    return _kept[1]


def _read_statistics() -> CommentStatistics | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.attname, s.most_common_vals::text::text[], s.most_common_freqs, "
            "s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples FROM pg_class c "
            "JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = c.relname AND s.attname = ANY(%s) "
            "WHERE c.oid = 'forum_comment'::regclass",
            [["search_vector", *FILTERED_COLUMNS]],
        )
        rows = cursor.fetchall()
    words = next((row for row in rows if row[0] == "search_vector"), None)
    if words is None or not words[3]:  # never analysed
        return None
    comments = words[5]
    word_freqs = words[4]  # the words' shares, then the least and the greatest of them
    return CommentStatistics(
        comments=comments,
        word_share=dict(zip(words[3], word_freqs, strict=False)),
        rarest_share=word_freqs[len(words[3])],
        value_share={name: dict(zip(values or (), freqs or (), strict=True))
                     for name, values, freqs, *_rest in rows if name != "search_vector"},
    )


def required_words(text: str) -> list[str] | None:
    """The words (lexemes) every comment matching `text` (a search box's words) must hold, as
    PostgreSQL reads them; None when that cannot be told from the query alone (either-or words,
    a left-out phrase) or it holds no word."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [CONFIG, text])
        tsquery = cursor.fetchone()[0]
    if "|" in tsquery or "!(" in tsquery:
        return None
    words = [word.replace("''", "'") for negated, word in _LEXEME.findall(tsquery) if not negated]
    return words or None


def bound(text: str, filters: dict[str, object]) -> Bound | None:
    """At most how many comments can match the words `text` and the `filters` (column: value of
    FILTERED_COLUMNS); None when not known (no statistics yet, or words that can be left out)."""
    known = statistics()
    if known is None:
        return None
    words = required_words(text) if text else []
    return None if words is None else known.bound(words, filters)
