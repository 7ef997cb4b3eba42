"""The planning map: stages of the patient journey, and the needs and offers members place on it.

A need or an offer is a discussion with a few fields more. Its title is the discussion's title and
its description the opening comment, so posting, pre-moderation, rate limits, reports, moderation,
following, search, downloads and erasure are those of any discussion, and "we see this too" is an
agreement with the opening comment (counted by stakeholder group). `MapEntry` adds where it sits on
the map (stage, kind of support, region); `MapLink` says an offer could help a need, which makes
the need a match.

`MapEntry.seen_groups` (how many groups see a need too) and `MapEntry.link_count` are kept by
`forum.planning`, so the map and its lists are built from this table alone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from forum.models.core import Comment, Theme, Thread


class EntryKind(models.TextChoices):
    NEED = "need", "Need"
    OFFER = "offer", "Offer"


class SupportKind(models.TextChoices):
    """The source text's three words for the support a part of the journey needs."""

    CAPACITY = "capacity", "Capacity"
    CAPABILITY = "capability", "Capability"
    INVESTMENT = "investment", "Investment"


SUPPORT_HINTS = {
    SupportKind.CAPACITY: "More of something: beds, theatre time, appointments, staff hours.",
    SupportKind.CAPABILITY: "Skills, equipment or ways of working that are missing.",
    SupportKind.INVESTMENT: "Money or capital: buildings, equipment, digital systems.",
}


class JourneyStage(models.Model):
    """A stage of the patient journey (or a row that crosses every stage, such as the workforce),
    loaded from forum/content/journey.toml and edited in the admin."""

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=120)
    description = models.TextField(help_text="One or two sentences in plain words.")
    position = models.PositiveIntegerField(default=0)
    cross_cutting = models.BooleanField(
        default=False, help_text="A row that runs across every stage, such as workforce and training."
    )
    is_archived = models.BooleanField(
        default=False,
        help_text="An archived stage stays on the map with what was posted to it, but takes no new needs or offers.",
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="journey_stages")
    paragraphs = models.ManyToManyField("articles.Paragraph", blank=True, related_name="journey_stages")

    class Meta:
        ordering = ["cross_cutting", "position", "title"]

    def __str__(self) -> str:
        return self.title


class MapEntryQuerySet(models.QuerySet):
    def on_map(self):
        """Entries everyone may see: the discussion and its opening comment are published and the
        opening comment was not withdrawn by its author."""
        return self.filter(
            thread__is_hidden=False, thread__needs_approval=False,
            opening__is_hidden=False, opening__needs_approval=False, opening__is_deleted=False,
        )

    def needs(self):
        return self.filter(kind=EntryKind.NEED)

    def offers(self):
        return self.filter(kind=EntryKind.OFFER)


class MapEntry(models.Model):
    """A need ("where we need support") or an offer ("what we can offer") on the map."""

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="map_entry")
    opening = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="map_entry")
    kind = models.CharField(max_length=8, choices=EntryKind.choices)
    stage = models.ForeignKey(JourneyStage, on_delete=models.PROTECT, related_name="entries")
    support = models.CharField("kind of support", max_length=12, choices=SupportKind.choices)
    region = models.ForeignKey("accounts.Region", on_delete=models.PROTECT, related_name="map_entries")
    paragraph = models.ForeignKey(
        "articles.Paragraph", on_delete=models.SET_NULL, null=True, blank=True, related_name="map_entries"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Kept by forum.planning: stakeholder groups saying "we see this too", and links to the other kind.
    seen_groups = models.PositiveSmallIntegerField(default=0, editable=False)
    link_count = models.PositiveIntegerField(default=0, editable=False)

    objects = MapEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "need or offer"
        verbose_name_plural = "needs and offers"
        indexes = [models.Index(fields=["stage", "support", "kind"], name="forum_mapentry_cell_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.thread.title}"

    def get_absolute_url(self) -> str:
        return reverse("forum:map_entry", kwargs={"pk": self.pk})

    @property
    def title(self) -> str:
        return self.thread.title

    @property
    def is_need(self) -> bool:
        return self.kind == EntryKind.NEED

    @property
    def is_match(self) -> bool:
        return self.link_count > 0

    @property
    def other_kind_label(self) -> str:
        return "offer" if self.is_need else "need"


class MapLink(models.Model):
    """"This could help": an offer linked to a need by a member."""

    need = models.ForeignKey(MapEntry, on_delete=models.CASCADE, related_name="offer_links")
    offer = models.ForeignKey(MapEntry, on_delete=models.CASCADE, related_name="need_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["need", "offer"], name="forum_maplink_unique")]

    def __str__(self) -> str:
        return f"Offer {self.offer_id} could help need {self.need_id}"
