"""Forms for reporting, appealing and the moderators' pages. Services re-check what matters."""

from __future__ import annotations

import re

from django import forms

from forum.models import (
    COMMENT_MAX_LENGTH,
    CommitmentStatus,
    FilterAction,
    FlagReason,
    Theme,
    ThemeStatus,
    WordFilter,
)
from forum.models.commitments import NOTE_MAX_LENGTH, ORGANISATION_MAX_LENGTH, WHAT_MAX_LENGTH
from forum.moderation.log import Action
from forum.posting.filters import compile_pattern

REASON_MAX_LENGTH = 300


def reason_field(*, label: str = "Reason", help_text: str = "", missing: str = "", max_length: int = REASON_MAX_LENGTH):
    """The box where a moderator gives the reason for a decision: required when `missing` (the
    message shown when it is left empty) is given."""
    messages = {"max_length": f"Keep the reason to {max_length:,} characters or fewer."}
    if missing:
        messages["required"] = missing
    return forms.CharField(label=label, help_text=help_text, required=bool(missing), max_length=max_length,
                           widget=forms.Textarea(attrs={"rows": 3}), error_messages=messages)


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong with it?",
        choices=FlagReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is wrong with it."},
    )
    detail = forms.CharField(
        label="Tell the moderators more",
        help_text="Needed when you choose “Other”. Only moderators read this.",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Keep it to 1,000 characters or fewer."},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == FlagReason.OTHER and not (cleaned.get("detail") or "").strip():
            self.add_error("detail", "Tell the moderators what is wrong with it.")
        return cleaned


class ReasonForm(forms.Form):
    """One text box for the reason a moderator gives; required or optional per action."""

    reason = reason_field(missing="Enter the reason.")

    def __init__(self, *args, required: bool = True, label: str = "Reason", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.required = required
        field.label = label
        field.help_text = help_text
        field.error_messages["required"] = f"Enter the {label.lower()}."


class ModeratorEditForm(forms.Form):
    body = forms.CharField(
        label="Comment text",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": "Enter the comment text."},
    )
    reason = reason_field(
        label="Why you changed it",
        help_text="The author is told this. The earlier version stays in the comment’s history.",
        missing="Say why you changed it.",
    )


SUSPENSION_CHOICES = [("1", "1 day"), ("7", "7 days"), ("30", "30 days"), ("indefinite", "Until lifted")]


class SuspendForm(forms.Form):
    duration = forms.ChoiceField(
        label="For how long?",
        choices=SUSPENSION_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how long the suspension lasts."},
    )
    reason = reason_field(
        help_text="The member sees this, with the end date, whenever they try to take part.",
        missing="Give a reason for the suspension.",
        max_length=1000,
    )

    @property
    def days(self) -> int | None:
        value = self.cleaned_data["duration"]
        return None if value == "indefinite" else int(value)


class MoveThreadForm(forms.Form):
    theme = forms.ModelChoiceField(
        label="Move to which theme?",
        queryset=Theme.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the theme to move the discussion to."},
    )
    reason = reason_field(help_text="Readers see it on the discussion: “Moved here from … : your reason”.",
                          missing="Give a reason for moving it. Readers see it on the discussion.")

    def __init__(self, *args, thread, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.listed().exclude(pk=thread.theme_id)


class ThemeStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=[
            (ThemeStatus.OPEN, "Open for discussion"),
            (ThemeStatus.UNDER_REVIEW, "Under review (no new comments)"),
            (ThemeStatus.CLOSED, "Closed (no new comments)"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the theme’s status."},
    )
    reason = reason_field(help_text="Needed to close it. Readers see it on the theme when it is closed or under "
                                    "review.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == ThemeStatus.CLOSED and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give a reason for closing the theme. Readers see it on the theme.")
        return cleaned


class ThemeResponseForm(forms.Form):
    body = forms.CharField(
        label="The official response",
        help_text="Say what was heard and what will happen as a result. Markdown works as in comments.",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        error_messages={"required": "Write the response."},
    )
    interim = forms.BooleanField(
        label="This is an interim response: keep the theme open",
        help_text="The theme keeps its status. Leave it unticked to mark the theme as responded to.",
        required=False,
    )


class CommitmentForm(forms.Form):
    """One commitment in a response. A row left blank is skipped; a row begun must be finished."""

    what = forms.CharField(
        label="What will be done", max_length=WHAT_MAX_LENGTH,
        error_messages={"required": "Enter what will be done.",
                        "max_length": f"Keep it to {WHAT_MAX_LENGTH} characters or fewer."},
    )
    owner_organisation = forms.CharField(
        label="Which organisation will do it", max_length=ORGANISATION_MAX_LENGTH,
        error_messages={"required": "Enter which organisation will do it.",
                        "max_length": f"Keep it to {ORGANISATION_MAX_LENGTH} characters or fewer."},
    )
    due_on = forms.DateField(
        label="By when",
        help_text="For example, 31/03/2027.",
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter the date it will be done by.",
                        "invalid": "Enter a real date, for example 31/03/2027."},
    )


CommitmentFormSet = forms.formset_factory(CommitmentForm, extra=3, max_num=3, validate_max=True)


def commitment_formset(data=None) -> forms.BaseFormSet:
    """The three commitment rows of the response form (prefix `commitments`). A response posted
    without the rows at all (a form opened before they existed) has no commitments."""
    if data is not None and "commitments-TOTAL_FORMS" not in data:
        data = data.copy()
        data.update({"commitments-TOTAL_FORMS": "0", "commitments-INITIAL_FORMS": "0"})
    return CommitmentFormSet(data, prefix="commitments")


def filled_commitments(formset) -> list[dict]:
    """The rows a valid formset holds, blank ones left out, in the order they were written."""
    return [form.cleaned_data for form in formset.forms if form.has_changed() and form.cleaned_data]


class CommitmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Its status now", choices=CommitmentStatus.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose its status now."},
    )
    note = forms.CharField(
        label="Note for readers", required=False, max_length=NOTE_MAX_LENGTH,
        help_text="Shown with the date under the commitment. Needed when it is dropped: say why.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Keep the note to {NOTE_MAX_LENGTH:,} characters or fewer."},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == CommitmentStatus.DROPPED and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Give the reason it was dropped. Readers see it.")
        return cleaned


class WordFilterForm(forms.ModelForm):
    class Meta:
        model = WordFilter
        fields = ["pattern", "is_regex", "action", "replacement", "message"]
        labels = {
            "pattern": "Word, phrase or pattern",
            "is_regex": "This is a regular expression",
            "action": "What happens to a comment that contains it",
            "replacement": "Replace it with",
            "message": "Message shown to the author",
        }
        help_texts = {
            "pattern": "Words and phrases match whole words, in any case.",
            "replacement": "Only for “Replace”. Leave empty to remove the text.",
            "message": "Only for “Block”. Leave empty for a standard message that names the word.",
        }
        widgets = {"action": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = FilterAction.choices
        self.fields["pattern"].error_messages["required"] = "Enter a word, phrase or pattern."
        self.fields["action"].error_messages["required"] = "Choose what happens to a comment that contains it."

    def clean(self):
        cleaned = super().clean()
        pattern = (cleaned.get("pattern") or "").strip()
        if pattern:
            try:
                regex = compile_pattern(pattern, bool(cleaned.get("is_regex")))
            except re.error as error:
                self.add_error("pattern", f"This is not a valid regular expression: {error}.")
            else:
                if regex.search(""):
                    self.add_error("pattern", "This pattern matches empty text, so it would match every comment.")
            cleaned["pattern"] = pattern
        return cleaned


class AppealForm(forms.Form):
    text = forms.CharField(
        label="Your appeal",
        help_text="Say why you think the decision should change. You can appeal each decision once.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write your appeal.", "max_length": "Keep your appeal to 2,000 characters."},
    )


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("uphold", "Uphold the appeal and reverse the decision where possible"),
                 ("reject", "Turn down the appeal: the decision stands")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to uphold or turn down the appeal."},
    )
    reason = reason_field(
        help_text="The member is told the outcome and this reason.",
        missing="Give a reason for your decision.",
        max_length=1000,
    )


