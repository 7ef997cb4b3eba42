"""The region filter shared by a theme's pages (discussions, common ground, who is taking part) and
the downloads: `?region=<ONS code>` narrows a page to what members of that region wrote, as posted.

The capabilities below the views (agreement, exports) are handed the Region, or None for all of
England; they never read the query string. A code the register does not know gets a page saying
so, with a 400 status, as the planning map does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.shortcuts import render

from accounts.models import Region
from forum.planning.forms import RegionCodeField


class LoadedRegionField(RegionCodeField):
    """A region chosen by its ONS code, found among the regions loaded for the choices, so the
    filter costs one query (the choices), not two."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions: dict[str, Region] = {}

    def offer(self, regions) -> None:
        """Offer these regions, after "All of England"."""
        self.regions = {region.code: region for region in regions}
        self.choices = [("", "All of England"), *((r.code, r.short_name or r.name) for r in self.regions.values())]

    def to_python(self, value) -> str:
        return super().to_python(value).strip().upper()  # e54000008 is the same code

    def clean(self, value):
        code = forms.ChoiceField.clean(self, value)  # the choice check and its sentence, without a lookup
        return self.regions.get(code) if code else None


class RegionFilterForm(forms.Form):
    """The region to narrow a page to, read from the query string."""

    region = LoadedRegionField(label="Region", required=False,
                               help_text="Show only what members in this region wrote, as posted.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].offer(Region.objects.for_choices())

    def error_sentences(self) -> list[str]:
        return [message for errors in self.errors.values() for message in errors]


@dataclass(frozen=True)
class RegionFilter:
    """What a page needs: the form to draw, the region chosen (None for all of England) and the
    query string that keeps it on the page's other links."""

    form: RegionFilterForm
    region: Region | None

    @property
    def query(self) -> str:
        return urlencode({"region": self.region.code}) if self.region is not None else ""

    def url(self, path: str, **params) -> str:
        """`path` with the region and any other parameters (left out when None)."""
        query = {"region": self.region.code} if self.region is not None else {}
        query.update({name: value for name, value in params.items() if value is not None})
        return f"{path}?{urlencode(query)}" if query else path


def region_filter_or_400(request, *, back_url: str, back_text: str) -> tuple[RegionFilter | None, HttpResponse | None]:
    """The region filter from the query string, or the 400 page saying what was wrong and where to
    go back to."""
    form = RegionFilterForm(request.GET)
    if not form.is_valid():
        context = {"errors": form.error_sentences(), "back_url": back_url, "back_text": back_text}
        return None, render(request, "forum/bad_filters.html", context, status=400)
    return RegionFilter(form=form, region=form.cleaned_data["region"]), None
