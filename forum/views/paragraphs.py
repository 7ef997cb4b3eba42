"""Discussing one paragraph of a source text."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from forum import permissions, reliability, services
from forum.forms import ParagraphThreadForm
from forum.models import Theme, Thread
from forum.views.access import get_paragraph
from forum.views.common import preview_html, wants_preview


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
    context = reliability.paragraph_context(paragraph)
    restored = reliability.Restored()
    if request.method == "POST":
        if not request.user.is_authenticated:  # signed out while writing: keep the text
            return reliability.hold_for_sign_in(
                request, context=context, title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                next_url=request.get_full_path(),
            )
    else:
        restored = reliability.restore(request, context)
    themes, themes_draw_on_it = themes_for_paragraph(paragraph)
    discussions = list(
        Thread.objects.visible_to(request.user)
        .filter(anchor_paragraph=paragraph)
        .select_related("theme")
        .in_theme_order()
        .with_unread_count(request.user)
    )
    initial = {"title": restored.title, "body": restored.body} if restored else None
    form = ParagraphThreadForm(request.POST or None, initial=initial, user=request.user, themes=themes)
    preview = None
    if request.method == "POST":
        if wants_preview(request):
            preview = preview_html(form)
            reliability.keep_unposted(request, context)
        else:
            submission = reliability.start_thread_once(
                user=request.user,
                key=request.POST.get(reliability.KEY_FIELD),
                context=context,
                valid=form.is_valid,
                start=lambda: services.start_thread(
                    theme=form.get_theme(form.cleaned_data),
                    author=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    stance=form.cleaned_data["stance"],
                    paragraph=paragraph,
                ),
            )
            if not submission.invalid:  # a repeated POST goes to the discussion the first one started
                return redirect(submission.comment.thread if submission.comment else paragraph.get_absolute_url())
            reliability.keep_unposted(request, context)
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
            "form": form,
            "preview_html": preview,
            "refusal": refusal,
            "draft_context": context if request.user.is_authenticated else "",
            "restored": restored,
        },
    )
