"""Searching comments and discussion titles, with filters, in a GET form that needs no script."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from forum.models import Theme
from forum.search import query as searching
from forum.search.forms import SearchForm
from forum.views.common import page_number, pagination_items


@require_GET
def search(request):
    themes = list(Theme.objects.listed().only("slug", "title"))
    form = SearchForm(request.GET if request.GET else None, themes=themes)
    context = {
        "form": form,
        "criteria": None,
        "results": [],
        "threads": [],
        "count": 0,
        "pagination": [],
        "nav_section": "search",  # the header marks Search, not Themes, as the current section
    }
    if form.is_bound and form.is_valid() and not (criteria := form.criteria()).is_empty:
        page = page_number(request)
        window = searching.search_comments(request.user, criteria)
        paginator = Paginator(window, searching.RESULTS_PER_PAGE)  # its length is known: no COUNT query
        if page > max(paginator.num_pages, 1):
            raise Http404("No such page of results.")
        current = paginator.page(page)
        results = list(current.object_list)
        searching.decorate(results, criteria)
        query = request.GET.copy()
        query.pop("page", None)

        def url_for(number: int) -> str:
            if number > 1:
                query["page"] = number
            else:
                query.pop("page", None)
            return f"{request.path}?{query.urlencode()}"

        context.update(
            criteria=criteria,
            results=results,
            count=paginator.count,
            more_than_shown=paginator.count >= searching.RESULT_WINDOW,
            page=page,
            first_number=current.start_index(),
            threads=searching.matching_threads(request.user, criteria)
            if page == 1 and not criteria.filters_comments
            else [],
            pagination=pagination_items(page, paginator.num_pages, url_for) if paginator.num_pages > 1 else [],
            previous_url=url_for(page - 1) if current.has_previous() else None,
            next_url=url_for(page + 1) if current.has_next() else None,
        )
    return render(request, "forum/search.html", context)
