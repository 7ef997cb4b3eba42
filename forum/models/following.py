"""Following themes and threads, notifications, and email preferences.

Follow levels follow Discourse's: Watching (every new comment; for a theme, every new thread and
comment), Tracking (unread counts; told only about replies, quotes and mentions), Normal, Muted
(nothing, even inside a watched theme). A thread's own level wins over its theme's.

A notification is one row per recipient per event. The unique constraint makes fan-out
idempotent: a retried task inserts nothing new (`bulk_create(..., ignore_conflicts=True)`).
`emailed_at` records that the notification went out by email (immediately or in a digest), so a
digest never repeats what was already sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from forum.models.core import Comment, Theme, Thread


class FollowLevel(models.TextChoices):
    WATCHING = "watching", "Watching"
    TRACKING = "tracking", "Tracking"
    NORMAL = "normal", "Normal"
    MUTED = "muted", "Muted"


class ThemeFollow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="theme_follows")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="follows")
    level = models.CharField(max_length=10, choices=FollowLevel.choices, default=FollowLevel.WATCHING)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "theme"], name="forum_themefollow_unique")]
        indexes = [models.Index(fields=["theme", "level"], name="forum_themefollow_level_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level} theme {self.theme_id}"


class ThreadFollow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_follows")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    level = models.CharField(max_length=10, choices=FollowLevel.choices, default=FollowLevel.TRACKING)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="forum_threadfollow_unique")]
        indexes = [models.Index(fields=["thread", "level"], name="forum_threadfollow_level_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level} thread {self.thread_id}"


class NotificationKind(models.TextChoices):
    REPLY = "reply", "Reply to your comment"
    QUOTE = "quote", "Quote of your comment"
    MENTION = "mention", "Mention of you"
    WATCHED_COMMENT = "watched_comment", "New comment in a discussion you watch"
    NEW_THREAD = "new_thread", "New discussion in a theme you watch"
    COMMON_GROUND = "common_ground", "Your comment became common ground"
    MODERATION = "moderation", "Moderation of your content or account"
    THEME_RESPONSE = "theme_response", "Official response to a theme you follow"
    COMMITMENT = "commitment", "Update on a commitment in a theme you follow"


class EmailFrequency(models.TextChoices):
    IMMEDIATELY = "immediately", "Immediately"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    NEVER = "never", "Never"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    message = models.TextField(blank=True, help_text="For moderation notices: what happened and why.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # An immediate email that failed: tried again after a wait (settings.EMAIL_RETRY_DELAYS), then
    # given up with the reason, which operators see in the admin.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_retry_at = models.DateTimeField(null=True, blank=True)
    email_failed_at = models.DateTimeField(null=True, blank=True, help_text="When sending its email was given up.")
    email_error = models.CharField(max_length=300, blank=True, help_text="Why its email last failed.")

    class Meta:
        constraints = [
            # Moderation notices are left out: several actions on one comment (hidden, then
            # restored) each deserve a notice. Their tasks find a first attempt by its moment instead.
            models.UniqueConstraint(
                fields=["recipient", "comment", "kind"],
                condition=Q(comment__isnull=False) & ~Q(kind="moderation"),
                name="forum_notification_once_per_comment",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="forum_notif_recipient_idx"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="forum_notif_unread_idx"
            ),
            models.Index(
                fields=["recipient", "created_at"], condition=Q(emailed_at__isnull=True), name="forum_notif_unsent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class NotificationPreference(models.Model):
    """How and when a member hears about things; one row per member, created on first change."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_frequency = models.CharField(
        max_length=12, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATELY
    )
    email_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="Event kinds sent by email; empty means every kind.",
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_frequency}"


class DigestPeriod(models.Model):
    """One digest run on the schedule: the daily or weekly digest due at `due_at` (a boundary of
    the schedule in forum.notifications.schedule), sent by whichever task worker claims it first.

    The row is written with the task that will run it, in one transaction. The run claims it with
    a conditional UPDATE (`... WHERE claimed_at IS NULL`), so however many workers (or copies of
    the task) reach it, the period is sent once; its figures are filled in when it finishes. At
    most one row per frequency waits unclaimed: the next one the chain will run.
    """

    frequency = models.CharField(max_length=12, choices=EmailFrequency.choices)
    due_at = models.DateTimeField(help_text="When this digest is due: the start of its period.")
    task_id = models.CharField(max_length=64, blank=True, help_text="The queued task that runs it.")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker started sending it.")
    claimed_by = models.CharField(max_length=100, blank=True, help_text="The worker (host:process) that sent it.")
    finished_at = models.DateTimeField(null=True, blank=True)
    members = models.PositiveIntegerField(default=0, help_text="Members with something new.")
    emails = models.PositiveIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0, help_text="Digests that failed; their items wait.")
    retried = models.PositiveIntegerField(
        null=True, blank=True, help_text="Daily runs: immediate emails sent after an earlier failure."
    )
    error = models.CharField(max_length=300, blank=True, help_text="Why the run stopped, if it did.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["frequency", "due_at"], name="forum_digestperiod_once"),
            models.UniqueConstraint(
                fields=["frequency"], condition=Q(claimed_at__isnull=True), name="forum_digestperiod_one_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.frequency} digest due {self.due_at:%Y-%m-%d %H:%M}"
