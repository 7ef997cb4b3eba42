"""Facilitators' and moderators' pages for a theme: its status, and the official response."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from forum.moderation import themes
from forum.moderation.flow import carry_out
from forum.moderation.forms import ThemeResponseForm, ThemeStatusForm, commitment_formset, filled_commitments
from forum.moderation.views.gates import facilitator_required, form_page, posted, run, theme_steward_required
from forum.views.access import get_theme


@theme_steward_required
@require_http_methods(["GET", "POST"])
def theme_status(request, slug: str):
    """Open or close a theme for comment, or mark it under review."""
    theme = get_theme(slug)
    form = ThemeStatusForm(posted(request), initial={"status": theme.status})
    if request.method == "POST" and form.is_valid():
        step = themes.SetStatus(theme, actor=request.user, status=form.cleaned_data["status"],
                                reason=form.cleaned_data["reason"])
        if run(form, lambda: carry_out(step)):
            messages.success(request, f"The theme is now {theme.get_status_display().lower()}.")
            return redirect(theme)
    return form_page(request, "forum/moderation/theme_status.html", form=form, theme=theme,
                     action_url=reverse("forum:theme_status", args=[theme.slug]), back_url=theme.get_absolute_url(),
                     back_label=f"to {theme.title}")


@facilitator_required
@require_http_methods(["GET", "POST"])
def theme_respond(request, slug: str):
    """Post the official "you said, we did" response at the top of a theme, with up to three
    commitments; a row begun but not finished refuses the whole response, keeping what was typed."""
    theme = get_theme(slug)
    form = ThemeResponseForm(posted(request))
    formset = commitment_formset(posted(request))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        step = themes.Respond(theme, actor=request.user, body=form.cleaned_data["body"],
                              commitments=filled_commitments(formset), interim=form.cleaned_data["interim"])
        if run(form, lambda: carry_out(step)):
            messages.success(request, _responded(step))
            return redirect(theme)
    return form_page(request, "forum/moderation/theme_respond.html", form=form, formset=formset, theme=theme,
                     action_url=reverse("forum:theme_respond", args=[theme.slug]), back_url=theme.get_absolute_url(),
                     back_label=f"to {theme.title}")


def _responded(step: themes.Respond) -> str:
    where = "The response is published at the top of the theme"
    if step.interim:
        return f"{where} as an interim response (the theme keeps its status), and its followers told."
    return f"{where}, and its followers told."
