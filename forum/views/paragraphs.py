"""Discussing one paragraph of a source text."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from forum import permissions, reliability, services
from forum.forms import ParagraphThreadForm
from forum.models import Theme, Thread
from forum.views.access import get_paragraph
from forum.views.common import start_thread_form


def themes_for_paragraph(paragraph) -> tuple[list[Theme], bool]:
    """Open themes a discussion of this paragraph can go in, and whether they draw on it.

    The themes that quote the paragraph (or its section) come first; when none of them is
    open, every open theme is offered.
    """
    drawing = list(Theme.objects.accepting_posts().drawing_on(paragraph).order_by("position", "title"))
    if drawing:
        return drawing, True
    return list(Theme.objects.accepting_posts().order_by("position", "title")), False


@require_http_methods(["GET", "POST"])
def paragraph_discuss(request, key: str):
    paragraph = get_paragraph(key)
    themes, themes_draw_on_it = themes_for_paragraph(paragraph)
    response, form_context = start_thread_form(
        request,
        context=reliability.paragraph_context(paragraph),
        make_form=lambda data, initial: ParagraphThreadForm(data, initial=initial, user=request.user, themes=themes),
        start=lambda form: services.start_thread(
            theme=form.get_theme(form.cleaned_data),
            author=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            stance=form.cleaned_data["stance"],
            paragraph=paragraph,
        ),
        fallback=paragraph.get_absolute_url(),
    )
    if response is not None:
        return response
    discussions = list(
        Thread.objects.visible_to(request.user)
        .filter(anchor_paragraph=paragraph)
        .select_related("theme")
        .in_theme_order()
        .with_unread_count(request.user)
    )
    refusal = permissions.participation_refusal(request.user)
    if not refusal and not themes:
        refusal = "No theme is open for discussion at the moment, so a new discussion cannot be started."
    return render(
        request,
        "forum/paragraph_discuss.html",
        {
            "paragraph": paragraph,
            "article": paragraph.section.article,
            "themes": themes,
            "themes_draw_on_it": themes_draw_on_it,
            "discussions": discussions,
            **form_context,
            "refusal": refusal,
        },
    )
