"""Needs and offers on the planning map, in proportion at every scale (DemoSeeder's third part).

A share of the demo's discussions (never the hot one) become needs or offers: they get a need's or
an offer's title before they are written, and their `MapEntry` rows after. Members of provider
groups mostly offer, commissioners and NHS staff mostly need. "We see this too" is the agreements
the demo already made with each opening comment; some needs are linked to an offer at the same
stage, in the same region when there is one.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Region, StakeholderGroup, User
from forum.models import Agreement, Comment, EntryKind, JourneyStage, MapEntry, MapLink, SupportKind

MAP_SHARE = 0.12  # of the discussions, at every scale
LINKED_SHARE = 0.35  # of the needs
OFFERING_GROUPS = {StakeholderGroup.INDEPENDENT_PROVIDER, StakeholderGroup.SOCIAL_CARE, StakeholderGroup.VCSE}
SUPPORT_WEIGHTS = [(SupportKind.CAPACITY, 5), (SupportKind.CAPABILITY, 3), (SupportKind.INVESTMENT, 2)]

NEED_TITLES = [
    "Theatre staff to run weekend lists",
    "Care packages so patients can leave hospital on time",
    "Scanning capacity for people waiting over six weeks",
    "Skills to run a one-stop diagnostic clinic",
    "Funding for a community rehabilitation team",
    "Interpreters for patients at diagnostic centres",
    "Training places for advanced practitioners",
    "A shared waiting list across providers",
    "Beds for step-down care after surgery",
    "Digital referral links between GP practices and providers",
]
OFFER_TITLES = [
    "Evening and weekend theatre sessions",
    "Spare MRI and CT sessions at our centre",
    "Supervised training placements for junior doctors",
    "A care-at-home team able to start within a week",
    "Volunteers to support patients after discharge",
    "Mobile diagnostic units for rural areas",
    "Shared training in a new surgical technique",
    "Community venues for outreach clinics",
    "Capital to co-fund a diagnostic hub",
    "Physiotherapy capacity for post-operative recovery",
]


class Planning:
    """Chooses which demo discussions are needs and offers, and places them on the map."""

    def _choose_map_entries(self, specs) -> None:
        """Mark a share of the discussions (not the hot one) as needs or offers, with fitting titles."""
        self.map_specs: list[tuple[object, str]] = []
        if not JourneyStage.objects.filter(is_archived=False).exists():
            return  # stages not loaded (load_journey): the demo has no map
        for spec in specs[1:]:
            if self.rng.random() >= MAP_SHARE:
                continue
            offering = self.members[spec.author].group in OFFERING_GROUPS
            kind = EntryKind.OFFER if (self.rng.random() < 0.7) == offering else EntryKind.NEED
            spec.title = self.rng.choice(OFFER_TITLES if kind == EntryKind.OFFER else NEED_TITLES)
            self.map_specs.append((spec, kind))

    def _place_on_map(self) -> None:
        """The MapEntry rows for the chosen discussions, their "seen" figures and some links."""
        if not self.map_specs:
            return
        rng = self.rng
        stages = list(JourneyStage.objects.filter(is_archived=False).values_list("pk", flat=True))
        icbs = list(Region.objects.current().filter(kind=Region.Kind.ICB).values_list("pk", flat=True))
        thread_ids = [spec.id for spec, _kind in self.map_specs]
        openings = dict(Comment.objects.filter(thread_id__in=thread_ids, position=1).values_list("thread_id", "pk"))
        author_ids = [self.members[spec.author].id for spec, _kind in self.map_specs]
        regions = dict(User.objects.filter(pk__in=author_ids).values_list("pk", "region_id"))
        supports = [code for code, _weight in SUPPORT_WEIGHTS]
        weights = [weight for _code, weight in SUPPORT_WEIGHTS]
        entries = [
            MapEntry(
                thread_id=spec.id, opening_id=openings[spec.id], kind=kind, stage_id=rng.choice(stages),
                support=rng.choices(supports, weights)[0],
                region_id=regions.get(self.members[spec.author].id) or rng.choice(icbs),
                created_at=spec.created_at,
            )
            for spec, kind in self.map_specs
            if spec.id in openings
        ]
        MapEntry.objects.bulk_create(entries, batch_size=1000)
        self._count_seen()
        self._link_some()

    def _count_seen(self) -> None:
        groups = (
            Agreement.objects.agreeing().filter(comment=OuterRef("opening_id"))
            .exclude(stakeholder_group__in=["", StakeholderGroup.OTHER])
            .order_by().values("comment").annotate(groups=Count("stakeholder_group", distinct=True)).values("groups")
        )
        MapEntry.objects.update(seen_groups=Coalesce(Subquery(groups), 0))

    def _link_some(self) -> None:
        entries = list(MapEntry.objects.values("pk", "kind", "stage_id", "region_id"))
        offers_by_stage: dict[int, list[dict]] = {}
        for entry in entries:
            if entry["kind"] == EntryKind.OFFER:
                offers_by_stage.setdefault(entry["stage_id"], []).append(entry)
        links = []
        for need in (entry for entry in entries if entry["kind"] == EntryKind.NEED):
            offers = offers_by_stage.get(need["stage_id"])
            if not offers or self.rng.random() >= LINKED_SHARE:
                continue
            near = [offer for offer in offers if offer["region_id"] == need["region_id"]]
            links.append(MapLink(need_id=need["pk"], offer_id=self.rng.choice(near or offers)["pk"]))
        MapLink.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
        need_links = MapLink.objects.filter(need_id=OuterRef("pk")).order_by().values("need_id")
        offer_links = MapLink.objects.filter(offer_id=OuterRef("pk")).order_by().values("offer_id")
        MapEntry.objects.filter(kind=EntryKind.NEED).update(
            link_count=Coalesce(Subquery(need_links.annotate(n=Count("pk")).values("n")), 0)
        )
        MapEntry.objects.filter(kind=EntryKind.OFFER).update(
            link_count=Coalesce(Subquery(offer_links.annotate(n=Count("pk")).values("n")), 0)
        )
