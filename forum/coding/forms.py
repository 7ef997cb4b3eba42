"""The codebook's forms: a new code, and the codes of one comment."""

from __future__ import annotations

from django import forms

from forum.models import Code


class CodeForm(forms.Form):
    label = forms.CharField(
        label="Code", max_length=60, help_text="A word or two, such as “Workforce” or “Cost to patients”.",
        error_messages={"required": "Enter the code.", "max_length": "Keep the code to 60 characters or fewer."},
    )
    description = forms.CharField(
        label="When to apply it", max_length=300, required=False,
        error_messages={"max_length": "Keep the description to 300 characters or fewer."},
    )


class CommentCodesForm(forms.Form):
    """The codes one comment should have. Any code may be sent; a code from another theme's
    codebook is refused by the service with its own sentence."""

    codes = forms.ModelMultipleChoiceField(
        label="Codes", queryset=Code.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose codes from this theme's codebook.",
                        "invalid_pk_value": "Choose codes from this theme's codebook."},
    )
