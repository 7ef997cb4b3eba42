"""Coded responses: each theme's codebook, kept by facilitators, and the codes applied to comments
(Citizen Space's way of reading many responses). Codes are public, with who applied them.

`Comment.codes` keeps a copy of a comment's codes ({"id", "label", "by"} each) so a page of
comments shows them with no query per comment, and the comment's cached HTML changes with them;
only `forum.coding.services` writes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from forum.models.core import Comment, Theme


class Code(models.Model):
    """One code in a theme's codebook."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="codes")
    label = models.CharField(max_length=60)
    description = models.CharField(max_length=300, blank=True, help_text="When to apply it, in a sentence.")
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["theme", "position", "label"]
        constraints = [models.UniqueConstraint(fields=["theme", "label"], name="forum_code_theme_label_unique")]

    def __str__(self) -> str:
        return self.label


class CodeApplication(models.Model):
    """A code applied to a comment, and who applied it."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="applications")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="code_applications")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    applied_by_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "comment"], name="forum_codeapplication_unique")]

    def __str__(self) -> str:
        return f"{self.code} on comment {self.comment_id}"
