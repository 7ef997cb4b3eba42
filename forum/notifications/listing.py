"""The notifications page's list: one page of a member's notifications, and its HTML.

**Paging by position, not by count.** A page is the 30 notifications older (or newer) than the one
its link names (`?before=<id>`, `?after=<id>`), found on `forum_notif_recipient_idx`, so the
hundredth page of a long history costs what the first does; an OFFSET read and sorted every row
before it (150 ms at 9,000 of 10,000). A bare `?page=N` (an older link) is still served by OFFSET.

**Kept whole while unchanged.** A page nothing on which has changed since is taken whole from the
cache, the header's account links and the CSRF token put in (`kept_pages`: under the versions of
everything, the member's notifications and each discussion on it), with no query at all.

**Else its groups from the cache.** A page that is read again reads only the columns each
notification shows (one query, no model objects), and keys each group's HTML (a discussion's
notifications on this page, or one that stands alone) by a digest of exactly those values: a
notification marked read, a new one, a renamed discussion or member all give a new key by
themselves. Which notifications are listed (`inbox.VISIBLE`: nothing about a hidden or waiting
comment) is decided by that query, never by a group's copy. A group's HTML is stored with the
version of EVERYTHING and used only while it is current, through `config.versions`: nothing is
stored while a version settles, and while Redis does not answer nothing is read from it. Groups
missing from the cache are rendered from their notifications, read in one more query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, Subquery
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode

from config import versions
from forum.cache.digest import FRAGMENT_TIMEOUT, digest, files_digest, joined
from forum.cache.fragments import CSRF_MARK
from forum.cache.versions import EVERYTHING
from forum.models import Notification
from forum.notifications import emails, inbox
from forum.notifications.kept_pages import KeptPage

PER_PAGE = 30
GROUP_TEMPLATE = "forum/notifications/includes/group.html"
GROUP_TEMPLATES = (GROUP_TEMPLATE,)

# Everything a listed notification shows (the group template, `emails.describe`), in the order a
# row is digested. Its id leads, and the page is ordered by (created_at, id).
SHOWN = (
    "pk", "created_at", "kind", "message", "read_at", "thread_id", "theme_id",
    "actor_id", "actor__display_name", "actor__deleted_at", "thread__title", "theme__title",
)
THREAD_AT = SHOWN.index("thread_id")


# One page of notifications -------------------------------------------------------------------------


@dataclass
class NotificationsPage:
    """One page of a member's notifications (each a tuple of SHOWN), newest first, with the
    addresses of the pages beside it."""

    number: int
    rows: list[tuple]
    has_previous: bool
    has_next: bool
    previous_url: str = ""
    next_url: str = ""

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def read_page(request) -> NotificationsPage:
    """The page of the signed-in member's notifications that the request's query names."""
    number, before, after = _query(request)
    user = request.user
    if after is not None:
        page = _newer_page(user, after, number)
    elif before is not None:
        page = _older_page(user, before, number)
    else:
        page = _offset_page(user, number)
    if page.number > 1 and not page.rows:
        raise Http404("No such page.")
    _link(page)
    return page


def _positive(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise Http404("No such page.")
    return int(value)


def _query(request) -> tuple[int, int | None, int | None]:
    """?page= (a label beside a position; on its own, an OFFSET), ?before= or ?after=."""
    number = _positive(request.GET.get("page", "1"))
    before, after = _positive(request.GET.get("before")), _positive(request.GET.get("after"))
    if before is not None and after is not None:
        raise Http404("No such page.")
    return number, before, after


def _listed(user):
    return Notification.objects.filter(recipient=user).filter(inbox.VISIBLE)


def _moment(user, pk: int):
    """When the member's notification `pk` was made, as a subquery (NULL when it is not theirs)."""
    return Subquery(Notification.objects.filter(pk=pk, recipient=user).values("created_at")[:1])


def _older_page(user, pk: int, number: int) -> NotificationsPage:
    moment = _moment(user, pk)
    # `created_at <= moment` is the index's range; the pair decides ties.
    older = Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk)
    rows = _listed(user).filter(created_at__lte=moment).filter(older).order_by("-created_at", "-pk")
    found = list(rows.values_list(*SHOWN)[: PER_PAGE + 1])
    return NotificationsPage(number=max(number, 2), rows=found[:PER_PAGE], has_previous=True,
                             has_next=len(found) > PER_PAGE)


def _newer_page(user, pk: int, number: int) -> NotificationsPage:
    moment = _moment(user, pk)
    newer = Q(created_at__gt=moment) | Q(created_at=moment, pk__gt=pk)
    rows = _listed(user).filter(created_at__gte=moment).filter(newer).order_by("created_at", "pk")
    found = list(rows.values_list(*SHOWN)[: PER_PAGE + 1])
    if len(found) <= PER_PAGE:
        return _offset_page(user, 1)  # nothing newer than these: they begin the first page
    return NotificationsPage(number=max(number, 2), rows=found[:PER_PAGE][::-1], has_previous=True,
                             has_next=True)


