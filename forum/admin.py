"""Admin for themes, threads and comments (and, registered from its own package, moderation's).
Counters are read-only: only forum.posting.counters changes them."""

from django.contrib import admin

from config.adminmixins import AnnouncesChanges
from forum import events
from forum.models import Comment, CommentRevision, JourneyStage, MapEntry, MapLink, Theme, ThemePassage, Thread
from forum.moderation import admin as moderation_admin  # noqa: F401 - reports, filters and the log
from forum.notifications import admin as notifications_admin  # noqa: F401 - emails that failed
from forum.search.indexing import copy_theme_to_comments


class RenewsCachedPages(AnnouncesChanges):
    """Edits in the admin go around the services, whose events renew the cached pages a change
    shows on; renew them all here instead (admin edits are rare)."""

    def after_change(self) -> None:
        events.forum_changed.send(reason="admin edit")


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
        if change and "theme" in form.changed_data:  # moved here rather than by a moderator
            copy_theme_to_comments(obj)  # search's copy


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



@admin.register(JourneyStage)
class JourneyStageAdmin(RenewsCachedPages, admin.ModelAdmin):
    """Stages of the patient journey: loaded from forum/content/journey.toml; archive one here to
    stop new needs and offers on it (what was posted stays on the map)."""

    list_display = ("title", "position", "cross_cutting", "is_archived")
    list_editable = ("position", "is_archived")
    list_filter = ("cross_cutting", "is_archived")
    search_fields = ("title", "description")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("themes",)
    raw_id_fields = ("paragraphs",)


class OfferLinkInline(admin.TabularInline):
    model = MapLink
    fk_name = "need"
    extra = 0
    raw_id_fields = ("offer", "linked_by")
    verbose_name = "offer linked to this need"


@admin.register(MapEntry)
class MapEntryAdmin(RenewsCachedPages, admin.ModelAdmin):
    """Needs and offers. Their text and moderation are their discussion's (the thread and its
    opening comment); here an administrator can correct where one sits on the map."""

    list_display = ("__str__", "kind", "stage", "support", "region", "seen_groups", "link_count", "created_at")
    list_filter = ("kind", "stage", "support", "region")
    search_fields = ("thread__title",)
    raw_id_fields = ("thread", "opening", "paragraph")
    list_select_related = ("thread", "stage", "region")
    readonly_fields = ("seen_groups", "link_count", "created_at")
    inlines = [OfferLinkInline]
