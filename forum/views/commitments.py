"""Every commitment the facilitators' responses made, across the themes, with its status: the
public "you said, we did" record."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby

from django.shortcuts import render
from django.views.decorators.http import require_GET

from forum.cache.pages import AnonymousPage
from forum.models import Commitment, CommitmentStatus, Theme


@dataclass
class ThemeCommitments:
    theme: Theme
    commitments: list = field(default_factory=list)


def by_theme(commitments) -> list[ThemeCommitments]:
    """Commitments (ordered by theme) gathered under their theme, in the themes' reading order."""
    return [ThemeCommitments(theme, list(group)) for theme, group in groupby(commitments, key=lambda c: c.theme)]


def status_counts(commitments) -> list[tuple[str, int]]:
    """How many commitments have each status, in the statuses' order, leaving out those with none."""
    counts = Counter(commitment.status for commitment in commitments)
    return [(label, counts[value]) for value, label in CommitmentStatus.choices if counts[value]]


@require_GET
def commitment_list(request):
    """All commitments, by theme, each with its status and dated updates. Anonymous readers get the
    whole page from the cache; any moderation action on a theme (a response, an update) renews it."""
    cached = AnonymousPage(request)
    commitments = list(
        Commitment.objects.select_related("theme").with_updates()
        .order_by("theme__position", "theme__title", "theme_id", "due_on", "pk")
    )
    context = {"groups": by_theme(commitments), "counts": status_counts(commitments)}
    return cached.keep(render(request, "forum/commitment_list.html", context))
