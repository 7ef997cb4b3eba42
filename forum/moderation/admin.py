"""Admin for reports, word filters and the moderation log (registered by forum/admin.py).

The log is append-only here too: nobody, superusers included, can add, change or delete an entry
through the admin. Reports are read-only (moderators resolve them in the review queue, where the
action is logged). Filter changes made here are logged and take effect at once, as in the app.
"""

from django.contrib import admin

from config.adminmixins import ReadOnly
from forum.models import Flag, ModerationLogEntry, WordFilter
from forum.moderation import filters
from forum.moderation.forms import WordFilterForm


@admin.register(ModerationLogEntry)
class ModerationLogEntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "automatic", "action", "target_type", "target_id", "target_repr")
    list_filter = ("action", "target_type", "automatic")
    search_fields = ("actor_name", "target_repr", "reason")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in ModerationLogEntry._meta.fields]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("created_at", "reason", "status", "flagger", "comment", "thread")
    list_filter = ("status", "reason")
    list_select_related = ("flagger", "comment", "thread")
    readonly_fields = [field.name for field in Flag._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WordFilter)
class WordFilterAdmin(admin.ModelAdmin):
    form = WordFilterForm
    list_display = ("pattern", "is_regex", "action", "replacement", "created_by", "created_at")
    list_filter = ("action", "is_regex")
    search_fields = ("pattern",)
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        filters.filter_saved(word_filter=obj, moderator=request.user, created=not change)

    def delete_model(self, request, obj):
        filters.delete_filter(word_filter=obj, moderator=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
