"""Check the forum's stored counters against the rows they count, and repair them.

`forum.posting.counters` keeps the counters with F() expressions under row locks, so they should never drift;
this is the check that proves it (and the fix if a bug, a manual SQL change or a restore from an
inconsistent backup ever makes them drift). `manage.py check_counters [--repair]` runs it.

What "true" means for each counter:

- Thread: `comment_count` = its published comments (not hidden, not waiting, not deleted);
  `last_position` at least the highest position used (positions are never reused, so a higher
  value is fine); `participant_groups` includes the group each published comment was written
  for (a group stays once it has taken part, so extra groups are not drift);
  `last_activity_at` no earlier than its newest published comment.
- Theme and paragraph figures: from the theme's (or paragraph's) published threads:
  `thread_count`, `comment_count` (their true comment counts), `participant_groups` (the union
  of theirs) and `last_activity_at` (the latest of theirs).
- Comment: its vote figures = its Agreement rows (each carries the vote, and the group the member
  had when voting and whether it was verified): `agree_count`, `agree_groups`,
  `agree_groups_verified`, `disagree_count`, `disagree_groups`, and from them `consensus`,
  `is_common_ground` and `is_contested` (forum.agreement.consensus).
- Copies kept on each comment for search: `thread_theme` = its discussion's theme, and
  `author_group` and `author_region` empty once the writer's account is erased (kind "copy";
  otherwise they are the group and region as posted, which nothing else can check).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from forum import events
from forum.agreement.consensus import consensus, is_common_ground, is_contested
from forum.models import Agreement, Comment, ParagraphDiscussion, Theme, Thread, VoteValue

__all__ = ["Drift", "find_drift", "repair_drift"]

PUBLISHED = Q(is_hidden=False, needs_approval=False, is_deleted=False)
PUBLISHED_IN_THREAD = Q(comments__is_hidden=False, comments__needs_approval=False, comments__is_deleted=False)


@dataclass
class Drift:
    """One stored counter that does not match what it counts."""

    kind: str  # "thread", "theme", "paragraph", "comment" or "copy"
    pk: object
    label: str
    field: str
    stored: object
    expected: object

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.label}): {self.field} is {self.stored!r}, should be {self.expected!r}"


@dataclass
class _Facts:
    pk: object
    label: str
    stored: dict
    expected: dict
    theme_id: int | None = None
    paragraph_id: int | None = None
    public: bool = True
    extra: dict = field(default_factory=dict)

    def drift(self, kind: str) -> list[Drift]:
        return [
            Drift(kind, self.pk, self.label, name, self.stored.get(name), value)
            for name, value in self.expected.items()
            if self.stored.get(name) != value
        ]


def _thread_facts(where: Q | None = None) -> dict[int, _Facts]:
    where = where if where is not None else Q()
    rows = (
        Thread.objects.filter(where)
        .annotate(
            real_count=Count("comments", filter=PUBLISHED_IN_THREAD),
            top_position=Max("comments__position"),
            newest=Max("comments__created_at", filter=PUBLISHED_IN_THREAD),
        )
        .values(
            "pk", "title", "theme_id", "anchor_paragraph_id", "is_hidden", "needs_approval", "comment_count",
            "last_position", "participant_groups", "last_activity_at", "real_count", "top_position", "newest",
        )
        .order_by("pk")
    )
    facts: dict[int, _Facts] = {}
    for row in rows:
        stored = {
            "comment_count": row["comment_count"],
            "last_position": row["last_position"],
            "participant_groups": sorted(row["participant_groups"] or []),
            "last_activity_at": row["last_activity_at"],
        }
        newest = row["newest"]
        last_activity = row["last_activity_at"]
        if newest is not None and (last_activity is None or last_activity < newest):
            last_activity = newest
        facts[row["pk"]] = _Facts(
            pk=row["pk"],
            label=row["title"][:60],
            stored=stored,
            expected={
                "comment_count": row["real_count"],
                "last_position": max(row["last_position"], row["top_position"] or 0),
                "participant_groups": stored["participant_groups"],  # completed below
                "last_activity_at": last_activity,
            },
            theme_id=row["theme_id"],
            paragraph_id=row["anchor_paragraph_id"],
            public=not row["is_hidden"] and not row["needs_approval"],
        )
    if facts:
        authors = (
            Comment.objects.filter(PUBLISHED, thread__in=Thread.objects.filter(where))
            .exclude(author__isnull=True)
            .exclude(author_group="")
            .values_list("thread_id", "author_group")  # the group each comment was written for
            .distinct()
        )
        groups: dict[int, set[str]] = defaultdict(set)
        for thread_id, group in authors:
            groups[thread_id].add(group)
        for thread_id, found in groups.items():
            if thread_id in facts:
                expected = facts[thread_id].expected
                expected["participant_groups"] = sorted(set(expected["participant_groups"]) | found)
    return facts


def _rollup(threads) -> dict:
    """Figures for a theme or paragraph from the true figures of its threads."""
    published = [t for t in threads if t.public]
    groups: set[str] = set()
    for thread in published:
        groups.update(thread.expected["participant_groups"])
    activity = [t.expected["last_activity_at"] for t in published if t.expected["last_activity_at"] is not None]
    return {
        "thread_count": len(published),
        "comment_count": sum(t.expected["comment_count"] for t in published),
        "participant_groups": sorted(groups),
        "last_activity_at": max(activity) if activity else None,
    }


def _stored_rollup(row) -> dict:
    return {
        "thread_count": row.thread_count,
        "comment_count": row.comment_count,
        "participant_groups": sorted(row.participant_groups or []),
        "last_activity_at": row.last_activity_at,
    }


def _theme_facts(threads: dict[int, _Facts], themes) -> dict[int, _Facts]:
    by_theme = defaultdict(list)
    for thread in threads.values():
        by_theme[thread.theme_id].append(thread)
    return {
        theme.pk: _Facts(theme.pk, theme.title[:60], _stored_rollup(theme), _rollup(by_theme[theme.pk]))
        for theme in themes
    }


def _paragraph_facts(threads: dict[int, _Facts], rows, *, missing_for=None) -> dict[int, _Facts]:
    """Figures per paragraph; `missing_for` also reports paragraphs with published threads and no row."""
    by_paragraph = defaultdict(list)
    for thread in threads.values():
        if thread.paragraph_id:
            by_paragraph[thread.paragraph_id].append(thread)
    facts = {
        row.pk: _Facts(row.pk, f"paragraph {row.pk}", _stored_rollup(row), _rollup(by_paragraph[row.pk]))
        for row in rows
    }
    if missing_for is not None:
        for paragraph_id, anchored in by_paragraph.items():
            expected = _rollup(anchored)
            if paragraph_id not in facts and expected["thread_count"]:
                empty = {"thread_count": None, "comment_count": None, "participant_groups": None,
                         "last_activity_at": None}
                facts[paragraph_id] = _Facts(paragraph_id, f"paragraph {paragraph_id} (no figures row)", empty,
                                             expected, extra={"missing": True})
    return facts


_VOTE_FIGURES = ("agree_count", "agree_groups", "agree_groups_verified", "disagree_count", "disagree_groups",
                 "consensus", "is_common_ground", "is_contested")


def _vote_figures(agrees: dict, verified: dict, disagrees: dict, concerns: dict | None = None) -> dict:
    """What a comment's vote figures should be, from its votes counted by group (and the concern
    replies counted on it, for contested)."""
    return {
        "agree_count": sum(agrees.values()),
        "agree_groups": agrees,
        "agree_groups_verified": verified,
        "disagree_count": sum(disagrees.values()),
        "disagree_groups": disagrees,
        "consensus": round(consensus(agrees, disagrees), 12),
        "is_common_ground": is_common_ground(agrees),
        "is_contested": is_contested(agrees, disagrees, concerns),
    }


def _comment_facts(where: Q | None = None) -> dict[int, _Facts]:
    where = where if where is not None else Q()
    counted = defaultdict(lambda: ({}, {}, {}))  # agrees, verified agrees, disagrees by group
    for comment_id, vote, group, verified, number in (
        Agreement.objects.filter(comment__in=Comment.objects.filter(where))
        .values_list("comment_id", "vote", "stakeholder_group", "group_verified")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        agrees, verified_agrees, disagrees = counted[comment_id]
        tally = agrees if vote == VoteValue.AGREE else disagrees
        tally[group] = tally.get(group, 0) + number
        if vote == VoteValue.AGREE and verified:
            verified_agrees[group] = verified_agrees.get(group, 0) + number
    candidates = Comment.objects.filter(where).filter(
        Q(pk__in=Agreement.objects.values("comment_id"))
        | ~Q(agree_count=0)
        | ~Q(disagree_count=0)
        | Q(is_common_ground=True)
        | Q(is_contested=True)
        | ~Q(agree_groups={})
        | ~Q(disagree_groups={})
        | ~Q(agree_groups_verified={})
        | ~Q(concern_groups={})
    )
    facts = {}
    for comment in candidates.only("pk", "thread_id", "concern_groups", *_VOTE_FIGURES):
        stored = {name: getattr(comment, name) for name in _VOTE_FIGURES}
        for name in ("agree_groups", "agree_groups_verified", "disagree_groups"):
            stored[name] = dict(stored[name] or {})
        stored["consensus"] = round(stored["consensus"], 12)
        facts[comment.pk] = _Facts(
            comment.pk, f"in thread {comment.thread_id}", stored,
            _vote_figures(*counted[comment.pk], concerns=comment.concern_groups),
        )
    return facts


def _copy_drift(where: Q | None = None) -> list[Drift]:
    """Comments whose copies (the discussion's theme, the writer's group and region) no longer
    match the discussion and the writer they were copied from."""
    comments = Comment.objects.filter(where if where is not None else Q())
    drift = [
        Drift("copy", pk, f"in thread {thread_id}", "thread_theme_id", stored, expected)
        for pk, thread_id, stored, expected in comments.exclude(thread_theme_id=F("thread__theme_id"))
        .values_list("pk", "thread_id", "thread_theme_id", "thread__theme_id")
        .order_by("pk")
    ]
    drift += [
        Drift("copy", pk, f"in thread {thread_id}", "author_group", stored, "")
        for pk, thread_id, stored in comments.filter(author__deleted_at__isnull=False)
        .exclude(author_group="")
        .values_list("pk", "thread_id", "author_group")
        .order_by("pk")
    ]
    drift += [
        Drift("copy", pk, f"in thread {thread_id}", "author_region_id", stored, None)
        for pk, thread_id, stored in comments.filter(author__deleted_at__isnull=False, author_region__isnull=False)
        .values_list("pk", "thread_id", "author_region_id")
        .order_by("pk")
    ]
    return drift


def find_drift() -> list[Drift]:
    """Every counter that does not match its rows, threads first (a read-only check)."""
    threads = _thread_facts()
    drift: list[Drift] = []
    for facts in threads.values():
        drift += facts.drift("thread")
    for facts in _theme_facts(threads, Theme.objects.all()).values():
        drift += facts.drift("theme")
    for facts in _paragraph_facts(threads, ParagraphDiscussion.objects.all(), missing_for=True).values():
        drift += facts.drift("paragraph")
    for facts in _comment_facts().values():
        drift += facts.drift("comment")
    return drift + _copy_drift()


def repair_drift(drift: list[Drift]) -> int:
    """Set each drifted counter to its true value; returns how many objects were rewritten.

    Each object is recomputed with its row locked, the same lock posting takes, so a comment
    posted during the repair is counted once, never lost or counted twice.
    """
    repaired = 0
    ids = defaultdict(set)
    for item in drift:
        ids[item.kind].add(item.pk)
    for thread_id in sorted(ids["thread"]):
        with transaction.atomic():
            if list(Thread.objects.select_for_update().filter(pk=thread_id).values_list("pk", flat=True)):
                facts = _thread_facts(Q(pk=thread_id))[thread_id]
                Thread.objects.filter(pk=thread_id).update(**facts.expected)
                repaired += 1
    for theme_id in sorted(ids["theme"]):
        with transaction.atomic():
            theme = Theme.objects.select_for_update().filter(pk=theme_id).first()
            if theme is not None:
                facts = _theme_facts(_thread_facts(Q(theme_id=theme_id)), [theme])[theme_id]
                Theme.objects.filter(pk=theme_id).update(**facts.expected)
                repaired += 1
    for paragraph_id in sorted(ids["paragraph"]):
        with transaction.atomic():
            row, _created = ParagraphDiscussion.objects.select_for_update().get_or_create(paragraph_id=paragraph_id)
            facts = _paragraph_facts(_thread_facts(Q(anchor_paragraph_id=paragraph_id)), [row])[paragraph_id]
            ParagraphDiscussion.objects.filter(pk=paragraph_id).update(**facts.expected)
            repaired += 1
    for comment_id in sorted(ids["comment"]):
        with transaction.atomic():
            comment = Comment.objects.select_for_update(of=("self",)).filter(pk=comment_id).first()
            if comment is None:
                continue
            facts = _comment_facts(Q(pk=comment_id)).get(comment_id)
            if facts is None:
                continue
            changes = dict(facts.expected)
            if changes["is_common_ground"] and comment.common_ground_at is None:
                changes["common_ground_at"] = timezone.now()
            Comment.objects.filter(pk=comment_id).update(**changes)
            repaired += 1
    for comment_id in sorted(ids["copy"]):
        with transaction.atomic():
            comment = Comment.objects.select_for_update(of=("self",)).select_related("thread", "author").filter(
                pk=comment_id
            ).first()
            if comment is None:
                continue
            changes = {"thread_theme_id": comment.thread.theme_id}
            if comment.author is not None and comment.author.is_former_member:
                changes.update(author_group="", author_group_verified=False, author_region=None)
            Comment.objects.filter(pk=comment_id).update(**changes)
            repaired += 1
    if repaired:
        events.forum_changed.send(reason="counters repaired")  # cached pages show the figures just corrected
    return repaired
