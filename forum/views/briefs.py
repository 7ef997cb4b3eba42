"""A theme's brief: the printable page, and the same as a PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from forum.agreement.services import COMMON_GROUND_GROUPS
from forum.briefs import pdf
from forum.briefs.content import build_brief
from forum.models import Theme


def _brief_context(slug: str) -> dict:
    theme = get_object_or_404(Theme, slug=slug)
    return {"brief": build_brief(theme), "threshold": COMMON_GROUND_GROUPS, "pdf_available": pdf.available()}


@require_GET
def theme_brief(request, slug: str):
    return render(request, "forum/briefs/brief.html", _brief_context(slug))


@require_GET
def theme_brief_pdf(request, slug: str):
    context = _brief_context(slug)
    if not pdf.available():
        return render(request, "forum/briefs/no_pdf.html", context, status=503)
    html = render_to_string("forum/briefs/brief_pdf.html", context, request=request)
    response = HttpResponse(pdf.render_pdf(html), content_type="application/pdf")
    name = f"common-ground-brief-{context['brief'].theme.slug}-{timezone.localdate():%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
