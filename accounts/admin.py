"""Admin for members, the register of regions, the organisation register and the affiliation log.

The admin is protected twice: signing in goes through the site's own sign-in (so rate limits and
two-factor authentication apply), and staff without two-factor authentication are refused with a
link to set it up (see `protect_admin_site`).
"""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Exists, OuterRef

from accounts import affiliation
from accounts.models import AffiliationEvent, Organisation, OrganisationDomain, Region, User
from accounts.permissions import has_mfa, passed_second_factor, second_factor_response
from accounts.validators import normalise_domain_rule
from config.adminmixins import ReadOnly

_MFA_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def protect_admin_site(site: admin.AdminSite) -> None:
    """Send admin sign-in through allauth and require two-factor authentication for staff."""
    original_login = site.login

    def login_with_mfa(request, extra_context=None):
        if refusal := second_factor_response(request):
            return refusal
        return original_login(request, extra_context)

    def has_permission(request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and has_mfa(user) and passed_second_factor(request))

    site.login = secure_admin_login(login_with_mfa)
    site.has_permission = has_permission


protect_admin_site(admin.site)


class MFAFilter(admin.SimpleListFilter):
    title = "two-factor authentication"
    parameter_name = "mfa"

    def lookups(self, request, model_admin):
        return [("on", "On"), ("off", "Off")]

    def queryset(self, request, queryset):
        with_mfa = Authenticator.objects.filter(type__in=_MFA_TYPES).values("user_id")
        if self.value() == "on":
            return queryset.filter(pk__in=with_mfa)
        if self.value() == "off":
            return queryset.exclude(pk__in=with_mfa)
        return queryset


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class AffiliationEventInline(admin.TabularInline):
    model = AffiliationEvent
    fk_name = "member"
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "from_group", "to_group", "actor", "note")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = (
        "email",
        "display_name",
        "stakeholder_group",
        "affiliation_verified",
        "affiliation_source",
        "mfa_enabled",
        "is_staff",
        "last_login",
    )
    list_filter = (
        "stakeholder_group",
        "affiliation_verified",
        "affiliation_source",
        MFAFilter,
        ("last_login", admin.DateFieldListFilter),
        "is_staff",
        "is_active",
        "groups",
    )
    search_fields = ("email", "display_name", "organisation_name")
    readonly_fields = (
        "affiliation_verified",
        "affiliation_source",
        "affiliation_organisation",
        "affiliation_verified_at",
        "affiliation_locked",
        "deleted_at",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Profile",
            {
                "fields": (
                    "display_name",
                    "stakeholder_group",
                    "organisation_name",
                    "job_title",
                    "region",
                    "declared_interests",
                )
            },
        ),
        (
            "Affiliation (use the actions on the member list to verify or revoke)",
            {
                "fields": (
                    "affiliation_verified",
                    "affiliation_source",
                    "affiliation_organisation",
                    "affiliation_verified_at",
                    "affiliation_locked",
                )
            },
        ),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)
    inlines = [AffiliationEventInline]
    actions = ["verify_affiliation", "revoke_affiliation"]

    def get_queryset(self, request):
        with_mfa = Authenticator.objects.filter(user=OuterRef("pk"), type__in=_MFA_TYPES)
        return super().get_queryset(request).annotate(_mfa=Exists(with_mfa))

    @admin.display(boolean=True, description="2FA", ordering="_mfa")
    def mfa_enabled(self, obj) -> bool:
        return bool(getattr(obj, "_mfa", False))

    @admin.action(description="Verify the stakeholder group of the selected members", permissions=["verify"])
    def verify_affiliation(self, request, queryset):
        done = 0
        for member in queryset:
            if member.stakeholder_group and not member.is_former_member:
                affiliation.verify_by_moderator(member=member, moderator=request.user, note="Verified in the admin")
                done += 1
        self.message_user(
            request, f"Verified {done} member(s). Members without a group were skipped.", messages.SUCCESS
        )

    @admin.action(description="Revoke verification of the selected members", permissions=["verify"])
    def revoke_affiliation(self, request, queryset):
        for member in queryset:
            affiliation.revoke_by_moderator(member=member, moderator=request.user, note="Revoked in the admin")
        self.message_user(request, f"Revoked verification for {queryset.count()} member(s).", messages.SUCCESS)

    def has_verify_permission(self, request) -> bool:
        return request.user.has_perm("accounts.verify_affiliation")


class OrganisationDomainForm(forms.ModelForm):
    class Meta:
        model = OrganisationDomain
        fields = ("domain",)

    def clean_domain(self):
        return normalise_domain_rule(self.cleaned_data["domain"])


class OrganisationDomainInline(admin.TabularInline):
    model = OrganisationDomain
    form = OrganisationDomainForm
    extra = 1


class InForceFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", "In force today"), ("no", "Ended or not yet in force")]

    def queryset(self, request, queryset):
        current = Region.objects.current().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=current)
        if self.value() == "no":
            return queryset.exclude(pk__in=current)
        return queryset


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """The register of regions. Change it with `manage.py update_regions` from a newer ONS file;
    edit a row here only to record a merger by hand (docs/regions.md)."""

    list_display = ("code", "name", "kind", "valid_from", "valid_until", "replaced_by")
    list_filter = (InForceFilter, "kind")
    search_fields = ("code", "name", "short_name")
    list_select_related = ("replaced_by",)
    autocomplete_fields = ("replaced_by",)

    def has_delete_permission(self, request, obj=None):
        return False  # a region ends (valid_until), it is never deleted: members and organisations point at it


class RegionNotMatchedFilter(admin.SimpleListFilter):
    title = "region not matched"
    parameter_name = "region_unmatched"

    def lookups(self, request, model_admin):
        return [("yes", "Region not matched"), ("none", "No region")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(region_unmatched="")
        if self.value() == "none":
            return queryset.filter(region_unmatched="", regions__isnull=True)
        return queryset


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation_type", "stakeholder_group", "region_list", "region_unmatched", "domain_list")
    list_filter = (RegionNotMatchedFilter, "organisation_type", "stakeholder_group", "regions")
    search_fields = ("name", "domains__domain", "regions__name", "region_unmatched")
    filter_horizontal = ("regions",)
    inlines = [OrganisationDomainInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("domains", "regions")

    @admin.display(description="email domains")
    def domain_list(self, obj) -> str:
        return ", ".join(d.domain for d in obj.domains.all())

    @admin.display(description="regions")
    def region_list(self, obj) -> str:
        return ", ".join(region.short_name for region in obj.regions.all())


@admin.register(AffiliationEvent)
class AffiliationEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "member", "kind", "from_group", "to_group", "actor", "note")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("member__email", "member__display_name", "note")
    list_select_related = ("member", "actor")
    readonly_fields = ("member", "actor", "kind", "from_group", "to_group", "note", "created_at")
