"""A theme's codebook (public, with each code's count), facilitators adding codes, and the coding
page where facilitators apply codes to the theme's comments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from forum import permissions
from forum.coding import services
from forum.coding.forms import CodeForm, CommentCodesForm
from forum.models import Code, Comment, Theme
from forum.views.common import page_without_count

COMMENTS_PER_PAGE = 20


def _require_facilitator(request) -> None:
    if not permissions.can_respond_to_theme(request.user):
        raise PermissionDenied("Only facilitators keep the codebook and apply codes.")


@require_http_methods(["GET", "POST"])
def codebook(request, slug: str):
    theme = get_object_or_404(Theme, slug=slug)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        _require_facilitator(request)
        if form.is_valid():
            try:
                code = services.add_code(theme=theme, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error("label", error.messages[0])
            else:
                messages.success(request, f"The code “{code.label}” is in the codebook.")
                return redirect("forum:codebook", slug=theme.slug)
    return render(request, "forum/coding/codebook.html", {
        "theme": theme, "form": form, **services.code_table(theme),
        "can_code": permissions.can_respond_to_theme(request.user),
    }, status=400 if form.errors else 200)


@login_required
def coding(request, slug: str):
    _require_facilitator(request)
    theme = get_object_or_404(Theme, slug=slug)
    comments = (
        Comment.objects.readable().filter(thread__theme=theme)
        .select_related("thread", "author").order_by("-created_at", "-pk")
    )
    page = page_without_count(request, comments, COMMENTS_PER_PAGE)
    codes = list(Code.objects.filter(theme=theme))
    return render(request, "forum/coding/coding.html", {"theme": theme, "page": page, "codes": codes})


@login_required
@require_POST
def comment_codes(request, pk: int):
    _require_facilitator(request)
    comment = get_object_or_404(Comment.objects.readable().select_related("thread__theme"), pk=pk)
    form = CommentCodesForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["codes"]))
    else:
        try:
            services.set_codes(comment=comment, codes=list(form.cleaned_data["codes"]), by=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, f"Saved the codes of {comment.author_name}'s comment.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or f"{comment.thread.theme.get_absolute_url()}coding/#comment-{comment.pk}")
