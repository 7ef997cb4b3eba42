"""Facilitators' page for one commitment: its updates so far, and the form to record a new status."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from forum.models import Commitment
from forum.moderation.commitments import ChangeCommitment
from forum.moderation.flow import carry_out
from forum.moderation.forms import CommitmentStatusForm
from forum.moderation.views.gates import commitment_steward_required, form_page, posted, run


def get_commitment(slug: str, pk: int) -> Commitment:
    """A commitment of the theme `slug`, with its theme and updates; 404 when there is none."""
    queryset = Commitment.objects.select_related("theme", "response").with_updates()
    return get_object_or_404(queryset, pk=pk, theme__slug=slug)


@commitment_steward_required
@require_http_methods(["GET", "POST"])
def commitment_status(request, slug: str, pk: int):
    """Record a commitment's new status with a note (the reason, when it is dropped)."""
    commitment = get_commitment(slug, pk)
    theme = commitment.theme
    form = CommitmentStatusForm(posted(request), initial={"status": commitment.status})
    if request.method == "POST" and form.is_valid():
        step = ChangeCommitment(commitment, actor=request.user, status=form.cleaned_data["status"],
                                note=form.cleaned_data["note"])
        if run(form, lambda: carry_out(step)):
            messages.success(request, f"“{commitment.what}” is now {commitment.get_status_display().lower()}. "
                                      "The theme’s followers are told.")
            return redirect(f"{theme.get_absolute_url()}#commitment-{commitment.pk}")
    return form_page(request, "forum/moderation/commitment_status.html", form=form, commitment=commitment,
                     theme=theme, action_url=reverse("forum:commitment_status", args=[theme.slug, commitment.pk]),
                     back_url=f"{theme.get_absolute_url()}#commitment-{commitment.pk}", back_label=f"to {theme.title}")
