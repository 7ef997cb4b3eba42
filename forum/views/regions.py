"""A region's page: its needs and offers on the map, its members by stakeholder group, and the
themes its members discuss."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Region
from forum.agreement.voices import region_missing_voices
from forum.models import Comment, MapEntry, group_labels
from forum.planning.grid import MapFilters

LISTED = 10


def get_region(code: str) -> Region:
    region = Region.objects.filter(code=code.upper()).first()
    if region is None:
        raise Http404("No such region.")
    return region


def members_by_group(region) -> list[tuple[str, int]]:
    """(group label, members) for the members who set this region, largest group first."""
    counts = (
        get_user_model().objects.filter(region=region, is_active=True, deleted_at__isnull=True)
        .exclude(stakeholder_group="").order_by().values("stakeholder_group").annotate(count=Count("pk"))
    )
    found = {row["stakeholder_group"]: row["count"] for row in counts}
    labelled = [(group_labels([code])[0], found[code]) for code in found if group_labels([code])]
    return sorted(labelled, key=lambda pair: -pair[1])


def themes_discussed(region) -> list[dict]:
    """The themes the region's members have written most in (readable comments)."""
    return list(
        Comment.objects.readable().filter(author_region=region, thread_theme__isnull=False)
        .order_by().values("thread_theme__slug", "thread_theme__title")
        .annotate(comments=Count("pk")).order_by("-comments", "thread_theme__title")[:LISTED]
    )


@require_GET
def region_detail(request, code: str):
    region = get_region(code)
    filters = MapFilters(region=region)
    entries = (
        filters.apply(MapEntry.objects.on_map())
        .select_related("thread", "stage", "opening")
        .order_by("-seen_groups", "-created_at", "-pk")
    )
    context = {
        "region": region,
        "needs": list(entries.needs()[:LISTED]),
        "offers": list(entries.offers()[:LISTED]),
        "members": members_by_group(region),
        "themes": themes_discussed(region),
        "missing_voices": region_missing_voices(region),
        "query": f"region={region.code}",
    }
    return render(request, "forum/planning/region.html", context)
