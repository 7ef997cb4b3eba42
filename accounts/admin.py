from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "stakeholder_group", "affiliation_verified", "is_staff", "last_login")
    list_filter = ("stakeholder_group", "affiliation_verified", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "display_name", "organisation_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "stakeholder_group", "organisation_name", "job_title", "declared_interests", "affiliation_verified")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
