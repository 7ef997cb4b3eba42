"""Missing voices: named groups a theme or a region has not heard, or hears too little."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import StakeholderGroup
from forum.agreement.voices import MIN_GROUP_MEMBERS, compare, region_missing_voices, theme_missing_voices
from tests.conftest import make_member
from tests.forum.conftest import reply
from tests.forum.planning_support import two_regions

pytestmark = pytest.mark.django_db
NHS, ICB, VCSE = StakeholderGroup.NHS, StakeholderGroup.ICB, StakeholderGroup.VCSE


def test_groups_with_no_writer_are_absent_and_other_never_counts():
    voices = compare({NHS: 3, StakeholderGroup.OTHER: 2}, {})

    assert "NHS trust or NHS staff" not in voices.absent
    assert "Other" not in voices.absent
    assert "Integrated care board (commissioner)" in voices.absent


def test_a_group_writing_under_half_its_share_of_members_is_quiet():
    # VCSE: 1 writer in 10 (10%), but 10 of 40 active members (25%): under half its share.
    voices = compare({NHS: 9, VCSE: 1}, {NHS: 30, VCSE: 10})

    assert [(quiet.label, quiet.writer_share, quiet.member_share) for quiet in voices.quiet] == [
        ("Voluntary, community or social enterprise", 10, 25)
    ]


def test_a_small_group_is_not_called_quiet():
    voices = compare({NHS: 19, VCSE: 1}, {NHS: 30, VCSE: MIN_GROUP_MEMBERS - 1})

    assert voices.quiet == []


def test_a_theme_hears_who_wrote_there(thread, member):
    voices = theme_missing_voices(thread.theme)

    assert "NHS trust or NHS staff" not in voices.absent  # the fixture's member started the thread
    assert "Social care provider" in voices.absent


def test_active_members_are_those_signed_in_lately(thread, member):
    for number in range(6):
        make_member(f"vcse{number}@example.org", display_name=f"Vic {number}", stakeholder_group=VCSE,
                    last_login=timezone.now())
    vcse_writer = make_member("vw@example.org", display_name="Vera Writer", stakeholder_group=VCSE,
                              last_login=timezone.now())
    for number in range(9):
        reply(thread, make_member(f"nhs{number}@example.org", display_name=f"Nia {number}",
                                  last_login=timezone.now()))
    reply(thread, vcse_writer)

    quiet = {group.label for group in theme_missing_voices(thread.theme).quiet}

    assert "Voluntary, community or social enterprise" in quiet


def test_the_theme_page_names_the_missing_groups_and_offers_to_share_it(client, thread):
    page = client.get(thread.theme.get_absolute_url()).content.decode()

    assert "Voices missing from this theme" in page and "Social care provider" in page
    assert "Share this theme by email" in page


def test_a_region_names_the_groups_none_of_its_members_wrote_for(client, thread, member):
    here, _elsewhere = two_regions()
    member.region = here
    member.save(update_fields=["region"])
    reply(thread, member)

    voices = region_missing_voices(here)
    page = client.get(reverse("forum:region", kwargs={"code": here.code})).content.decode()

    assert "NHS trust or NHS staff" not in voices.absent and "Social care provider" in voices.absent
    assert "Voices missing from this region" in page