def _offset_page(user, number: int) -> NotificationsPage:
    start = (number - 1) * PER_PAGE
    rows = _listed(user).order_by("-created_at", "-pk").values_list(*SHOWN)
    found = list(rows[start : start + PER_PAGE + 1])
    return NotificationsPage(number=number, rows=found[:PER_PAGE], has_previous=number > 1,
                             has_next=len(found) > PER_PAGE)


def _link(page: NotificationsPage) -> None:
    """The Newer and Older addresses: by the first and last notification shown."""
    base = reverse("forum:notifications")
    if page.has_previous and page.rows:
        newer = page.number - 1
        params = {"after": page.rows[0][0], "page": newer} if newer > 1 else {}
        page.previous_url = f"{base}?{urlencode(params)}" if params else base
    if page.has_next:
        page.next_url = f"{base}?{urlencode({'before': page.rows[-1][0], 'page': page.number + 1})}"


# The page's groups as HTML -------------------------------------------------------------------------


def group_rows(rows: list[tuple]) -> list[list[tuple]]:
    """Rows (newest first) in groups: those about one discussion together, each group where its
    newest falls; a notification about no discussion stands alone."""
    groups: dict[tuple, list[tuple]] = {}
    for row in rows:
        key = ("thread", row[THREAD_AT]) if row[THREAD_AT] else ("single", row[0])
        groups.setdefault(key, []).append(row)
    return list(groups.values())


def page_response(request, render) -> HttpResponse:
    """The requested page: kept whole while nothing on it has changed (`kept_pages`), else read,
    its groups from the cache where they are current. `render(page, groups_html, marks)` gives
    the page's HTML, with the member's own parts as marks when `marks`."""
    kept = KeptPage(request)
    if (response := kept.response()) is not None:
        return response
    page = read_page(request)
    html, complete = groups_html(request.user, page)
    if kept.usable:
        thread_ids = [row[THREAD_AT] for row in page.rows if row[THREAD_AT]]
        if (response := kept.keep(render(page, joined([html]), True), thread_ids, store=complete)) is not None:
            return response
    return HttpResponse(render(page, joined([html.replace(CSRF_MARK, get_token(request))]), False))


def groups_html(user, page: NotificationsPage) -> tuple[str, bool]:
    """The page's groups of notifications as HTML with CSRF marks (from the cache where they are
    current, the rest rendered and stored), and whether every group was whole."""
    groups = group_rows(page.rows)
    keys = [_group_key(group) for group in groups]
    shared = settings.SHARED_CACHE
    found, current = versions.read([EVERYTHING], *keys) if shared else ({}, [])
    html = {}
    for key in keys:
        stored = found.get(key)
        if isinstance(stored, dict) and stored.get("versions") == current:
            html[key] = stored["html"]
    missing = [(key, group) for key, group in zip(keys, groups, strict=True) if key not in html]
    made, complete = _render_groups(user, missing)
    html.update(made)
    if complete and shared and versions.all_settled(current):
        cache.set_many({key: {"versions": current, "html": made[key]} for key in complete}, timeout=FRAGMENT_TIMEOUT)
    return "".join(html[key] for key in keys), len(complete) == len(missing)


def _group_key(group: list[tuple]) -> str:
    """A digest of what the group shows, and of what shapes how it shows it."""
    context = (files_digest(GROUP_TEMPLATES), timezone.get_current_timezone_name(), translation.get_language())
    return "forum:notification-group:" + digest((context, tuple(group)))


def _render_groups(user, missing: list[tuple[str, list[tuple]]]) -> tuple[dict[str, str], list[str]]:
    """The HTML of these groups, from their notifications (read in one query), and the keys of
    those whose every notification was still listed (a group that lost one as it was read is
    shown without it, and not stored)."""
    if not missing:
        return {}, []
    notifications = inbox.listed_notifications(user).in_bulk([row[0] for _key, group in missing for row in group])
    template = get_template(GROUP_TEMPLATE)
    made, complete = {}, []
    for key, group in missing:
        items = [notifications[row[0]] for row in group if row[0] in notifications]
        made[key] = template.render(_group_context(items)) if items else ""
        if len(items) == len(group):
            complete.append(key)
    return made, complete


def _group_context(items: list[Notification]) -> dict:
    for item in items:
        item.description = emails.describe(item)
    return {
        "group_id": items[0].pk,
        "thread": items[0].thread,
        "theme": items[0].theme,
        "items": items,
        "unread": sum(1 for item in items if item.read_at is None),
        "csrf_token": CSRF_MARK,
    }

