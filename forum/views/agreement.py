"""Agreeing with a comment, a theme's common ground and its summary."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from forum import permissions
from forum.agreement import services as agreements
from forum.agreement.summary import theme_summary as summarise
from forum.coding.services import code_table
from forum.models import Theme
from forum.views.access import get_comment_for_reader
from forum.views.common import page_number, pagination_items
from forum.views.region_filter import region_filter_or_400

COMMON_GROUND_PER_PAGE = 20


def get_comment_to_agree(request, pk: int, *, withdrawing: bool = False):
    """A comment the reader can see (404 otherwise), refused with a sentence (403) when the
    rules say they may not agree with it, or change their agreement."""
    comment = get_comment_for_reader(request, pk)
    if withdrawing:
        reason = permissions.withdraw_agreement_refusal(request.user, comment)
    else:
        reason = permissions.agree_refusal(request.user, comment)
    if reason:
        raise PermissionDenied(reason)
    return comment


def _safe_next(request) -> str | None:
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate.split("#", 1)[0]
    return None


def _after_change(request, comment, message: str):
    """htmx gets the updated block to swap in; a plain form post goes back to the comment."""
    next_url = _safe_next(request)
    if request.headers.get("HX-Request") == "true":
        return render(request, "forum/includes/agree.html", {"comment": comment, "next": next_url})
    messages.success(request, message)
    if next_url:
        return redirect(f"{next_url}#{comment.anchor}")
    return redirect(comment.get_thread_url())


@require_POST
def agree(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(_safe_next(request) or request.path)
    comment = get_comment_to_agree(request, pk)
    agreements.agree(comment=comment, member=request.user)
    return _after_change(request, comment, "You agree with this comment. Your stakeholder group is counted with it.")


@require_POST
def withdraw_agreement(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(_safe_next(request) or request.path)
    comment = get_comment_to_agree(request, pk, withdrawing=True)
    agreements.withdraw_agreement(comment=comment, member=request.user)
    return _after_change(request, comment, "You have withdrawn your agreement with this comment.")


def get_theme_for_tab(slug: str) -> Theme:
    """A theme by its slug, without the passages its main page prints."""
    return get_object_or_404(Theme, slug=slug)


def _region_filter_or_400(request, theme):
    return region_filter_or_400(request, back_url=request.path, back_text=f"Go back to “{theme.title}”")


@require_GET
def common_ground(request, slug: str):
    theme = get_theme_for_tab(slug)
    page = page_number(request)
    region_filter, refused = _region_filter_or_400(request, theme)
    if refused is not None:
        return refused
    listed = agreements.common_ground_comments(theme, request.user, region=region_filter.region)
    comments = agreements.with_agreement_of(listed, request.user)
    paginator = Paginator(comments, COMMON_GROUND_PER_PAGE)
    if page > paginator.num_pages:
        raise Http404("No such page.")
    current = paginator.page(page)
    for comment in current.object_list:
        comment.thread.theme = theme  # every comment here is in this theme: no query per row

    def url_for(number: int) -> str:
        return region_filter.url(request.path, page=None if number == 1 else number)

    return render(
        request,
        "forum/agreement/common_ground.html",
        {
            "theme": theme,
            "comments": current.object_list,
            "count": paginator.count,
            "page": page,
            "threshold": agreements.COMMON_GROUND_GROUPS,
            "region_filter": region_filter,
            "pagination": pagination_items(page, paginator.num_pages, url_for) if paginator.num_pages > 1 else [],
            "previous_url": url_for(page - 1) if current.has_previous() else None,
            "next_url": url_for(page + 1) if current.has_next() else None,
        },
    )


@require_GET
def theme_summary(request, slug: str):
    theme = get_theme_for_tab(slug)
    region_filter, refused = _region_filter_or_400(request, theme)
    if refused is not None:
        return refused
    context = {
        "theme": theme, "summary": summarise(theme, region_filter.region), "region_filter": region_filter,
        "threshold": agreements.COMMON_GROUND_GROUPS, **code_table(theme),
        "common_ground_url": region_filter.url(reverse("forum:common_ground", args=[theme.slug])),
    }
    return render(request, "forum/agreement/summary.html", context)
