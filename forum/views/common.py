"""Small helpers shared by the forum views."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from forum.rendering import render_comment


def wants_preview(request) -> bool:
    """The form was sent with its Preview button rather than the one that posts."""
    return request.method == "POST" and request.POST.get("action") == "preview"


def preview_html(form) -> str | None:
    """The stored-HTML rendering of a valid form's body, exactly as it would be saved."""
    if form.is_valid():
        return render_comment(form.cleaned_data["body"])[0]
    return None


def page_number(request) -> int:
    """The ?page= number, 404 for anything that is not a whole number from 1."""
    raw = request.GET.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        raise Http404("No such page.") from None
    if page < 1:
        raise Http404("No such page.")
    return page


@dataclass
class PageWithoutCount:
    """One page of a list, with Newer and Older links but no total: one row more than a page
    tells whether there is a next page, so a long history costs no COUNT."""

    number: int
    object_list: list
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def page_without_count(request, queryset, per_page: int) -> PageWithoutCount:
    """The ?page= page of an ordered queryset; 404 past the end."""
    number = page_number(request)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    if number > 1 and not rows:
        raise Http404("No such page.")
    return PageWithoutCount(number=number, object_list=rows[:per_page], has_next=len(rows) > per_page)


def pagination_items(current: int, last: int, url_for) -> list[dict]:
    """Numbered NHS.UK pagination: first, last and the neighbours of the current page, with gaps."""
    wanted = sorted({1, last, current - 1, current, current + 1} & set(range(1, last + 1)))
    items: list[dict] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": url_for(number), "current": number == current})
        previous = number
    return items
