"""A theme's brief: the printable page, and the same as a PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from forum.agreement.services import COMMON_GROUND_GROUPS
from forum.briefs import pdf
from forum.briefs.content import build_brief
from forum.models import Theme
from forum.views.region_filter import region_filter_or_400


def _brief_context(request, slug: str) -> tuple[dict, HttpResponse | None]:
    """The brief, made with the region filter from the query string (or the 400 page)."""
    theme = get_object_or_404(Theme, slug=slug)
    brief_url = reverse("forum:theme_brief", kwargs={"slug": theme.slug})
    back_text = f"Go back to the brief of “{theme.title}”"
    region_filter, refused = region_filter_or_400(request, back_url=brief_url, back_text=back_text)
    if refused is not None:
        return {}, refused
    context = {"brief": build_brief(theme, region=region_filter.region), "threshold": COMMON_GROUND_GROUPS,
               "pdf_available": pdf.available(), "region_filter": region_filter, "brief_url": brief_url}
    return context, None


@require_GET
def theme_brief(request, slug: str):
    context, refused = _brief_context(request, slug)
    return refused or render(request, "forum/briefs/brief.html", context)


@require_GET
def theme_brief_pdf(request, slug: str):
    context, refused = _brief_context(request, slug)
    if refused is not None:
        return refused
    if not pdf.available():
        return render(request, "forum/briefs/no_pdf.html", context, status=503)
    html = render_to_string("forum/briefs/brief_pdf.html", context, request=request)
    response = HttpResponse(pdf.render_pdf(html), content_type="application/pdf")
    name = f"common-ground-brief-{context['brief'].theme.slug}-{timezone.localdate():%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
