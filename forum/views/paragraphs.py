"""Discussing one paragraph of a source text."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from forum import permissions
from forum.models import Thread
from forum.posting import drafts
from forum.posting.forms import ParagraphThreadForm
from forum.reading import themes_for_paragraph
from forum.views.access import get_paragraph
from forum.views.compose import compose, opening_comment


@require_http_methods(["GET", "POST"])
def paragraph_discuss(request, key: str):
    paragraph = get_paragraph(key)
    themes, themes_draw_on_it = themes_for_paragraph(paragraph)
    context = drafts.paragraph_context(paragraph)
    composing = compose(
        request,
        context=context,
        make_form=lambda data, initial: ParagraphThreadForm(data, initial=initial, user=request.user, themes=themes),
        create=lambda form: opening_comment(form.save(paragraph=paragraph)),
        done=lambda comment: redirect(comment.thread if comment else paragraph.get_absolute_url()),
        next_url=request.get_full_path(),
    )
    if composing.response is not None:
        return composing.response
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
            **composing.context(request, context),
            "refusal": refusal,
        },
    )
