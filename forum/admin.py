"""Admin for themes, threads and comments. Counters are read-only: only forum.services changes them."""

from django.contrib import admin

from forum import caching
from forum.models import Comment, CommentRevision, Theme, ThemePassage, Thread


class RenewsCachedPages:
    """Edits in the admin go around forum.services, which renew the cached pages a change shows
    on; renew them all here instead (admin edits are rare)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        caching.bump_everything()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        caching.bump_everything()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        caching.bump_everything()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        caching.bump_everything()


class ThemePassageInline(admin.TabularInline):
    model = ThemePassage
    extra = 0
    raw_id_fields = ("paragraph", "section")
    ordering = ("position",)


@admin.register(Theme)
class ThemeAdmin(RenewsCachedPages, admin.ModelAdmin):
    list_display = ("title", "position", "status", "closes_at", "thread_count", "comment_count", "last_activity_at")
    list_filter = ("status",)
    list_editable = ("position", "status")
    search_fields = ("title", "summary")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("thread_count", "comment_count", "last_activity_at", "participant_groups", "renderer_version")
    inlines = [ThemePassageInline]


@admin.register(Thread)
class ThreadAdmin(RenewsCachedPages, admin.ModelAdmin):
    list_display = ("title", "theme", "author_name", "comment_count", "last_activity_at", "is_pinned", "is_locked")
    list_filter = ("theme", "is_pinned", "is_locked", "is_hidden", "needs_approval")
    search_fields = ("title", "author_name")
    raw_id_fields = ("author", "anchor_paragraph")
    list_select_related = ("theme",)
    readonly_fields = ("last_position", "comment_count", "participant_groups", "created_at", "last_activity_at")
    date_hierarchy = "created_at"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "theme" in form.changed_data:  # moved here rather than by moderation.move_thread
            Comment.objects.filter(thread=obj).update(thread_theme=obj.theme)  # search's copy


class CommentRevisionInline(admin.TabularInline):
    model = CommentRevision
    extra = 0
    fields = ("created_at", "edited_by", "body")
    readonly_fields = fields
    can_delete = False
    raw_id_fields = ("edited_by",)


@admin.register(Comment)
class CommentAdmin(RenewsCachedPages, admin.ModelAdmin):
    list_display = ("__str__", "thread", "position", "created_at", "is_deleted", "is_hidden", "needs_approval")
    list_filter = ("is_deleted", "is_hidden", "needs_approval", "stance")
    search_fields = ("body", "author_name")
    raw_id_fields = ("thread", "author", "parent", "quoted_comment", "hidden_by", "approved_by")
    list_select_related = ("thread",)
    readonly_fields = ("position", "body_html", "renderer_version", "created_at", "edited_at", "deleted_at")
    inlines = [CommentRevisionInline]
    date_hierarchy = "created_at"


from forum import moderation_admin  # noqa: E402, F401 - reports, filters and the log
