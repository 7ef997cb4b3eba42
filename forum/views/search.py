"""Searching comments and discussion titles, with filters, in a GET form that needs no script.

The page's form and results are the same for every reader who may see the same comments
(`searching.readers_like`), so they are kept in the cache per address under the versions every
change to a comment, discussion or theme renews: anonymous readers get the whole page from it,
signed-in readers the form and results inside their own header. Beneath them each search's window
of newest matches is kept for all its pages and brought up to date with the comments written
since, so a new comment does not make the search be worked out afresh (docs/performance.md).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from forum import standing
from forum.cache.digest import joined
from forum.cache.pages import AnonymousPage
from forum.cache.rows import shared_own_waiting, shared_search_form, shared_search_page, shared_search_window
from forum.cache.versions import SEARCH, THEMES
from forum.models import Theme
from forum.search import query as searching
from forum.search import windows
from forum.search.forms import SearchCriteria, SearchForm
from forum.views.common import page_number, pagination_items


@require_GET
def search(request):
    cached = AnonymousPage(request, THEMES, SEARCH, any_query=True)  # the versions shared_search_page uses
    standing.load(request.user)  # whether they moderate, from the cache
    readers = searching.readers_like(
        request.user, own_waiting=lambda user: shared_own_waiting(user, searching.has_own_waiting)
    )
    if readers is None:
        shown = _search_page(request, readers)
    else:
        shown = shared_search_page(readers, request.get_full_path(), lambda: _search_page(request, readers))
    # The body is our own template's output (autoescaped), so it is printed as it is.
    context = {"title": shown["title"], "body": joined([shown["body"]]), "nav_section": "search"}
    return cached.keep(render(request, "forum/search.html", context))


def _search_page(request, readers: str | None) -> dict:
    """The title and the body (form and results) of the search page at this address: what any
    reader who sees the same comments as this one (`readers`) is shown. Raises Http404 past the
    last page."""
    filled_in = shared_search_form(_asked(request), lambda: _search_form(request))
    criteria = filled_in["criteria"]
    context = {"form_html": joined([filled_in["html"]]), "criteria": None, "results": [], "threads": [], "count": 0,
               "pagination": []}
    if criteria is not None:
        context.update(_results(request, criteria, _window(request.user, criteria, readers)))
    # Without the request: no context processor can put a reader's own parts (their name, messages) in.
    body = render_to_string("forum/includes/search_body.html", context)
    return {"title": _title(filled_in["errors"], criteria, context.get("page", 1)), "body": str(body)}


def _asked(request) -> str:
    """What the search asks, as its query string less the page (a page alone still fills the form in)."""
    asked = request.GET.copy()
    asked.pop("page", None)
    return f"{bool(request.GET)}?{asked.urlencode()}"


def _search_form(request) -> dict:
    """The search form as filled in by this address, its HTML, and the criteria it gives (None
    when it asks nothing or is invalid)."""
    themes = list(Theme.objects.listed().only("slug", "title"))
    form = SearchForm(request.GET if request.GET else None, themes=themes)
    criteria = None
    if form.is_bound and form.is_valid() and not (asked := form.criteria()).is_empty:
        criteria = asked
    html = render_to_string("forum/includes/search_form.html", {"form": form})
    return {"html": str(html), "criteria": criteria, "errors": bool(form.errors)}


def _window(user, criteria: SearchCriteria, readers: str | None) -> searching.ResultWindow:
    """The search's results: its kept window brought up to date, shared by every reader of the
    kind `readers`, or (a member whose own comments wait) worked out for this reader alone."""
    if readers is None:
        return windows.search_comments(user, criteria)
    # Found as any reader of that kind finds it: a member's own waiting comment, posted while they
    # search, must not go into what everyone is shown.
    reader = user if readers == "moderators" else None
    found = shared_search_window(
        readers,
        criteria.key,
        lambda: windows.find_window(reader, criteria),
        lambda window: windows.brought_up_to_date(window, reader, criteria),
    )
    return found.results(criteria, reader)


def _results(request, criteria: SearchCriteria, window: searching.ResultWindow) -> dict:
    page = page_number(request)
    paginator = Paginator(window, searching.RESULTS_PER_PAGE)  # its length is known: no COUNT query
    if page > max(paginator.num_pages, 1):
        raise Http404("No such page of results.")
    current = paginator.page(page)
    results = list(current.object_list)
    searching.decorate(results, criteria)
    url_for = _page_urls(request)
    return {
        "criteria": criteria,
        "results": results,
        "count": paginator.count,
        "more_than_shown": paginator.count >= searching.RESULT_WINDOW,
        "page": page,
        "first_number": current.start_index(),
        "threads": searching.titled_threads(window.thread_ids, criteria, window.reader) if page == 1 else [],
        "pagination": pagination_items(page, paginator.num_pages, url_for) if paginator.num_pages > 1 else [],
        "previous_url": url_for(page - 1) if current.has_previous() else None,
        "next_url": url_for(page + 1) if current.has_next() else None,
    }


def _page_urls(request):
    """A function giving the address of a page of these results (the same search and filters)."""
    query = request.GET.copy()
    query.pop("page", None)

    def url_for(number: int) -> str:
        if number > 1:
            query["page"] = number
        else:
            query.pop("page", None)
        return f"{request.path}?{query.urlencode()}"

    return url_for


def _title(errors: bool, criteria: SearchCriteria | None, page: int) -> str:
    error = "Error: " if errors else ""
    if criteria is None:
        return f"{error}Search the discussions"
    words = f" for “{criteria.q}”" if criteria.q else ""
    number = f" (page {page})" if page > 1 else ""
    return f"{error}Search results{words}{number}"
