"""The search form and the criteria it gives the search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms

from accounts.models import StakeholderGroup
from forum.models import Stance, Theme
from forum.search.snippets import without_marks

MAX_QUERY_LENGTH = 200
# Date pickers send ISO dates; a browser without one sends what the member typed.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d %B %Y", "%d %b %Y"]


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search for",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="Words from a comment or from the title of a discussion.",
        error_messages={"max_length": f"Search for {MAX_QUERY_LENGTH} characters or fewer."},
    )
    theme = forms.ChoiceField(label="Theme", required=False)
    group = forms.ChoiceField(
        label="Stakeholder group of the writer",
        required=False,
        choices=[("", "All groups"), *StakeholderGroup.choices],
    )
    stance = forms.ChoiceField(label="Tag", required=False, choices=[("", "Any tag"), *Stance.choices])
    date_from = forms.DateField(
        label="Written on or after",
        required=False,
        help_text="For example, 27/03/2025.",
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the ‘written on or after’ date as a real date, like 27/03/2025."},
    )
    date_to = forms.DateField(
        label="Written on or before",
        required=False,
        help_text="For example, 30/04/2025.",
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the ‘written on or before’ date as a real date, like 30/04/2025."},
    )

    def __init__(self, *args, themes, **kwargs):
        super().__init__(*args, **kwargs)
        self.themes = {theme.slug: theme for theme in themes}
        self.fields["theme"].choices = [("", "All themes"), *((t.slug, t.title) for t in themes)]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The ‘written on or before’ date must be the same as or after the other date.")
        return cleaned

    def criteria(self) -> SearchCriteria:
        data = self.cleaned_data
        return SearchCriteria(
            q=" ".join(without_marks(data.get("q") or "").split()),
            theme=self.themes.get(data.get("theme") or ""),
            group=data.get("group") or "",
            stance=data.get("stance") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


@dataclass
class SearchCriteria:
    q: str = ""
    theme: Theme | None = None
    group: str = ""
    stance: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @property
    def filters_comments(self) -> bool:
        """Whether a filter other than the theme narrows the comments (threads ignore those)."""
        return bool(self.group or self.stance or self.date_from or self.date_to)

    @property
    def key(self) -> str:
        """What the search asks, as text: the same for every address that asks the same."""
        theme = self.theme.pk if self.theme is not None else None
        return repr((self.q, theme, self.group, self.stance, self.date_from, self.date_to))

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.theme or self.filters_comments)
