"""Commitments: what a facilitator's response says will be done, by which organisation, by when,
and the dated updates on its way to done (or dropped, with the reason). Decidim's accountability
component is the model; "you said, we did", tracked."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from forum.models.core import Theme
from forum.models.moderation import ThemeResponse

WHAT_MAX_LENGTH = 300
ORGANISATION_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 1000


class CommitmentStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


# NHS.UK tag colours: the colour never carries the meaning alone, the words do.
TAG_COLOURS = {
    CommitmentStatus.PLANNED: "grey",
    CommitmentStatus.IN_PROGRESS: "blue",
    CommitmentStatus.DONE: "green",
    CommitmentStatus.DROPPED: "red",
}


class CommitmentQuerySet(models.QuerySet):
    def with_updates(self):
        """Each commitment with its updates, oldest first, in one more query."""
        updates = CommitmentUpdate.objects.order_by("created_at", "pk")
        return self.prefetch_related(Prefetch("updates", queryset=updates))


class Commitment(models.Model):
    """One thing a response says will be done. Its status changes only through `change_status`."""

    response = models.ForeignKey(ThemeResponse, on_delete=models.CASCADE, related_name="commitments")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="commitments")
    what = models.CharField(max_length=WHAT_MAX_LENGTH)
    owner_organisation = models.CharField(max_length=ORGANISATION_MAX_LENGTH)
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=CommitmentStatus.choices, default=CommitmentStatus.PLANNED)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(what="") & ~Q(owner_organisation=""), name="forum_commitment_what_and_who"
            ),
        ]

    def __str__(self) -> str:
        return self.what

    @property
    def tag_colour(self) -> str:
        return TAG_COLOURS.get(self.status, "grey")

    @transaction.atomic
    def change_status(self, *, status: str, note: str, author) -> CommitmentUpdate:
        """Record a dated update and the new status together, on the locked row; refuses (with
        ValidationError) an unknown status and a drop without its reason. Returns the update."""
        if status not in CommitmentStatus.values:
            raise ValidationError("Choose planned, in progress, done or dropped.")
        note = (note or "").strip()
        if status == CommitmentStatus.DROPPED and not note:
            raise ValidationError("Give the reason it was dropped. Readers see it.")
        locked = Commitment.objects.select_for_update().get(pk=self.pk)
        update = CommitmentUpdate.objects.create(
            commitment=locked, status=status, note=note, author=author,
            author_name=author.public_name if author is not None else "",
        )
        locked.status = status
        locked.save(update_fields=["status"])
        self.status = status
        return update


class CommitmentUpdate(models.Model):
    """A dated step in a commitment's life: its status from then on, and a note (the reason, when
    it was dropped). Kept when its author's account goes, with their name as it was."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=12, choices=CommitmentStatus.choices)
    note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="dropped") | ~Q(note=""), name="forum_commitmentupdate_dropped_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.commitment_id})"

    @property
    def tag_colour(self) -> str:
        return TAG_COLOURS.get(self.status, "grey")
