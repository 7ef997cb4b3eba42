"""The planning map: the map itself, one cell's list, a need's or an offer's page, placing one,
"we see this too", linking an offer to a need, and the map's downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles.models import Paragraph
from forum import permissions
from forum.agreement.services import group_breakdown
from forum.cache import rows
from forum.cache.pages import AnonymousPage
from forum.cache.versions import MAP, THEMES
from forum.models import EntryKind, JourneyStage, MapEntry, MapLink, SupportKind, Theme
from forum.planning import exports, grid, rules, services
from forum.planning.forms import EntryForm, LinkForm, MapFilterForm
from forum.planning.stages import planning_theme_slug
from forum.posting import drafts
from forum.views.compose import compose
from forum.views.exports import CONTENT_TYPES, check_export_allowed

SUGGESTIONS = 5


def _filters_or_400(request):
    """The map's filters from the query string (with the form that read them, or None when there
    were none), or the 400 page saying what was wrong."""
    if not request.GET:
        return None, grid.MapFilters(), None
    form = MapFilterForm(request.GET)
    if not form.is_valid():
        response = render(request, "forum/planning/bad_filters.html", {"errors": form.error_sentences()}, status=400)
        return form, None, response
    return form, form.filters(), None


@require_GET
def planning_map(request):
    """The map. Everything in the page's main part is the same for every reader with the same
    filters, so it comes from the cache (`rows.shared_map_html`); only the page around it is
    rendered per request, and the plain map costs no query but the reader's session."""
    cached = AnonymousPage(request, THEMES, MAP)  # anonymous readers without filters: whole page
    form, filters, refused = _filters_or_400(request)
    if refused is not None:
        return refused
    key = urlencode(sorted(filters.query().items()))

    def render_content():
        context = {"form": form or MapFilterForm(), "map": grid.build_grid(filters), "filters": filters, "query": key}
        return render_to_string("forum/planning/includes/map_content.html", context)

    content = rows.shared_map_html(key, render_content)
    return cached.keep(render(request, "forum/planning/map.html", {"map_content": content}))


def _cell_params(stage_slug: str, support: str):
    stage = get_object_or_404(JourneyStage, slug=stage_slug)
    if support not in SupportKind.values:
        raise Http404("No such kind of support.")
    return stage, support


@require_GET
def map_cell(request, stage: str, support: str):
    stage, support = _cell_params(stage, support)
    _form, filters, refused = _filters_or_400(request)
    if refused is not None:
        return refused
    entries = list(grid.cell_entries(filters, stage=stage, support=support))
    context = {
        "stage": stage, "support": support, "support_label": SupportKind(support).label, "filters": filters,
        "needs": [entry for entry in entries if entry.is_need],
        "offers": [entry for entry in entries if not entry.is_need],
        "query": urlencode(sorted(filters.query().items())),
    }
    return render(request, "forum/planning/cell.html", context)


def get_entry_for_reader(request, pk: int) -> MapEntry:
    """A need or an offer whose discussion the reader may see (404 otherwise)."""
    queryset = MapEntry.objects.select_related(
        "thread__theme", "opening__author", "stage", "region", "paragraph__section__article"
    )
    entry = get_object_or_404(queryset, pk=pk)
    if not _can_see(request.user, entry):
        raise Http404("No such need or offer.")
    return entry


def _can_see(user, entry) -> bool:
    return permissions.can_see_thread(user, entry.thread) and permissions.can_see_comment(user, entry.opening)


def _linked(entry):
    """The entries of the other kind linked to this one, each with its link."""
    if entry.is_need:
        links = entry.offer_links.select_related("offer__thread", "offer__region", "offer__opening")
        return [(link, link.offer) for link in links.order_by("pk")]
    links = entry.need_links.select_related("need__thread", "need__region", "need__opening")
    return [(link, link.need) for link in links.order_by("pk")]


def _suggestions(entry, linked_ids):
    """Published entries of the other kind on the same stage and kind of support, same region first."""
    other = EntryKind.OFFER if entry.is_need else EntryKind.NEED
    candidates = (
        MapEntry.objects.on_map().filter(kind=other, stage=entry.stage_id, support=entry.support)
        .exclude(pk__in=linked_ids).select_related("thread", "region")
        .order_by("-created_at", "-pk")[:50]
    )
    return sorted(candidates, key=lambda item: item.region_id != entry.region_id)[:SUGGESTIONS]


@require_GET
def map_entry(request, pk: int):
    return _entry_page(request, get_entry_for_reader(request, pk))


