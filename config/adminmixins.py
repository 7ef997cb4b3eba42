"""Mixins for admin pages: read-only records, and pages whose edits others must hear about."""

from __future__ import annotations


class ReadOnly:
    """An admin page that lists and shows rows but never adds, changes or deletes them: records
    kept for accountability (the moderation log, the affiliation log, notifications)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AnnouncesChanges:
    """Runs `after_change()` after every save or delete made on this admin page.

    Edits in the admin go around the services, which announce their own changes (the forum's
    events); an admin page whose rows are shown elsewhere says what to announce instead.
    """

    def after_change(self) -> None:
        """Announce that rows changed (each admin using the mixin says how)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.after_change()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self.after_change()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.after_change()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self.after_change()
