"""One comment: its permalink, editing, deleting and its revision history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from forum import permissions, services
from forum.forms import EditCommentForm
from forum.views.access import get_comment_for_delete, get_comment_for_edit, get_comment_for_reader
from forum.views.common import preview_html, wants_preview


def _comment_url(comment) -> str:
    return f"{comment.thread.get_page_url(comment.page)}#{comment.anchor}"


@require_GET
def comment_permalink(request, pk: int):
    """Stable link to a comment: redirects to the page of its thread that shows it."""
    comment = get_comment_for_reader(request, pk)
    return redirect(_comment_url(comment))


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request, pk: int):
    comment = get_comment_for_edit(request, pk, check_rules=request.method == "GET")
    form = EditCommentForm(request.POST or None, user=request.user, comment=comment)
    preview = None
    if request.method == "POST":
        if wants_preview(request):
            preview = preview_html(form)
        elif form.is_valid():
            services.edit_comment(
                comment=comment, editor=request.user, body=form.cleaned_data["body"], stance=form.cleaned_data["stance"]
            )
            messages.success(request, "Your comment has been updated. The earlier version is kept in its history.")
            return redirect(_comment_url(comment))
    return render(
        request,
        "forum/comment_edit.html",
        {"comment": comment, "thread": comment.thread, "form": form, "preview_html": preview},
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request, pk: int):
    comment = get_comment_for_delete(request, pk)
    if request.method == "POST":
        services.delete_comment(comment=comment, deleted_by=request.user)
        messages.success(request, "Your comment has been deleted. Replies to it now show that it was deleted.")
        return redirect(_comment_url(comment))
    return render(request, "forum/comment_delete.html", {"comment": comment, "thread": comment.thread})


@require_GET
def comment_history(request, pk: int):
    comment = get_comment_for_reader(request, pk)
    if not permissions.can_see_history(request.user, comment):
        raise Http404("This comment has no history to show.")
    revisions = list(comment.revisions.select_related("edited_by").order_by("-created_at", "-pk"))
    return render(
        request,
        "forum/comment_history.html",
        {"comment": comment, "thread": comment.thread, "revisions": revisions},
    )
