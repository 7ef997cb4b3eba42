"""Fixtures and helpers for the planning map's tests."""

from __future__ import annotations

import pytest

from accounts.models import Region, StakeholderGroup
from accounts.regions import ensure_register_loaded
from forum.models import JourneyStage, SupportKind, Theme
from forum.planning import services
from tests.conftest import make_member

PLANNING_THEME = "mapping-the-patient-journey"


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def two_regions() -> tuple[Region, Region]:
    """Two integrated care boards from the register (loaded again if a flush emptied it)."""
    ensure_register_loaded()
    first, second = Region.objects.current().filter(kind=Region.Kind.ICB).order_by("code")[:2]
    return first, second


def make_stage(slug="diagnostics", title="Diagnostics", position=3, **extra) -> JourneyStage:
    return JourneyStage.objects.create(
        slug=slug, title=title, position=position, description="Tests and scans.", **extra
    )


@pytest.fixture
def planning_theme(db):
    return Theme.objects.create(
        slug=PLANNING_THEME, title="Mapping the patient journey together", position=8,
        summary="Where does the patient journey need support?",
    )


@pytest.fixture
def stage(db):
    return make_stage()


@pytest.fixture
def provider(db):
    return make_member(
        "provider@example.org", display_name="Pat Provider", stakeholder_group=StakeholderGroup.INDEPENDENT_PROVIDER,
        organisation_name="Example Clinics",
    )


@pytest.fixture
def planner(db):
    return make_member("planner@example.org", display_name="Ivy Planner", stakeholder_group=StakeholderGroup.ICB)


@pytest.fixture
def third_member(db):
    return make_member("third@example.org", display_name="Tom Third", stakeholder_group=StakeholderGroup.VCSE)


def post(kind, author, stage, *, region_obj=None, support=SupportKind.CAPACITY, theme, title=None, body="Details."):
    return services.post_entry(
        kind=kind, author=author, stage=stage, support=support, region=region_obj or two_regions()[0],
        title=title or f"A {kind} for {stage.title}", body=body, theme=theme,
    )
