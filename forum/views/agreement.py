"""Voting on a comment (agree, disagree, withdraw), a theme's common ground, contested points and
summary, and common ground across every theme."""

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
from forum.agreement import ranking
from forum.agreement import services as agreements
from forum.agreement.ranking import vote_split
from forum.agreement.summary import theme_summary as summarise
from forum.coding.services import code_table
from forum.models import Theme, VoteValue
from forum.views.access import get_comment_for_reader
from forum.views.common import page_number, pagination_items
from forum.views.region_filter import region_filter_or_400

COMMON_GROUND_PER_PAGE = 20


def get_comment_to_vote_on(request, pk: int, value: int | None):
    """A comment the reader can see (404 otherwise), refused with a sentence (403) when the
    rules say they may not vote on it this way (`value`), or withdraw their vote (None)."""
    comment = get_comment_for_reader(request, pk)
    if value is None:
        reason = permissions.withdraw_agreement_refusal(request.user, comment)
    else:
        reason = permissions.vote_refusal(request.user, comment, value)
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


def _vote(request, pk: int, value: int, message: str):
    if not request.user.is_authenticated:
        return redirect_to_login(_safe_next(request) or request.path)
    comment = get_comment_to_vote_on(request, pk, value)
    agreements.vote(comment=comment, member=request.user, value=value)
    return _after_change(request, comment, message)


@require_POST
def agree(request, pk: int):
    """Agree with a comment, or change a disagreement to agreement."""
    message = "You agree with this comment. Your stakeholder group is counted with it."
    return _vote(request, pk, VoteValue.AGREE, message)


@require_POST
def disagree(request, pk: int):
    """Disagree with a comment, or change an agreement to disagreement."""
    message = "You disagree with this comment. Your stakeholder group is counted with it."
    return _vote(request, pk, VoteValue.DISAGREE, message)


@require_POST
def withdraw_agreement(request, pk: int):
    """Take back one's vote, whichever way it went."""
    if not request.user.is_authenticated:
        return redirect_to_login(_safe_next(request) or request.path)
    comment = get_comment_to_vote_on(request, pk, None)
    agreements.withdraw_vote(comment=comment, member=request.user)
    return _after_change(request, comment, "You have withdrawn your vote on this comment.")


def get_theme_for_tab(slug: str) -> Theme:
    """A theme by its slug, without the passages its main page prints."""
    return get_object_or_404(Theme, slug=slug)


def _region_filter_or_400(request, theme):
    return region_filter_or_400(request, back_url=request.path, back_text=f"Go back to “{theme.title}”")


def _paged(request, comments, theme=None, region_filter=None) -> dict:
    """One page of `comments` (404 past the last), each with its vote split, and the links (which
    keep the region chosen)."""
    page = page_number(request)
    paginator = Paginator(agreements.with_agreement_of(comments, request.user), COMMON_GROUND_PER_PAGE)
    if page > paginator.num_pages:
        raise Http404("No such page.")
    current = paginator.page(page)
    for comment in current.object_list:
        if theme is not None:
            comment.thread.theme = theme  # every comment here is in this theme: no query per row
        comment.split = vote_split(comment)

    def url_for(number: int) -> str:
        number = None if number == 1 else number
        if region_filter is not None:
            return region_filter.url(request.path, page=number)
        return request.path if number is None else f"{request.path}?page={number}"

    return {
        "comments": current.object_list,
        "count": paginator.count,
        "page": page,
        "threshold": agreements.COMMON_GROUND_GROUPS,
        "region_filter": region_filter,
        "pagination": pagination_items(page, paginator.num_pages, url_for) if paginator.num_pages > 1 else [],
        "previous_url": url_for(page - 1) if current.has_previous() else None,
        "next_url": url_for(page + 1) if current.has_next() else None,
    }


@require_GET
def common_ground(request, slug: str):
    """A theme's common ground, ranked by group-informed consensus, each with its split by group;
    with `?region=`, what members in that region wrote."""
    theme = get_theme_for_tab(slug)
    region_filter, refused = _region_filter_or_400(request, theme)
    if refused is not None:
        return refused
    listed = ranking.common_ground_comments(theme, request.user, region=region_filter.region)
    context = _paged(request, listed, theme, region_filter)
    return render(request, "forum/agreement/common_ground.html", {"theme": theme, **context})


@require_GET
def contested(request, slug: str):
    """A theme's contested points: comments one group agrees with and another disagrees with."""
    theme = get_theme_for_tab(slug)
    context = _paged(request, ranking.contested_comments(theme, request.user), theme)
    return render(request, "forum/agreement/contested.html", {"theme": theme, **context})


@require_GET
def common_ground_everywhere(request):
    """Common ground from every theme, ranked by consensus, each naming its theme."""
    context = _paged(request, ranking.common_ground_everywhere(request.user))
    return render(request, "forum/agreement/common_ground_all.html", context)


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
