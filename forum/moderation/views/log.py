"""Moderators' pages for the word filters and the moderation log (with its CSV download)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from forum.models import ModerationLogEntry, WordFilter
from forum.moderation import filters as word_filters
from forum.moderation import log as moderation_log
from forum.moderation.forms import LogFilterForm, WordFilterForm
from forum.moderation.views.gates import moderator_required, posted
from forum.views.common import page_number

LOG_PAGE_SIZE = 50


@moderator_required
@require_http_methods(["GET", "POST"])
def filters(request):
    """The word and pattern filters: list, add (POST), delete (POST to filter_delete)."""
    form = WordFilterForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        word_filters.add_filter(
            moderator=request.user, pattern=data["pattern"], action=data["action"], is_regex=data["is_regex"],
            replacement=data["replacement"], message=data["message"],
        )
        messages.success(request, f"The filter “{data['pattern']}” is added and applies to new comments at once.")
        return redirect("forum:moderation_filters")
    rows = list(WordFilter.objects.select_related("created_by").order_by("pattern", "pk"))
    return render(request, "forum/moderation/filters.html", {"form": form, "filters": rows})


@moderator_required
@require_POST
def filter_delete(request, pk: int):
    word_filter = get_object_or_404(WordFilter, pk=pk)
    word_filters.delete_filter(word_filter=word_filter, moderator=request.user)
    messages.success(request, f"The filter “{word_filter.pattern}” is removed.")
    return redirect("forum:moderation_filters")


def log_target_url(entry: ModerationLogEntry) -> str | None:
    """Where a moderator goes to see what an entry is about (no query)."""
    if entry.target_id is None:
        return None
    names = {
        "comment": "forum:moderation_comment",
        "thread": "forum:moderation_thread",
        "member": "forum:moderation_member",
    }
    if entry.target_type in names:
        return reverse(names[entry.target_type], args=[entry.target_id])
    if entry.target_type == "filter":
        return reverse("forum:moderation_filters")
    return None


@moderator_required
@require_GET
def log(request):
    """Every moderation action, newest first; filterable, and downloadable as CSV."""
    form = LogFilterForm(request.GET or None)
    entries = form.filter(ModerationLogEntry.objects.all())
    page = page_number(request)
    paginator = Paginator(entries, LOG_PAGE_SIZE)
    if page > paginator.num_pages:
        raise Http404("No such page.")
    page_obj = paginator.page(page)
    rows = list(page_obj.object_list)
    for entry in rows:
        entry.label = moderation_log.label(entry)
        entry.target_url = log_target_url(entry)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "forum/moderation/log.html",
        {"form": form, "entries": rows, "page_obj": page_obj, "query": query.urlencode()},
    )


class _Echo:
    def write(self, value):
        return value


def _csv_safe(value) -> str:
    """Stop spreadsheet programs treating a cell as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@moderator_required
@require_GET
def log_csv(request):
    form = LogFilterForm(request.GET or None)
    entries = form.filter(ModerationLogEntry.objects.all()).iterator(chunk_size=500)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(["when", "who", "automatic", "action", "target type", "target id", "target", "reason"])
        for entry in entries:
            yield writer.writerow(
                [
                    timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                    _csv_safe(entry.actor_name),
                    "yes" if entry.automatic else "no",
                    moderation_log.label(entry),
                    entry.target_type,
                    entry.target_id or "",
                    _csv_safe(entry.target_repr),
                    _csv_safe(entry.reason),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="moderation-log-{stamp}.csv"'
    return response
