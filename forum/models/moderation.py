"""Flags, moderation actions and their append-only log, suspensions, filters and appeals."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.markdown import RENDERER_VERSION, render_markdown
from forum.models.core import Comment, Thread


class FlagReason(models.TextChoices):
    OFF_TOPIC = "off_topic", "Off-topic"
    ABUSIVE = "abusive", "Abusive or disrespectful"
    SPAM = "spam", "Spam or advertising"
    PATIENT_INFORMATION = "patient_information", "Contains patient-identifiable information"
    CONFIDENTIAL = "confidential", "Commercially sensitive or confidential"
    OTHER = "other", "Other"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    KEPT = "kept", "Reviewed: content kept"
    ACTIONED = "actioned", "Reviewed: action taken"


class Flag(models.Model):
    """One member's report of a comment or a thread (exactly one of the two)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    flagger = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="flags")
    reason = models.CharField(max_length=24, choices=FlagReason.choices)
    detail = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(comment__isnull=False, thread__isnull=True) | Q(comment__isnull=True, thread__isnull=False),
                name="forum_flag_one_target",
            ),
            models.UniqueConstraint(
                fields=["flagger", "comment"], condition=Q(comment__isnull=False), name="forum_flag_once_per_comment"
            ),
            models.UniqueConstraint(
                fields=["flagger", "thread"], condition=Q(thread__isnull=False), name="forum_flag_once_per_thread"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="forum_flag_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} by {self.flagger_id}"


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses the bulk changes that would bypass `save()` and `delete()` on an append-only model.
    (A deleted member's entries keep their name: Django's SET_NULL of `actor` is not a queryset
    update and still runs.)"""

    def update(self, **kwargs):
        raise PermissionDenied("The moderation log is append-only: entries cannot be changed.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise PermissionDenied("The moderation log is append-only: entries cannot be changed.")

    def delete(self):
        raise PermissionDenied("The moderation log is append-only: entries cannot be deleted.")


class ModerationLogEntry(models.Model):
    """Append-only record of every moderation action: saved once, never changed or deleted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=40)
    target_type = models.CharField(max_length=20)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    automatic = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["action", "-created_at"], name="forum_modlog_action_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type} {self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("The moderation log is append-only: entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The moderation log is append-only: entries cannot be deleted.")


class Suspension(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions")
    reason = models.TextField()
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty means until lifted.")
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["member", "lifted_at"], name="forum_suspension_member_idx")]

    def __str__(self) -> str:
        return f"Suspension of {self.member_id}"


class FilterAction(models.TextChoices):
    BLOCK = "block", "Block the comment with a message"
    REVIEW = "review", "Send the comment to the review queue"
    REPLACE = "replace", "Replace the matched text"


class WordFilter(models.Model):
    pattern = models.CharField(max_length=200, help_text="A word or phrase, or a regular expression.")
    is_regex = models.BooleanField(default=False)
    action = models.CharField(max_length=10, choices=FilterAction.choices)
    replacement = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=300, blank=True, help_text="Shown to the author when blocked.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.pattern


class AppealStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    UPHELD = "upheld", "Upheld: decision reversed"
    REJECTED = "rejected", "Rejected: decision stands"


class Appeal(models.Model):
    """An author's single reply to a moderation decision; goes to the queue."""

    log_entry = models.OneToOneField(ModerationLogEntry, on_delete=models.PROTECT, related_name="appeal")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals")
    text = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Appeal by {self.member_id}"


class ThemeResponse(models.Model):
    """A facilitator's official "you said, we did" response, shown at the top of the theme."""

    theme = models.ForeignKey("forum.Theme", on_delete=models.CASCADE, related_name="responses")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    author_name = models.CharField(max_length=100)
    body = models.TextField(max_length=20_000)
    body_html = models.TextField(editable=False, blank=True)
    renderer_version = models.CharField(max_length=40, editable=False, blank=True)
    is_interim = models.BooleanField(
        default=False, help_text="An interim response leaves the theme's status as it was."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("respond_to_theme", "Can post the official response on a theme")]

    def __str__(self) -> str:
        return f"Response on theme {self.theme_id}"

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        self.renderer_version = RENDERER_VERSION
        super().save(*args, **kwargs)
