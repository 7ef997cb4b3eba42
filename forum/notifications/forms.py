"""The email settings form."""

from __future__ import annotations

from django import forms

from forum.models import EmailFrequency, NotificationKind


class NotificationPreferenceForm(forms.Form):
    email_frequency = forms.ChoiceField(
        label="When should we email you?",
        choices=EmailFrequency.choices,
        widget=forms.RadioSelect,
        help_text="Whatever you choose, every notification also appears on your notifications page.",
    )
    email_kinds = forms.MultipleChoiceField(
        label="What should we email you about?",
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave every box ticked to hear about everything. These only change emails.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("email_frequency") not in {None, EmailFrequency.NEVER} and not cleaned.get("email_kinds"):
            self.add_error(
                "email_kinds",
                "Tick at least one kind of email, or choose “Never” if you want no emails at all.",
            )
        return cleaned
