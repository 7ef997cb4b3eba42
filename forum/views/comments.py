"""One comment: its permalink, editing, deleting and its revision history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from forum import permissions
from forum.posting import drafts, once, services
from forum.posting.forms import EditCommentForm
from forum.views.access import get_comment_for_delete, get_comment_for_edit, get_comment_for_reader
from forum.views.common import preview_html, wants_preview


@require_GET
def comment_permalink(request, pk: int):
    """Stable link to a comment: redirects to the page of its thread that shows it."""
    comment = get_comment_for_reader(request, pk)
    return redirect(comment.get_thread_url())


@require_http_methods(["GET", "POST"])
def comment_edit(request, pk: int):
    if not request.user.is_authenticated:
        if request.method == "POST":  # signed out while editing: keep the text for after the sign-in
            return drafts.hold_posted_for_sign_in(request, context=f"edit:{pk}", next_url=request.path)
        return redirect_to_login(request.get_full_path())
    comment = get_comment_for_edit(request, pk, check_rules=request.method == "GET")
    context = drafts.edit_context(comment)
    preview = conflict = restored = None
    if request.method == "POST":
        form = EditCommentForm(request.POST, user=request.user, comment=comment)
        if wants_preview(request):
            preview = preview_html(form)
        elif form.is_valid():
            try:
                changed = once.edit_if_current(
                    comment=comment,
                    editor=request.user,
                    body=form.cleaned_data["body"],
                    stance=form.cleaned_data["stance"],
                    base_revision=form.cleaned_data["base_revision"],
                )
            except once.EditConflict as exc:
                conflict = exc.revision
                form = _conflicting_form(request, comment, conflict)
            else:
                if changed:
                    messages.success(
                        request, "Your comment has been updated. The earlier version is kept in its history."
                    )
                return redirect(comment.get_thread_url())
        if conflict is None:
            drafts.keep_unposted(request, context)
    else:
        latest = comment.revisions.order_by("-pk").first()
        initial = {"body": comment.body, "stance": comment.stance, "base_revision": latest.pk if latest else None}
        restored = drafts.restore(request, context)
        if restored:
            initial["body"] = restored.body
            if restored.base_revision and latest and restored.base_revision != latest.pk:
                conflict = latest  # changed since the draft was started: show both texts now
        form = EditCommentForm(initial=initial, user=request.user, comment=comment)
    return render(
        request,
        "forum/comment_edit.html",
        {
            "comment": comment,
            "thread": comment.thread,
            "form": form,
            "preview_html": preview,
            "conflict": conflict,
            "draft_context": context,
            "restored": restored,
        },
    )


def _conflicting_form(request, comment, conflict) -> EditCommentForm:
    """The member's text again, now based on the newer revision (so saving after merging works),
    with an error that says what happened."""
    data = request.POST.copy()
    data["base_revision"] = str(conflict.pk)
    form = EditCommentForm(data, user=request.user, comment=comment)
    form.is_valid()
    drafts.save_draft(
        user=request.user, context=drafts.edit_context(comment), body=data.get("body", ""),
        base_revision=conflict.pk,
    )
    form.add_error(
        "body",
        "This comment was changed after you started editing it. The saved version is shown above your "
        "text: copy anything you want to keep from it into your text, then save again.",
    )
    return form


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request, pk: int):
    comment = get_comment_for_delete(request, pk)
    if request.method == "POST":
        services.delete_comment(comment=comment, deleted_by=request.user)
        messages.success(request, "Your comment has been deleted. Replies to it now show that it was deleted.")
        return redirect(comment.get_thread_url())
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
