"""Following themes and threads: the follow forms on their pages and the Following page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from forum.following import levels
from forum.following.forms import FollowForm, follow_context, follow_refusal, saved_message
from forum.models import FollowLevel, ThemeFollow, Thread, ThreadFollow, ThreadReadState
from forum.views.access import get_theme, get_thread_for_reader

THREADS_PER_PAGE = 50


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _respond(request, context: dict, fallback: str, message: str):
    """htmx swaps in the form, which says what was saved; otherwise redirect with a message."""
    if _is_htmx(request):
        return render(request, "forum/following/includes/follow_form.html", context)
    messages.success(request, message)
    return redirect(_back(request, fallback))


def _save_follow_level(request, target, *, noun: str, save_level, context_key: str):
    """Shared by the theme and discussion follow forms: check, save the level, answer."""
    url = target.get_absolute_url()
    if not request.user.is_authenticated:
        return redirect_to_login(url)
    if reason := follow_refusal(request.user):
        raise PermissionDenied(reason)
    form = FollowForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Choose how you want to follow this {noun}.")
        return redirect(_back(request, url))
    level = save_level(request.user, target, form.cleaned_data["level"])
    context = follow_context(request.user, next_url=request.POST.get("next", ""), **{context_key: target})
    context["follow_saved"] = message = saved_message(noun, target.title, level)
    return _respond(request, context, url, message)


@require_POST
def follow_theme(request, slug: str):
    return _save_follow_level(
        request, get_theme(slug), noun="theme", save_level=levels.set_theme_follow_level, context_key="theme"
    )


@require_POST
def follow_thread(request, pk: int):
    return _save_follow_level(
        request,
        get_thread_for_reader(request, pk),
        noun="discussion",
        save_level=levels.set_thread_follow_level,
        context_key="thread",
    )


@login_required
@require_GET
def following_list(request):
    """Every theme and discussion the member follows (or muted), with unread counts."""
    user = request.user
    themes = (
        ThemeFollow.objects.filter(user=user).select_related("theme").order_by("theme__position", "theme__title")
    )
    read = ThreadReadState.objects.filter(user=user, thread=OuterRef("thread_id")).values("last_read_position")[:1]
    threads = (
        ThreadFollow.objects.filter(user=user, thread__in=Thread.objects.visible_to(user))
        .exclude(level=FollowLevel.NORMAL)
        .select_related("thread__theme")
        .annotate(
            unread_count=Greatest(F("thread__last_position") - Coalesce(Subquery(read), Value(0)), Value(0))
        )
        .order_by("-thread__last_activity_at", "-pk")
    )
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    theme_follows = list(themes)
    for follow in theme_follows:
        follow.target = follow.theme  # what forum/following/includes/follow_table.html lists
    for follow in page.object_list:
        follow.target = follow.thread
    return render(
        request,
        "forum/following/following.html",
        {
            "theme_follows": theme_follows,
            "thread_follows": page,
            "levels": FollowLevel.choices,
            "level_help": [
                (label, levels.LEVEL_DESCRIPTIONS["thread"][value]) for value, label in FollowLevel.choices
            ],
        },
    )
