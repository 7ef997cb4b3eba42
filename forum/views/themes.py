"""Theme list, theme page and starting a discussion in a theme."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from forum import permissions
from forum.agreement.summary import with_common_ground_counts
from forum.cache import rows
from forum.cache.pages import AnonymousPage
from forum.cache.theme_pages import THREADS_PER_PAGE, ThemePage, read_ahead
from forum.cache.versions import THEMES, theme_key
from forum.following.levels import theme_level_of
from forum.models import Theme
from forum.posting import drafts
from forum.posting.forms import ThreadForm
from forum.views.access import get_theme
from forum.views.common import page_number
from forum.views.compose import compose, opening_comment
from forum.views.region_filter import region_filter_or_400


@require_GET
def theme_list(request):
    cached = AnonymousPage(request, THEMES)  # anonymous readers: whole page
    themes = with_common_ground_counts(Theme.objects.listed())
    return cached.keep(render(request, "forum/theme_list.html", {"themes": themes}))


@require_GET
def theme_detail(request, slug: str):
    cached = AnonymousPage(request, theme_key(slug))  # anonymous readers: whole page
    page = page_number(request)
    # Signed-in readers: the theme's row, the whole page as stored for readers of their kind and
    # their own state, in one round trip, when their list of discussions is the shared one
    # (forum.cache.theme_pages); otherwise built as below.
    ahead = read_ahead(request, slug, page) if request.user.is_authenticated else None
    theme = get_theme(slug, request.user, with_follow_level=False,  # read below, with the reader's state
                      ahead=ahead.theme_row() if ahead else None)
    start_refusal = permissions.start_thread_refusal(request.user, theme)
    shared = ThemePage(request, theme, page, start_refusal, ahead=ahead)
    if shared.usable and (response := shared.response(
        lambda threads, rows_html, has_next: _page_html(request, theme, page, threads, rows_html, has_next)
    )) is not None:
        return response
    if request.user.is_authenticated:
        theme.follow_level = theme_level_of(request.user, theme)
    region_filter, refused = region_filter_or_400(
        request, back_url=theme.get_absolute_url(), back_text=f"Go to “{theme.title}”"
    )
    if refused is not None:
        return refused
    start = (page - 1) * THREADS_PER_PAGE
    # One row more than a page tells whether there is a next page without a COUNT query.
    threads = list(
        theme.threads.visible_to(request.user)
        .started_in(region_filter.region)
        .in_theme_order()
        .with_unread_count(request.user)[start : start + THREADS_PER_PAGE + 1]
    )
    if page > 1 and not threads:
        raise Http404("No such page.")
    has_next = len(threads) > THREADS_PER_PAGE
    threads = threads[:THREADS_PER_PAGE]
    for thread in threads:
        thread.theme = theme  # every thread here belongs to this theme: no query per row
    # Signed-in readers: each row from the cache, with their own unread link put in.
    rows_html = rows.thread_rows_html(threads) if request.user.is_authenticated else None
    context = _context(request, theme, page, threads, rows_html, has_next, region_filter)
    return cached.keep(render(request, "forum/theme_detail.html", {**context, "start_refusal": start_refusal}))


def _page_html(request, theme, page: int, threads, rows_html, has_next: bool) -> str:
    """The page as every reader of this one's kind sees it, unfiltered, their own parts left as
    marks (`forum.cache.theme_pages`)."""
    region_filter, _refused = region_filter_or_400(request, back_url="", back_text="")  # no filter: valid
    context = _context(request, theme, page, threads, rows_html, has_next, region_filter)
    context.update(start_refusal=permissions.start_thread_refusal(request.user, theme), shell_marks=True)
    return render(request, "forum/theme_detail.html", context).content.decode()


def _context(request, theme, page: int, threads, rows_html, has_next: bool, region_filter) -> dict:
    return {
        "theme": theme,
        "threads": threads,
        "rows_html": rows_html,
        "page": page,
        "has_next": has_next,
        "region_filter": region_filter,
        "previous_url": region_filter.url(request.path, page=page - 1 if page > 2 else None),
        "next_url": region_filter.url(request.path, page=page + 1),
        "missing_voices": rows.shared_missing_voices(theme),
    }


@require_http_methods(["GET", "POST"])
def start_thread(request, slug: str):
    theme = get_theme(slug)
    context = drafts.theme_context(theme)
    composing = compose(
        request,
        context=context,
        make_form=lambda data, initial: ThreadForm(data, initial=initial, user=request.user, theme=theme),
        create=lambda form: opening_comment(form.save()),
        done=lambda comment: redirect(comment.thread if comment else theme),
        next_url=request.get_full_path(),
    )
    if composing.response is not None:
        return composing.response
    return render(
        request,
        "forum/thread_form.html",
        {"theme": theme, **composing.context(request, context),
         "refusal": permissions.start_thread_refusal(request.user, theme)},
    )