def _entry_page(request, entry, link_form=None):
    """A need's or an offer's page; with `link_form`, one that came back with an error (400)."""
    linked = _linked(entry)
    context = {
        "entry": entry,
        "thread": entry.thread,
        "linked": [(link, other, rules.can_unlink(request.user, link)) for link, other in linked],
        "suggestions": _suggestions(entry, [other.pk for _link, other in linked]),
        "seen_breakdown": group_breakdown(entry.opening.agree_groups),
        "unseen_breakdown": group_breakdown(entry.opening.disagree_groups),
        "my_vote": _my_vote(request.user, entry),
        "see_refusal": rules.see_refusal(request.user, entry),
        "link_refusal": rules.entry_refusal(request.user),
        "link_form": link_form or LinkForm(user=request.user, entry=entry),
    }
    return render(request, "forum/planning/entry_detail.html", context, status=400 if link_form else 200)


def _my_vote(user, entry) -> int:
    """1 when the reader sees it too, -1 when they do not, 0 when they have not said."""
    if not user.is_authenticated:
        return 0
    return entry.opening.agreements.filter(member=user).values_list("vote", flat=True).first() or 0


def _planning_theme():
    return Theme.objects.filter(slug=planning_theme_slug()).first()


@require_http_methods(["GET", "POST"])
def new_entry(request, kind: str):
    if kind not in EntryKind.values:
        raise Http404("Choose a need or an offer.")
    paragraph = _paragraph_from(request)
    context_name = drafts.map_context(kind)
    planning_theme = _planning_theme()
    themes = Theme.objects.accepting_posts().exclude(pk=getattr(planning_theme, "pk", None))

    def make_form(data, initial):
        return EntryForm(data, initial=initial, user=request.user, kind=kind, planning_theme=planning_theme,
                         themes=themes, paragraph=paragraph)

    composing = compose(
        request, context=context_name, make_form=make_form,
        create=lambda form: form.save().opening,
        done=lambda comment: redirect(comment.map_entry if comment else "forum:map"),
        next_url=request.get_full_path(),
    )
    if composing.response is not None:
        return composing.response
    form = composing.form
    return render(request, "forum/planning/entry_form.html", {
        "kind": kind, "kind_label": EntryKind(kind).label, "paragraph": paragraph,
        "refusal": rules.entry_refusal(request.user), **composing.context(request, context_name),
        "stage_choices": [(str(pk), title, form.stage_hints.get(str(pk), ""))
                          for pk, title in form.fields["stage"].choices],
        "support_choices": [(code, label, form.support_hints[code]) for code, label in SupportKind.choices],
    })


def _paragraph_from(request):
    key = request.GET.get("paragraph") or request.POST.get("paragraph_key")
    if not key:
        return None
    return Paragraph.objects.select_related("section__article").filter(key=key).first()


@login_required
@require_POST
def see_too(request, pk: int):
    entry = get_entry_for_reader(request, pk)
    services.see_too(entry=entry, member=request.user)  # a refusal is a 403 with its reason
    messages.success(request, f"You said you see this {entry.get_kind_display().lower()} too.")
    return redirect(entry)


@login_required
@require_POST
def not_seen(request, pk: int):
    entry = get_entry_for_reader(request, pk)
    services.not_seen(entry=entry, member=request.user)  # a refusal is a 403 with its reason
    messages.success(request, f"You said you do not see this {entry.get_kind_display().lower()}.")
    return redirect(entry)


@login_required
@require_POST
def withdraw_seen(request, pk: int):
    entry = get_entry_for_reader(request, pk)
    services.withdraw_seen(entry=entry, member=request.user)
    messages.success(request, "You took back what you said about it.")
    return redirect(entry)


@login_required
@require_POST
def link_entry(request, pk: int):
    entry = get_entry_for_reader(request, pk)
    if reason := rules.entry_refusal(request.user):
        raise PermissionDenied(reason)
    form = LinkForm(request.POST, user=request.user, entry=entry)
    if not form.is_valid():
        return _entry_page(request, entry, link_form=form)
    form.save()
    other = form.offer if entry.is_need else form.need
    messages.success(request, f"Linked: {other.get_kind_display().lower()} {other.pk}, “{other.thread.title}”.")
    return redirect(entry)


@login_required
@require_POST
def unlink_entry(request, pk: int, link_pk: int):
    entry = get_entry_for_reader(request, pk)
    map_link = get_object_or_404(MapLink.objects.select_related("need", "offer"), pk=link_pk)
    if entry.pk not in (map_link.need_id, map_link.offer_id):
        raise Http404("No such link.")
    services.unlink(map_link=map_link, member=request.user)
    messages.success(request, "The link was taken away.")
    return redirect(entry)


@login_required
@require_GET
def map_download(request, fmt: str):
    check_export_allowed(request)
    if fmt not in CONTENT_TYPES:
        raise Http404("Downloads come as .csv or .json.")
    _form, filters, refused = _filters_or_400(request)
    if refused is not None:
        return refused
    entries = exports.exported_entries(filters)
    body = exports.stream_csv(entries) if fmt == "csv" else exports.stream_json(entries, filters=filters.query())
    response = StreamingHttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="common-ground-map-{timezone.localdate():%Y-%m-%d}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
