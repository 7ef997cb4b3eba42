"""Forms: allauth's forms with our wording, and the profile, privacy and moderation forms.

allauth's forms are subclassed only to change what a person reads (labels, hints, error wording)
and to drop placeholder text, which NHS.UK guidance advises against; the behaviour is allauth's.
"""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import forms as mfa_totp_forms
from allauth.mfa.webauthn import forms as mfa_webauthn_forms
from django import forms
from django.core.exceptions import ValidationError

from accounts.models import AffiliationBasis, Region, StakeholderGroup, User
from accounts.validators import clean_display_name, clean_multiline, clean_single_line, name_key

STRONG_LOGIN_HINT = (
    "Use at least 10 characters. Avoid common passwords, passwords made only of numbers, "
    "and anything close to your email address. A few unrelated words make a strong password."
)
CODE_HINT = "The 6-digit code your authenticator app shows now, or one of your recovery codes."


class NHSFieldsMixin:
    """Set our labels, hints and widget attributes, and remove placeholders from every widget."""

    labels: dict[str, str] = {}
    hints: dict[str, str] = {}
    widget_attrs: dict[str, dict[str, str]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.pop("placeholder", None)
            field.widget.attrs.update(self.widget_attrs.get(name, {}))
            if name in self.labels:
                field.label = self.labels[name]
            if name in self.hints:
                field.help_text = self.hints[name]


class LoginForm(NHSFieldsMixin, allauth_forms.LoginForm):
    labels = {"login": "Email address", "password": "Password", "remember": "Keep me signed in on this device"}
    hints = {"password": "", "remember": "Leave this unticked on a shared computer."}
    widget_attrs = {"login": {"autocomplete": "email", "spellcheck": "false"}}


class SignupForm(NHSFieldsMixin, allauth_forms.SignupForm):
    labels = {"email": "Email address", "password1": "Create a password", "password2": "Type the password again"}
    hints = {
        "email": (
            "Use your work email address if you have one: addresses at NHS and other registered "
            "organisations confirm your stakeholder group."
        ),
        "password1": STRONG_LOGIN_HINT,
    }
    widget_attrs = {"email": {"spellcheck": "false"}}


class AddEmailForm(NHSFieldsMixin, allauth_forms.AddEmailForm):
    labels = {"email": "New email address"}
    hints = {"email": "We will send a link to this address. It is added once you follow the link."}


class ChangePasswordForm(NHSFieldsMixin, allauth_forms.ChangePasswordForm):
    labels = {
        "oldpassword": "Current password",
        "password1": "New password",
        "password2": "Type the new password again",
    }
    hints = {"oldpassword": "", "password1": STRONG_LOGIN_HINT}


class SetPasswordForm(NHSFieldsMixin, allauth_forms.SetPasswordForm):
    labels = {"password1": "Password", "password2": "Type the password again"}
    hints = {"password1": STRONG_LOGIN_HINT}


class ResetPasswordForm(NHSFieldsMixin, allauth_forms.ResetPasswordForm):
    labels = {"email": "Email address"}
    hints = {"email": "The address you use to sign in."}


class ResetPasswordKeyForm(NHSFieldsMixin, allauth_forms.ResetPasswordKeyForm):
    labels = {"password1": "New password", "password2": "Type the new password again"}
    hints = {"password1": STRONG_LOGIN_HINT}


class RequestLoginCodeForm(NHSFieldsMixin, allauth_forms.RequestLoginCodeForm):
    labels = {"email": "Email address"}
    hints = {"email": "We will email a sign-in code to this address if it belongs to an account."}


class ConfirmLoginCodeForm(NHSFieldsMixin, allauth_forms.ConfirmLoginCodeForm):
    labels = {"code": "Sign-in code"}
    hints = {"code": "The code in the email we just sent you."}
    widget_attrs = {"code": {"spellcheck": "false", "autocapitalize": "characters"}}


class ReauthenticateForm(NHSFieldsMixin, allauth_forms.ReauthenticateForm):
    labels = {"password": "Password"}
    hints = {"password": ""}


class MFAAuthenticateForm(NHSFieldsMixin, mfa_base_forms.AuthenticateForm):
    labels = {"code": "Authentication code"}
    hints = {"code": CODE_HINT}
    widget_attrs = {"code": {"inputmode": "numeric", "spellcheck": "false"}}


class MFAReauthenticateForm(NHSFieldsMixin, mfa_base_forms.ReauthenticateForm):
    labels = {"code": "Authentication code"}
    hints = {"code": CODE_HINT}
    widget_attrs = {"code": {"inputmode": "numeric", "spellcheck": "false"}}


class MFAAuthenticateWebAuthnForm(mfa_webauthn_forms.AuthenticateWebAuthnForm):
    """allauth offers "use a security key" to everyone; the page offers it only to people who have one."""

    @property
    def has_keys(self) -> bool:
        return Authenticator.objects.filter(user_id=self.user.pk, type=Authenticator.Type.WEBAUTHN).exists()


class ActivateTOTPForm(NHSFieldsMixin, mfa_totp_forms.ActivateTOTPForm):
    labels = {"code": "Code from your authenticator app"}
    hints = {"code": "After adding Common Ground to the app, type the 6-digit code it shows."}
    widget_attrs = {"code": {"inputmode": "numeric", "spellcheck": "false"}}


_GROUP_CHOICES = [(value, label) for value, label in StakeholderGroup.choices]


class RegionChoiceField(forms.ModelChoiceField):
    """Regions in force today, England-wide first, each shown by its short name."""

    def label_from_instance(self, obj: Region) -> str:
        return obj.short_name or obj.name


class ProfileForm(forms.ModelForm):
    """Display name, stakeholder group, organisation, job title, region and declared interests."""

    stakeholder_group = forms.ChoiceField(
        label="Which group do you speak for here?",
        choices=_GROUP_CHOICES,
        widget=forms.RadioSelect,
        help_text=(
            "Choose the one that best describes the role you bring to these discussions. It shows beside "
            "every comment you write, marked verified when your work email address confirms it and "
            "self-declared when it does not."
        ),
        error_messages={
            "required": "Select the group you speak for.",
            "invalid_choice": "Select one of the groups listed.",
        },
    )
    region = RegionChoiceField(
        label="Your region",
        queryset=Region.objects.none(),  # set per form: the regions in force today
        required=False,
        empty_label="Not given",
        help_text="The integrated care board area you mainly work in, or England-wide.",
        error_messages={
            "invalid_choice": "Choose a region from the list. The one sent is not a region in force today.",
        },
    )

    class Meta:
        model = User
        fields = ["display_name", "stakeholder_group", "organisation_name", "job_title", "region", "declared_interests"]
        labels = {
            "display_name": "Display name",
            "organisation_name": "Organisation",
            "job_title": "Job title",
            "declared_interests": "Declared interests",
        }
        help_texts = {
            "display_name": (
                "Shown beside your comments. Use your name, or a name colleagues would recognise. "
                "2 to 50 characters."
            ),
            "organisation_name": (
                "Where you work, or the group you represent. Leave blank if you take part as an individual."
            ),
            "job_title": "For example, Head of Planned Care or Patient Partner.",
            "declared_interests": (
                "Anything readers should know when weighing your comments: contracts, shares, paid or unpaid "
                "roles, funding. Shown on your profile, with a marker beside your name. Leave blank if none."
            ),
        }
        error_messages = {
            "display_name": {
                "required": "Enter a display name.",
                "max_length": "Display name must be 50 characters or fewer.",
            },
            "organisation_name": {"max_length": "Organisation must be 150 characters or fewer."},
            "job_title": {"max_length": "Job title must be 120 characters or fewer."},
            "declared_interests": {"max_length": "Declared interests must be 2,000 characters or fewer."},
        }
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
            "organisation_name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "declared_interests": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        self.fields["region"].queryset = Region.objects.for_choices()
        if not self.instance.region_id and not self.initial.get("region"):
            suggested = _region_of_verified_organisation(self.instance)
            if suggested is not None:
                self.initial["region"] = suggested.pk

    def clean_display_name(self) -> str:
        value = clean_display_name(self.cleaned_data["display_name"])
        # The same name in another case, or with different spacing or punctuation, is too close to tell apart.
        if User.objects.exclude(pk=self.instance.pk).filter(display_name_key=name_key(value)).exists():
            raise ValidationError(
                "Another member already uses that display name, or one too close to tell apart. "
                "Add an initial or your organisation, for example “Sam Patel (Leeds)”.",
                code="taken",
            )
        return value

    def clean_organisation_name(self) -> str:
        return clean_single_line(self.cleaned_data["organisation_name"], field_label="Organisation")

    def clean_job_title(self) -> str:
        return clean_single_line(self.cleaned_data["job_title"], field_label="Job title")

    def clean_declared_interests(self) -> str:
        return clean_multiline(self.cleaned_data["declared_interests"], field_label="Declared interests")


def _region_of_verified_organisation(member: User) -> Region | None:
    """The region to suggest: the one region the member's verified organisation serves, if any."""
    organisation = member.affiliation_organisation if member.affiliation_organisation_id else None
    return organisation.sole_region() if organisation is not None else None


class DeleteAccountForm(forms.Form):
    remove_text = forms.BooleanField(
        label="Also remove the text of my comments",
        required=False,
        help_text=(
            "If you leave this unticked, your comments stay, shown as written by a “Former member”, so that "
            "discussions still make sense. If you tick it, their text is replaced with a note saying it was removed."
        ),
    )
    confirm = forms.BooleanField(
        label="I understand that deleting my account cannot be undone",
        error_messages={"required": "Tick the box to confirm that you want to delete your account."},
    )


class AffiliationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", "Verify"), ("revoke", "Revoke")],
        error_messages={
            "required": "Choose whether to verify or revoke.",
            "invalid_choice": "Choose verify or revoke.",
        },
    )
    basis = forms.ChoiceField(
        label="What you checked",
        choices=AffiliationBasis.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=(
            "Patient and public representatives rarely have a work email address: you can verify their "
            "group by their role."
        ),
        error_messages={"invalid_choice": "Choose one of the listed ways you checked."},
    )
    note = forms.CharField(
        label="Evidence for the log",
        max_length=500,
        help_text=(
            "How you checked, for example “Confirmed by phone with the trust’s switchboard” or “Healthwatch "
            "Leeds lists them as a volunteer”."
        ),
        error_messages={
            "required": "Say what you checked or why, so the log shows the reason.",
            "max_length": "Evidence must be 500 characters or fewer.",
        },
    )

    def clean_note(self) -> str:
        return clean_single_line(self.cleaned_data["note"], field_label="Evidence")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "verify" and not cleaned.get("basis"):
            self.add_error("basis", "Choose what you checked before you verify the group.")
        return cleaned