class QueueFilterForm(forms.Form):
    reason = forms.ChoiceField(label="Reason", required=False, choices=[("", "Any reason"), *FlagReason.choices])
    flagger = forms.TypedChoiceField(label="Reported by", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, flaggers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flagger"].choices = [("", "Anyone"), *[(str(m.pk), m.public_name) for m in flaggers]]


class LogFilterForm(forms.Form):
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any action"), *Action.CHOICES])
    target_type = forms.ChoiceField(
        label="About",
        required=False,
        choices=[("", "Anything"), ("comment", "Comments"), ("thread", "Discussions"), ("theme", "Themes"),
                 ("member", "Members"), ("filter", "Filters")],
    )
    automatic = forms.ChoiceField(
        label="Made by",
        required=False,
        choices=[("", "Moderators or automatically"), ("no", "Moderators"), ("yes", "Automatically")],
    )
    actor = forms.CharField(label="Moderator’s name", required=False, max_length=100)

    def filter(self, entries):
        if not self.is_valid():
            return entries
        data = self.cleaned_data
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["target_type"]:
            entries = entries.filter(target_type=data["target_type"])
        if data["automatic"]:
            entries = entries.filter(automatic=data["automatic"] == "yes")
        if data["actor"].strip():
            entries = entries.filter(actor_name__icontains=data["actor"].strip())
        return entries
