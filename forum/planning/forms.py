"""The planning map's forms: placing a need or an offer, linking an offer to a need, and the map's
filters. Bad input comes back on the form with what was typed kept; filters with unknown values
are refused as a whole (the view answers 400 with the form's sentences)."""

from __future__ import annotations

from django import forms

from accounts.models import Region, StakeholderGroup
from forum.models import EntryKind, JourneyStage, MapEntry, SupportKind, Theme
from forum.models.planning import SUPPORT_HINTS
from forum.planning import rules, services
from forum.planning.grid import MapFilters
from forum.posting.forms import ThreadForm

KIND_WORDS = {
    EntryKind.NEED: {
        "title": "Title of your need",
        "title_hint": "Where you need support, in a few words.",
        "body": "Describe the need",
        "body_hint": "What is missing, for whom, and what difference support would make.",
    },
    EntryKind.OFFER: {
        "title": "Title of your offer",
        "title_hint": "What you can offer, in a few words.",
        "body": "Describe the offer",
        "body_hint": "What you could provide, where, from when, and what it would take.",
    },
}


def region_choices() -> list[tuple[str, str]]:
    """Regions in force, England-wide first: (code, name) pairs for a select."""
    return [(region.code, region.short_name or region.name) for region in Region.objects.for_choices()]


class RegionCodeField(forms.ChoiceField):
    """A region chosen by its ONS code, given back as the Region."""

    def __init__(self, *args, **kwargs):
        kwargs["error_messages"] = {
            "invalid_choice": "Choose a region from the list: “%(value)s” is not a region we know.",
            **kwargs.get("error_messages", {}),
        }
        super().__init__(*args, **kwargs)

    def clean(self, value):
        code = super().clean(value)
        return Region.objects.current().filter(code=code).first() if code else None


class EntryForm(ThreadForm):
    """Place a need or an offer: where it sits on the map, then its title and description, which
    become a discussion (screened, rate-limited and pre-moderated like any other)."""

    stage = forms.ModelChoiceField(
        label="Stage of the patient journey", queryset=JourneyStage.objects.all(), widget=forms.RadioSelect,
        empty_label=None, error_messages={"required": "Choose the stage of the patient journey.",
                                          "invalid_choice": "Choose a stage from the list."},
    )
    support = forms.ChoiceField(
        label="Kind of support", choices=SupportKind.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of support: capacity, capability or investment.",
                        "invalid_choice": "Choose capacity, capability or investment."},
    )
    region = RegionCodeField(
        label="Region", help_text="The integrated care board area it is in, or England-wide.",
        error_messages={"required": "Choose the region: an integrated care board area, or England-wide."},
    )
    source_theme = forms.ChoiceField(
        label="Theme it comes from", required=False,
        help_text="Without one, it is discussed under the theme about mapping the patient journey.",
        error_messages={"invalid_choice": "Choose a theme from the list, or none."},
    )
    field_order = ["stage", "support", "region", "title", "body", "source_theme"]

    def __init__(self, *args, kind: str, planning_theme: Theme | None, themes, paragraph=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.planning_theme, self.paragraph = kind, planning_theme, paragraph
        del self.fields["stance"]
        words = KIND_WORDS[kind]
        self.fields["title"].label, self.fields["title"].help_text = words["title"], words["title_hint"]
        self.fields["title"].error_messages["required"] = f"Enter a title for your {kind}."
        self.fields["body"].label = words["body"]
        self.fields["body"].error_messages["required"] = f"Describe your {kind}."
        stages = list(JourneyStage.objects.all())
        self.fields["stage"].choices = [(stage.pk, stage.title) for stage in stages if not stage.is_archived]
        self.stage_hints = {str(stage.pk): stage.description for stage in stages}
        self.support_hints = {str(code): hint for code, hint in SUPPORT_HINTS.items()}
        self.fields["region"].choices = [("", "Choose a region"), *region_choices()]
        if self.user is not None and getattr(self.user, "region_id", None) and not self.is_bound:
            self.initial.setdefault("region", self.user.region.code)
        self.themes = {theme.slug: theme for theme in themes}
        none_label = "None" if planning_theme is None else f"None: discuss it under “{planning_theme.title}”"
        self.fields["source_theme"].choices = [("", none_label), *((t.slug, t.title) for t in self.themes.values())]
        if planning_theme is None:
            self.fields["source_theme"].required = True
            self.fields["source_theme"].error_messages["required"] = "Choose the theme it comes from."

    def clean(self):
        if reason := rules.stage_refusal(self.cleaned_data.get("stage")):
            self.add_error("stage", reason)
        return super().clean()

    def get_theme(self, cleaned):
        chosen = cleaned.get("source_theme")
        return self.themes.get(chosen) if chosen else self.planning_theme

    def save(self, **kwargs) -> MapEntry:
        """Place the entry (a valid form only), counting it against the rate limits once it commits."""
        data = self.cleaned_data
        entry = services.post_entry(
            kind=self.kind, author=self.user, stage=data["stage"], support=data["support"], region=data["region"],
            title=data["title"], body=data["body"], theme=self.get_theme(data), paragraph=self.paragraph,
            needs_review=self.needs_review,
        )
        self.count_on_commit()
        return entry


class LinkForm(forms.Form):
    """Link an entry of the other kind: an offer that could help a need, or a need an offer could
    help. The other entry is given by its number (from a suggestion's button or typed)."""

    other = forms.IntegerField(
        min_value=1, error_messages={"required": "Enter the number of the other need or offer.",
                                     "invalid": "Enter the number as digits, such as 42.",
                                     "min_value": "Enter the number as digits, such as 42."},
    )

    def __init__(self, *args, user, entry: MapEntry, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.entry = user, entry
        other = "offer" if entry.is_need else "need"
        self.fields["other"].label = f"Number of the {other}"
        self.fields["other"].help_text = f"Shown beside every {other}, for example “{other.title()} 42”."
        self.need = self.offer = None

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("other")
        if number is None:
            return cleaned
        other = MapEntry.objects.select_related("thread", "opening").filter(pk=number).first()
        if other is None or other.pk == self.entry.pk:
            self.add_error("other", f"There is no other need or offer numbered {number}.")
            return cleaned
        self.need, self.offer = (self.entry, other) if self.entry.is_need else (other, self.entry)
        if reason := rules.link_refusal(self.user, self.need, self.offer):
            self.add_error("other", reason)
        return cleaned

    def save(self):
        return services.link(need=self.need, offer=self.offer, member=self.user)


class MapFilterForm(forms.Form):
    """The map's filters, read from the query string."""

    region = RegionCodeField(label="Region", required=False)
    group = forms.ChoiceField(
        label="Stakeholder group", required=False, choices=[("", "All groups"), *StakeholderGroup.choices],
        error_messages={"invalid_choice": "“%(value)s” is not a stakeholder group we know."},
    )
    verified = forms.BooleanField(label="Verified groups only", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "All of England"), *region_choices()]

    def filters(self) -> MapFilters:
        data = self.cleaned_data
        return MapFilters(region=data.get("region"), group=data.get("group") or "",
                          verified_only=bool(data.get("verified")))

    def error_sentences(self) -> list[str]:
        return [message for errors in self.errors.values() for message in errors]
