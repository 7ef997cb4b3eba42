"""Members of Common Ground.

Email is the login identifier (unique regardless of case). The stakeholder profile lives on the
user row because every comment shows it: one join, no extra query per comment.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils import timezone
from django.utils.text import slugify


class StakeholderGroup(models.TextChoices):
    INDEPENDENT_PROVIDER = "independent", "Independent sector provider"
    NHS = "nhs", "NHS trust or NHS staff"
    ICB = "icb", "Integrated care board (commissioner)"
    LOCAL_AUTHORITY = "local_authority", "Local authority (commissioner or social care)"
    SOCIAL_CARE = "social_care", "Social care provider"
    VCSE = "vcse", "Voluntary, community or social enterprise"
    PATIENT_PUBLIC = "patient_public", "Patient or public representative"
    OTHER = "other", "Other"


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
    stakeholder_group = models.CharField(
        max_length=32, choices=StakeholderGroup.choices, blank=True
    )
    organisation_name = models.CharField("organisation", max_length=150, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    declared_interests = models.TextField(
        blank=True,
        max_length=2000,
        help_text="Anything readers should know about, such as contracts or roles that could be a conflict of interest.",
    )
    affiliation_verified = models.BooleanField(
        default=False,
        help_text="True when the stakeholder group was confirmed by an email domain rule or a moderator.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        indexes = [models.Index(Lower("display_name"), name="accounts_user_name_ci_idx")]

    def __str__(self) -> str:
        return self.display_name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def public_name(self) -> str:
        return self.display_name or "Member"

    @property
    def slug(self) -> str:
        return slugify(self.display_name) or "member"

    @property
    def has_declared_interests(self) -> bool:
        return bool(self.declared_interests.strip())

    @property
    def profile_complete(self) -> bool:
        return bool(self.display_name and self.stakeholder_group)

    @cached_property
    def email_verified(self) -> bool:
        """Whether the member has at least one verified email address (allauth's record)."""
        return self.emailaddress_set.filter(verified=True).exists()

    @property
    def can_participate(self) -> bool:
        """Whether the member may post, react, follow and flag (read-only otherwise)."""
        return self.is_active and self.profile_complete and self.email_verified

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"pk": self.pk, "slug": self.slug})
