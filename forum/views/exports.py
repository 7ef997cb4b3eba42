"""Downloading the discussion as CSV or JSON: one theme, or every theme at once."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from forum import exports, permissions
from forum.models import Theme
from forum.views.region_filter import region_filter_or_400

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


def check_export_allowed(request) -> None:
    """403 with the reason when this member may not download (see EXPORT_REQUIRES_GROUP)."""
    if reason := permissions.export_refusal(request.user):
        raise PermissionDenied(reason)


def _region_filter_or_400(request):
    return region_filter_or_400(request, back_url=reverse("forum:exports"), back_text="Go to the downloads")


def _download(fmt: str, comments, *, name: str, scope: str, region) -> StreamingHttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404("Downloads come as .csv or .json.")
    rows = exports.iterate(comments)
    body = exports.stream_csv(rows) if fmt == "csv" else exports.stream_json(rows, scope=scope, region=region)
    response = StreamingHttpResponse(body, content_type=CONTENT_TYPES[fmt])
    if region is not None:
        name = f"{name}-{region.code}"
    filename = f"common-ground-{name}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def export_list(request):
    check_export_allowed(request)
    region_filter, refused = _region_filter_or_400(request)
    if refused is not None:
        return refused
    context = {"themes": Theme.objects.listed(), "columns": exports.column_meanings(), "region_filter": region_filter}
    return render(request, "forum/exports.html", context)


@login_required
@require_GET
def theme_export(request, slug: str, fmt: str):
    check_export_allowed(request)
    theme = get_object_or_404(Theme, slug=slug)
    region_filter, refused = _region_filter_or_400(request)
    if refused is not None:
        return refused
    region = region_filter.region
    return _download(fmt, exports.exported_comments(theme, region), name=theme.slug, scope=theme.slug, region=region)


@login_required
@require_GET
def all_themes_export(request, fmt: str):
    check_export_allowed(request)
    region_filter, refused = _region_filter_or_400(request)
    if refused is not None:
        return refused
    region = region_filter.region
    return _download(fmt, exports.exported_comments(None, region), name="all-themes", scope="all-themes", region=region)
