"""Saving what a member is writing, as they write it (static_src/js/drafts.js calls `save_draft`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from forum import permissions
from forum.models import COMMENT_MAX_LENGTH, TITLE_MAX_LENGTH
from forum.posting import drafts, once

# The form-encoded request, not the text: a 20,000-character comment in a script that needs
# several bytes a character, percent-encoded, stays well under this.
MAX_REQUEST_BYTES = 256 * 1024


def _member_context(request) -> str:
    """The draft context sent, for a member who may take part; 403 / 400 / 404 otherwise."""
    if reason := permissions.participation_refusal(request.user):
        raise PermissionDenied(reason)
    context = request.POST.get("context") or request.POST.get("draft_context") or ""
    if drafts.parse_context(context) is None:
        raise Http404("No such form.")
    return context


@require_POST
def save_draft(request):
    """Keep the text of one form as the member's draft (204), or drop it when the text is empty.

    Answers 413 for text longer than a comment may be, 404 for a form that does not exist or
    that the member cannot see, and saves nothing once the form's one-time key has been used
    (a save that arrives after the comment was posted must not bring the draft back).
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponseBadRequest("Bad Content-Length.")
    if length > MAX_REQUEST_BYTES:
        return HttpResponse("The draft is too long to save.", status=413, content_type="text/plain")
    context = _member_context(request)
    body = request.POST.get("body", "")
    title = request.POST.get("title", "")
    if len(body) > COMMENT_MAX_LENGTH or len(title) > TITLE_MAX_LENGTH:
        return HttpResponse("The draft is too long to save.", status=413, content_type="text/plain")
    if not drafts.context_target_exists(request.user, context):
        raise Http404("No such form.")
    if once.submitted_comment(request.user, request.POST.get(once.KEY_FIELD)) is not None:
        return HttpResponse(status=204)
    raw_revision = request.POST.get("base_revision", "")
    base_revision = int(raw_revision) if raw_revision.isdigit() else None
    drafts.save_draft(user=request.user, context=context, body=body, title=title, base_revision=base_revision)
    return HttpResponse(status=204)


@require_POST
def discard_draft(request):
    """The "Discard draft" button: forget the draft and go back to an empty form."""
    context = _member_context(request)
    drafts.discard_draft(user=request.user, context=context)
    return redirect(drafts.context_url(context) or "forum:theme_list")
