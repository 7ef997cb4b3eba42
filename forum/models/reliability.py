"""Nothing the member typed is lost: one-time submission keys and server-side drafts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SubmissionKey(models.Model):
    """A form's one-time key: a repeated POST with the same key finds the comment already made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    comment = models.ForeignKey("forum.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="forum_submissionkey_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class Draft(models.Model):
    """A comment being written, saved as the member types; `context` names the form it belongs to
    (for example `thread:12`, `reply:12:345`, `theme:backlog:new`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    context = models.CharField(max_length=100)
    title = models.CharField(max_length=150, blank=True)
    body = models.TextField(blank=True, max_length=20_000)
    # For an edit draft: the revision the member started from, so coming back to it later still
    # notices a newer revision instead of saving over it.
    base_revision = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "context"], name="forum_draft_unique")]

    def __str__(self) -> str:
        return f"Draft {self.context} by {self.user_id}"
