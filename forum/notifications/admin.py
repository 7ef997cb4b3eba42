"""Admin for notifications (registered by forum/admin.py): read-only, for operators to see which
emails failed and why, and which were given up (docs/operations.md "Emails that fail"), and each
scheduled digest run: when it was due, which worker sent it and what it sent."""

from django.contrib import admin

from config.adminmixins import ReadOnly
from forum.models import DigestPeriod, Notification


class EmailStateFilter(admin.SimpleListFilter):
    title = "email"
    parameter_name = "email"

    def lookups(self, request, model_admin):
        return [("given_up", "Given up"), ("retrying", "Waiting to be tried again"), ("sent", "Sent")]

    def queryset(self, request, queryset):
        if self.value() == "given_up":
            return queryset.filter(email_failed_at__isnull=False)
        if self.value() == "retrying":
            return queryset.filter(email_failed_at__isnull=True, email_retry_at__isnull=False,
                                   emailed_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(emailed_at__isnull=False)
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "emailed_at", "email_attempts", "email_retry_at",
                    "email_failed_at", "email_error")
    list_filter = (EmailStateFilter, "kind")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Notification._meta.fields]
    raw_id_fields = ("recipient", "actor", "theme", "thread", "comment")


@admin.register(DigestPeriod)
class DigestPeriodAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("due_at", "frequency", "claimed_at", "claimed_by", "finished_at", "emails", "items", "failures",
                    "retried", "error")
    list_filter = ("frequency",)
    date_hierarchy = "due_at"
    ordering = ("-due_at",)
    readonly_fields = [field.name for field in DigestPeriod._meta.fields]
