"""Members of Common Ground, the register of regions, the organisation register and the affiliation log.

Email is the login identifier (unique regardless of case). The stakeholder profile lives on the
user row because every comment shows it: one join, no extra query per comment. Everything the
member badge prints (name, group, verified or self-declared, declared-interests marker,
organisation) is a column of this row.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify

from accounts.validators import name_key

FORMER_MEMBER_NAME = "Former member"


class StakeholderGroup(models.TextChoices):
    INDEPENDENT_PROVIDER = "independent", "Independent sector provider"
    NHS = "nhs", "NHS trust or NHS staff"
    ICB = "icb", "Integrated care board (commissioner)"
    LOCAL_AUTHORITY = "local_authority", "Local authority (commissioner or social care)"
    SOCIAL_CARE = "social_care", "Social care provider"
    VCSE = "vcse", "Voluntary, community or social enterprise"
    PATIENT_PUBLIC = "patient_public", "Patient or public representative"
    OTHER = "other", "Other"


class AffiliationSource(models.TextChoices):
    SELF_DECLARED = "", "Self-declared"
    EMAIL_DOMAIN = "email_domain", "Work email address"
    MODERATOR = "moderator", "Checked by a moderator"


class AffiliationBasis(models.TextChoices):
    """What a moderator checked to verify a group by hand. Patient and public representatives
    rarely have a work address, so their role is a basis of its own."""

    ORGANISATION = "organisation", "Confirmed with their organisation"
    HEALTHWATCH = "healthwatch", "By role: Healthwatch"
    PPG = "ppg", "By role: patient participation group"
    PPV_PARTNER = "ppv_partner", "By role: patient and public voice partner"
    VOLUNTARY = "voluntary", "By role: charity or voluntary organisation"
    OTHER = "other", "Other evidence (described in the note)"


class RegionQuerySet(models.QuerySet):
    def current(self, on=None):
        """Regions in force on `on` (today when not given)."""
        on = on or timezone.localdate()
        return self.filter(valid_from__lte=on).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))

    def for_choices(self):
        """Regions a member or organisation may choose today: England-wide first, then by name."""
        england_first = Case(When(kind=Region.Kind.COUNTRY, then=Value(0)), default=Value(1))
        return self.current().order_by(england_first, "short_name", "name")


class Region(models.Model):
    """An integrated care board area, or England-wide, from the register in accounts/content/regions.csv.

    Rows are never deleted: a board that ends gets `valid_until`, and `replaced_by` when it merged
    into another (docs/regions.md).
    """

    class Kind(models.TextChoices):
        ICB = "icb", "Integrated care board"
        COUNTRY = "country", "England-wide"

    code = models.CharField(
        "ONS code",
        max_length=9,
        unique=True,
        validators=[RegexValidator(r"^E\d{8}$", "An ONS code is E followed by 8 digits, such as E54000008.")],
    )
    name = models.CharField(max_length=200, help_text="The full name, such as NHS Devon Integrated Care Board.")
    short_name = models.CharField(max_length=120, help_text="The name in tables and lists, such as Devon.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ICB)
    valid_from = models.DateField("in force from")
    valid_until = models.DateField("in force until", null=True, blank=True, help_text="Empty while in force.")
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        help_text="The region it merged into, when it ended by a merger.",
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        label = self.short_name or self.name
        return f"{label} (until {self.valid_until:%d %B %Y})" if self.valid_until else label

    def in_force(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.valid_from <= on and (self.valid_until is None or self.valid_until >= on)


class OrganisationType(models.TextChoices):
    SHARED_DOMAIN = "shared_domain", "Many organisations (shared email service)"
    NHS_TRUST = "nhs_trust", "NHS trust"
    NHS_NATIONAL = "nhs_national", "National NHS body"
    ICB = "icb", "Integrated care board"
    GP_PRACTICE = "gp_practice", "GP practice or primary care network"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    INDEPENDENT_PROVIDER = "independent_provider", "Independent sector provider"
    SOCIAL_CARE_PROVIDER = "social_care_provider", "Social care provider"
    VCSE = "vcse", "Charity, community group or social enterprise"
    OTHER = "other", "Other"


class Organisation(models.Model):
    """An entry in the register: which email domains confirm which stakeholder group."""

    name = models.CharField(max_length=200, unique=True)
    organisation_type = models.CharField("type", max_length=32, choices=OrganisationType.choices)
    stakeholder_group = models.CharField(
        max_length=32,
        choices=StakeholderGroup.choices,
        blank=True,
        help_text=(
            "A member whose confirmed email address matches is verified for this group only. Leave it "
            "empty for a shared email service (such as NHSmail): its addresses then verify the "
            "organisation, not the group."
        ),
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="organisations",
        help_text="The areas it works in: one integrated care board, several, or England-wide.",
    )
    region_unmatched = models.CharField(
        "region not matched",
        max_length=100,
        blank=True,
        help_text="Region text from before the register that matched no region. Choose its regions, then empty this.",
    )
    notes = models.TextField(blank=True, help_text="For administrators; never shown to members.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared_domain(self) -> bool:
        """A rule for a shared email service (such as NHSmail) says nothing about the employer."""
        return self.organisation_type == OrganisationType.SHARED_DOMAIN

    def sole_region(self) -> Region | None:
        """The one region in force this organisation serves, or None when it serves none or several."""
        regions = list(self.regions.current()[:2])
        return regions[0] if len(regions) == 1 else None


class OrganisationDomain(models.Model):
    """One email domain of an organisation: `nhs.net` (exactly) or `*.nhs.uk` (any subdomain)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(
        max_length=253,
        unique=True,
        help_text="For example nhs.net, or *.nhs.uk for every address at a subdomain of nhs.uk.",
    )

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(
        max_length=50,
        blank=True,
        help_text="The name other members see next to your comments.",
    )
    display_name_key = models.CharField(
        max_length=50,
        blank=True,
        editable=False,
        help_text="The display name folded for comparison, so look-alike names cannot both exist.",
    )
    stakeholder_group = models.CharField(
        max_length=32, choices=StakeholderGroup.choices, blank=True
    )
    organisation_name = models.CharField("organisation", max_length=150, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    declared_interests = models.TextField(
        blank=True,
        max_length=2000,
        help_text=(
            "Anything readers should know about, such as contracts or roles that could be a conflict of interest."
        ),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text="The integrated care board area the member mainly works in, or England-wide.",
    )
    affiliation_verified = models.BooleanField(
        default=False,
        help_text="Verified group: confirmed by an organisation's email domain rule or by a moderator.",
    )
    affiliation_source = models.CharField(
        max_length=32, choices=AffiliationSource.choices, blank=True, default=AffiliationSource.SELF_DECLARED
    )
    affiliation_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verified_members",
        help_text="Verified organisation: the register entry a confirmed email address is at.",
    )
    affiliation_verified_at = models.DateTimeField(null=True, blank=True)
    affiliation_basis = models.CharField(
        max_length=32,
        choices=AffiliationBasis.choices,
        blank=True,
        help_text="What the moderator checked, when a moderator verified the group.",
    )
    affiliation_locked = models.BooleanField(
        default=False,
        help_text="Set when a moderator revokes verification: email domain rules no longer verify this member.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the member deleted their account; the row stays, emptied."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(
                fields=["display_name_key"],
                condition=~Q(display_name_key=""),
                name="accounts_user_display_name_key_unique",
            ),
        ]
        permissions = [
            ("verify_affiliation", "Can verify or revoke a member's stakeholder group"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        self.display_name_key = name_key(self.display_name)[:50]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "display_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "display_name_key"}
        super().save(*args, **kwargs)

    @property
    def is_former_member(self) -> bool:
        return self.deleted_at is not None

    @property
    def public_name(self) -> str:
        if self.is_former_member:
            return FORMER_MEMBER_NAME
        return self.display_name or "Member"

    @property
    def slug(self) -> str:
        return slugify(self.display_name) or "member"

    @property
    def has_declared_interests(self) -> bool:
        return bool(self.declared_interests.strip())

    @property
    def has_verified_group(self) -> bool:
        """The stakeholder group was confirmed by an organisation rule or a moderator."""
        return self.affiliation_verified

    @property
    def has_verified_organisation(self) -> bool:
        """A confirmed email address is at an organisation in the register (for the group or not)."""
        return self.affiliation_organisation_id is not None

    @property
    def profile_complete(self) -> bool:
        return bool(self.display_name and self.stakeholder_group)

    @property
    def affiliation_label(self) -> str:
        """'verified group' or 'self-declared': the words readers see beside the group."""
        return "verified group" if self.affiliation_verified else "self-declared"

    @cached_property
    def email_verified(self) -> bool:
        """Whether the member has a confirmed address (allauth's `EmailAddress.verified`)."""
        return self.emailaddress_set.filter(verified=True).exists()

    @property
    def has_confirmed_address(self) -> bool:
        return self.email_verified

    @property
    def can_participate(self) -> bool:
        """Whether the member may post, react, follow and flag (read-only otherwise)."""
        return self.is_active and self.profile_complete and self.email_verified

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"pk": self.pk, "slug": self.slug})


class AffiliationEvent(models.Model):
    """What happened to a member's stakeholder group and its verification, and who did it."""

    class Kind(models.TextChoices):
        GROUP_CHANGED = "group_changed", "Group changed by the member"
        VERIFIED_BY_DOMAIN = "verified_domain", "Verified by email domain"
        ORGANISATION_VERIFIED = "organisation_domain", "Organisation verified by email domain"
        VERIFIED_BY_MODERATOR = "verified_moderator", "Verified by a moderator"
        REVOKED_BY_MODERATOR = "revoked_moderator", "Verification revoked by a moderator"
        VERIFICATION_LAPSED = "lapsed", "Verification no longer applies"

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affiliation_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who made the change; empty when the site did it by itself.",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    from_group = models.CharField(max_length=32, choices=StakeholderGroup.choices, blank=True)
    to_group = models.CharField(max_length=32, choices=StakeholderGroup.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "-created_at"], name="accounts_affev_member_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"
