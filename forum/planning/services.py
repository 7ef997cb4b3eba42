"""Placing needs and offers on the map, linking them, and "we see this too".

Each function runs in one transaction and sends `map_changed`, which renews the cached map. A need
or an offer is started as a discussion (`posting.services.start_thread`: screening, pre-moderation
and counters included) with its `MapEntry` saved beside it. "We see this too" is an agreement with
the opening comment (`agreement.services`); `count_seen_groups` keeps the entry's figure, as the
handler of `agreement_changed`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import StakeholderGroup
from forum import events
from forum.agreement import services as agreement
from forum.models import Agreement, Comment, MapEntry, MapLink, VoteValue
from forum.planning import rules
from forum.posting import services as posting

__all__ = ["count_seen_groups", "link", "not_seen", "post_entry", "see_too", "unlink", "withdraw_seen"]


@transaction.atomic
def post_entry(
    *, kind: str, author, stage, support: str, region, title: str, body: str, theme, paragraph=None,
    needs_review: bool | None = None,
) -> MapEntry:
    """Start the discussion for a need or an offer and place it on the map."""
    thread = posting.start_thread(
        theme=theme, author=author, title=title, body=body, paragraph=paragraph, needs_review=needs_review
    )
    opening = Comment.objects.get(thread=thread, position=1)
    entry = MapEntry.objects.create(
        thread=thread, opening=opening, kind=kind, stage=stage, support=support, region=region,
        paragraph=paragraph, created_at=thread.created_at,
    )
    events.map_changed.send(entry=entry)
    return entry


def _locked_pair(need: MapEntry, offer: MapEntry) -> tuple[MapEntry, MapEntry]:
    """Both entries' rows, locked in a fixed order so two links at once cannot deadlock."""
    rows = MapEntry.objects.select_for_update().filter(pk__in=[need.pk, offer.pk]).order_by("pk")
    found = {entry.pk: entry for entry in rows.select_related("thread", "opening")}
    return found[need.pk], found[offer.pk]


@transaction.atomic
def link(*, need: MapEntry, offer: MapEntry, member) -> MapLink:
    """Record that `offer` could help `need` (which makes the need a match). Linking twice
    changes nothing and returns the first link."""
    if reason := rules.link_refusal(member, need, offer):
        raise PermissionDenied(reason)
    need, offer = _locked_pair(need, offer)
    made, created = MapLink.objects.get_or_create(need=need, offer=offer, defaults={"linked_by": member})
    if created:
        MapEntry.objects.filter(pk__in=[need.pk, offer.pk]).update(link_count=F("link_count") + 1)
        events.map_changed.send(entry=need)
    return made


@transaction.atomic
def unlink(*, map_link: MapLink, member) -> None:
    """Take a link away: the member who made it, or a moderator."""
    if reason := rules.unlink_refusal(member, map_link):
        raise PermissionDenied(reason)
    need, offer = _locked_pair(map_link.need, map_link.offer)
    if MapLink.objects.filter(pk=map_link.pk).delete()[0]:
        MapEntry.objects.filter(pk__in=[need.pk, offer.pk]).update(link_count=F("link_count") - 1)
        events.map_changed.send(entry=need)


def see_too(*, entry: MapEntry, member) -> None:
    """"We see this too": the member's agreement with the entry's opening comment."""
    if reason := rules.see_refusal(member, entry):
        raise PermissionDenied(reason)
    agreement.agree(comment=entry.opening, member=member)


def not_seen(*, entry: MapEntry, member) -> None:
    """"We do not see this": the member's disagreement with the entry's opening comment (it
    replaces a "we see this too" they gave before)."""
    if reason := rules.see_refusal(member, entry, disagreeing=True):
        raise PermissionDenied(reason)
    agreement.vote(comment=entry.opening, member=member, value=VoteValue.DISAGREE)


def withdraw_seen(*, entry: MapEntry, member) -> bool:
    """Take back "we see this too" or "we do not see this"."""
    return agreement.withdraw_vote(comment=entry.opening, member=member)


def count_seen_groups(comment, **kwargs) -> None:
    """Handler of `agreement_changed`: when the comment opens a need or an offer, count again the
    stakeholder groups that see it too (one UPDATE; nothing when it opens an ordinary discussion)."""
    if comment.position != 1:
        return
    groups = (
        Agreement.objects.agreeing()
        .filter(comment=OuterRef("opening_id"))
        .exclude(stakeholder_group__in=["", StakeholderGroup.OTHER])
        .order_by()
        .values("comment")
        .annotate(groups=Count("stakeholder_group", distinct=True))
        .values("groups")
    )
    MapEntry.objects.filter(opening_id=comment.pk).update(seen_groups=Coalesce(Subquery(groups), 0))


def connect() -> None:
    events.agreement_changed.connect(count_seen_groups)
