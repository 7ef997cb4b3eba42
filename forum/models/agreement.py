"""Common-ground signals: members agreeing with a comment, counted by stakeholder group."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from forum.models.core import Comment


class Agreement(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="agreements")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agreements")
    stakeholder_group = models.CharField(max_length=32, help_text="The member's group when they agreed.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "member"], name="forum_agreement_unique")]

    def __str__(self) -> str:
        return f"{self.member_id} agrees with {self.comment_id}"
