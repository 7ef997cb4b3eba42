"""The planning map: needs and offers, "we see this too", links, the grid, filters and downloads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import StakeholderGroup
from forum.member_data import erase_member_data, export_member_data
from forum.models import EntryKind, MapEntry, MapLink, SupportKind
from forum.planning import grid, services
from forum.planning.grid import MapFilters
from tests.forum.planning_support import make_stage, post, two_regions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _downloads_open(settings):
    settings.EXPORT_REQUIRES_GROUP = ""


def cell_of(map_grid, stage, support=SupportKind.CAPACITY):
    return next(cell for cell in map_grid.cells if cell.stage == stage and cell.support == support)


def test_a_linked_need_and_offer_make_one_match_in_their_cell(provider, planner, third_member, stage, planning_theme):
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    services.link(need=need, offer=offer, member=third_member)

    cell = cell_of(grid.build_grid(MapFilters()), stage)

    assert (cell.needs, cell.offers, cell.matches) == (1, 1, 1)
    assert cell.group_labels == ["Independent sector provider", "Integrated care board (commissioner)"]
    need.refresh_from_db()
    offer.refresh_from_db()
    assert need.is_match and offer.is_match


def test_the_region_filter_narrows_the_map(provider, planner, stage, planning_theme):
    here, elsewhere = two_regions()
    post(EntryKind.NEED, planner, stage, theme=planning_theme, region_obj=here)

    assert cell_of(grid.build_grid(MapFilters(region=here)), stage).needs == 1
    assert cell_of(grid.build_grid(MapFilters(region=elsewhere)), stage).needs == 0


def test_the_group_and_verified_filters_count_the_group_as_posted(provider, planner, stage, planning_theme):
    post(EntryKind.NEED, planner, stage, theme=planning_theme)
    post(EntryKind.OFFER, provider, stage, theme=planning_theme)

    by_icb = cell_of(grid.build_grid(MapFilters(group=StakeholderGroup.ICB)), stage)
    verified = cell_of(grid.build_grid(MapFilters(verified_only=True)), stage)

    assert (by_icb.needs, by_icb.offers) == (1, 0)
    assert (verified.needs, verified.offers) == (0, 0)  # test members' groups are self-declared


def test_linking_two_needs_is_refused_in_words(provider, planner, third_member, stage, planning_theme):
    first = post(EntryKind.NEED, provider, stage, theme=planning_theme)
    second = post(EntryKind.NEED, planner, stage, theme=planning_theme)

    with pytest.raises(PermissionDenied, match="Both of these are needs"):
        services.link(need=first, offer=second, member=third_member)
    assert not MapLink.objects.exists()


def test_linking_twice_keeps_one_link(provider, planner, third_member, stage, planning_theme):
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    services.link(need=need, offer=offer, member=third_member)
    services.link(need=need, offer=offer, member=third_member)

    need.refresh_from_db()
    assert MapLink.objects.count() == 1 and need.link_count == 1


def test_unlinking_takes_the_match_away(provider, planner, third_member, stage, planning_theme):
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    made = services.link(need=need, offer=offer, member=third_member)

    services.unlink(map_link=made, member=third_member)

    need.refresh_from_db()
    assert need.link_count == 0
    assert cell_of(grid.build_grid(MapFilters()), stage).matches == 0


def test_only_the_linker_or_a_moderator_may_unlink(provider, planner, third_member, stage, planning_theme):
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    made = services.link(need=need, offer=offer, member=third_member)

    with pytest.raises(PermissionDenied, match="Only the member who linked"):
        services.unlink(map_link=made, member=planner)


def test_we_see_this_too_is_counted_by_group(provider, planner, third_member, stage, planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)

    services.see_too(entry=need, member=provider)
    services.see_too(entry=need, member=third_member)

    need.refresh_from_db()
    need.opening.refresh_from_db()
    assert need.seen_groups == 2
    assert need.opening.agree_groups == {StakeholderGroup.INDEPENDENT_PROVIDER: 1, StakeholderGroup.VCSE: 1}


def test_we_see_this_too_on_ones_own_need_is_refused(planner, stage, planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)

    with pytest.raises(PermissionDenied, match="You posted this need"):
        services.see_too(entry=need, member=planner)


def test_taking_back_we_see_this_too_lowers_the_count(provider, planner, stage, planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    services.see_too(entry=need, member=provider)

    services.withdraw_seen(entry=need, member=provider)

    need.refresh_from_db()
    assert need.seen_groups == 0


def test_the_most_seen_unmatched_needs_lead_the_map(provider, planner, third_member, stage, planning_theme):
    seen = post(EntryKind.NEED, planner, stage, theme=planning_theme, title="Seen by others")
    post(EntryKind.NEED, planner, stage, theme=planning_theme, title="Seen by nobody")
    services.see_too(entry=seen, member=provider)

    assert [entry.pk for entry in grid.build_grid(MapFilters()).top_needs] == [seen.pk]


def test_a_need_waiting_for_a_moderator_is_not_on_the_map(planner, stage, planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    need.thread.__class__.objects.filter(pk=need.thread_id).update(needs_approval=True)

    assert cell_of(grid.build_grid(MapFilters()), stage).needs == 0


# --- Pages ------------------------------------------------------------------------------------


def test_the_map_page_shows_each_cell_in_words(client, provider, planner, third_member, stage, planning_theme):
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    services.link(need=need, offer=offer, member=third_member)

    page = client.get(reverse("forum:map")).content.decode()

    assert "1 need, 1 offer, 1 match" in page
    assert "Independent sector provider" in page


def test_unknown_filters_get_a_400_page_in_words(client, db):
    response = client.get(reverse("forum:map"), {"region": "E99999999", "group": "martians"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a region we know" in page and "is not a stakeholder group we know" in page


def test_a_member_posts_an_offer_through_the_form(client, provider, stage, planning_theme):
    client.force_login(provider)
    here, _elsewhere = two_regions()
    form_page = client.get(reverse("forum:map_new", kwargs={"kind": "offer"}))
    key = form_page.context["form"]["submission_key"].value()

    response = client.post(reverse("forum:map_new", kwargs={"kind": "offer"}), {
        "stage": stage.pk, "support": "capability", "region": here.code, "title": "Spare MRI sessions",
        "body": "Two evening sessions a week.", "submission_key": key, "action": "post",
    })

    entry = MapEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    assert (entry.kind, entry.support, entry.region) == ("offer", "capability", here)
    assert entry.thread.theme == planning_theme


def test_a_form_without_stage_kind_or_region_says_so_and_keeps_the_text(client, provider, stage, planning_theme):
    client.force_login(provider)

    response = client.post(reverse("forum:map_new", kwargs={"kind": "need"}), {
        "title": "Discharge delays", "body": "Patients wait for care packages.", "action": "post",
    })

    page = response.content.decode()
    assert response.status_code == 200 and not MapEntry.objects.exists()
    assert "Choose the stage of the patient journey." in page
    assert "Choose the kind of support" in page and "Choose the region" in page
    assert "Discharge delays" in page and "Patients wait for care packages." in page


def test_an_unknown_region_code_is_refused_on_the_form(client, provider, stage, planning_theme):
    client.force_login(provider)

    response = client.post(reverse("forum:map_new", kwargs={"kind": "need"}), {
        "stage": stage.pk, "support": "capacity", "region": "E54999999", "title": "A need", "body": "Text.",
        "action": "post",
    })

    assert "is not a region we know" in response.content.decode()
    assert not MapEntry.objects.exists()


def test_an_archived_stage_is_refused_on_the_form(client, provider, planning_theme):
    archived = make_stage("old-stage", "An old stage", is_archived=True)
    client.force_login(provider)

    response = client.post(reverse("forum:map_new", kwargs={"kind": "need"}), {
        "stage": archived.pk, "support": "capacity", "region": two_regions()[0].code, "title": "A need",
        "body": "Kept text.", "action": "post",
    })

    page = response.content.decode()
    assert "has been archived" in page and "Kept text." in page
    assert not MapEntry.objects.exists()


def test_linking_through_the_page_by_number(client, provider, planner, third_member, stage, planning_theme):
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    client.force_login(third_member)

    response = client.post(reverse("forum:map_link", kwargs={"pk": need.pk}), {"other": offer.pk})

    assert response.status_code == 302
    assert MapLink.objects.filter(need=need, offer=offer, linked_by=third_member).exists()


def test_linking_a_need_to_a_need_through_the_page_says_why_and_keeps_the_number(
    client, provider, planner, third_member, stage, planning_theme
):
    first = post(EntryKind.NEED, provider, stage, theme=planning_theme)
    second = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    client.force_login(third_member)

    response = client.post(reverse("forum:map_link", kwargs={"pk": first.pk}), {"other": second.pk})

    page = response.content.decode()
    assert response.status_code == 400 and "Both of these are needs" in page
    assert f'value="{second.pk}"' in page


def test_anonymous_readers_cannot_link_or_say_they_see_it_too(client, planner, stage, planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)

    for name in ("forum:map_link", "forum:map_see"):
        response = client.post(reverse(name, kwargs={"pk": need.pk}), {"other": 1})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not MapLink.objects.exists()


def test_the_map_downloads_hold_every_row_with_region_codes(client, provider, planner, third_member, stage,
                                                             planning_theme):
    here, _elsewhere = two_regions()
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme, region_obj=here)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme, region_obj=here)
    services.link(need=need, offer=offer, member=third_member)
    client.force_login(third_member)

    response = client.get(reverse("forum:map_download", kwargs={"fmt": "csv"}), {"region": here.code})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    as_json = json.loads(b"".join(client.get(reverse("forum:map_download", kwargs={"fmt": "json"})).streaming_content))

    assert {(row["kind"], row["region_code"], row["matched"]) for row in rows} == {
        ("need", here.code, "yes"), ("offer", here.code, "yes")
    }
    assert [entry["linked_ids"] for entry in as_json["entries"] if entry["kind"] == "need"] == [[offer.pk]]


def test_the_region_page_lists_its_needs_and_offers(client, provider, planner, stage, planning_theme):
    here, _elsewhere = two_regions()
    post(EntryKind.NEED, planner, stage, theme=planning_theme, region_obj=here, title="Theatre staff")

    page = client.get(reverse("forum:region", kwargs={"code": here.code})).content.decode()

    assert "Theatre staff" in page and here.name in page
    assert client.get(reverse("forum:region", kwargs={"code": "E54999999"})).status_code == 404


def test_download_my_data_holds_the_members_needs_offers_and_links(provider, planner, third_member, stage,
                                                                   planning_theme):
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    services.link(need=need, offer=offer, member=third_member)

    assert [item["id"] for item in export_member_data(provider)["needs_and_offers"]] == [offer.pk]
    assert export_member_data(third_member)["map_links_made"][0]["need_id"] == need.pk


def test_erasure_keeps_links_but_forgets_who_made_them(provider, planner, third_member, stage, planning_theme):
    offer = post(EntryKind.OFFER, provider, stage, theme=planning_theme)
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    services.link(need=need, offer=offer, member=third_member)

    erase_member_data(third_member, remove_text=True)

    assert MapLink.objects.get().linked_by is None


def test_the_discussion_page_points_back_to_its_need(client, planner, stage, planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)

    page = client.get(need.thread.get_absolute_url()).content.decode()

    assert need.get_absolute_url() in page and "a need on the planning map" in page



def test_a_need_can_come_from_a_paragraph(client, provider, stage, planning_theme, source):
    paragraph = source.paragraphs[0]
    client.force_login(provider)
    discuss = client.get(reverse("forum:paragraph_discuss", kwargs={"key": paragraph.key})).content.decode()
    assert f"/map/new/need/?paragraph={paragraph.key}" in discuss

    url = reverse("forum:map_new", kwargs={"kind": "need"}) + f"?paragraph={paragraph.key}"
    key = client.get(url).context["form"]["submission_key"].value()
    client.post(url, {"stage": stage.pk, "support": "capacity", "region": two_regions()[0].code,
                      "title": "From a paragraph", "body": "Text.", "submission_key": key, "action": "post"})

    entry = MapEntry.objects.get()
    assert entry.paragraph == paragraph and entry.thread.anchor_key == paragraph.key


def test_we_do_not_see_this_is_a_disagreement_that_replaces_we_see_this_too(provider, planner, stage,
                                                                              planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    services.see_too(entry=need, member=provider)

    services.not_seen(entry=need, member=provider)

    need.refresh_from_db()
    need.opening.refresh_from_db()
    assert need.seen_groups == 0
    assert (need.opening.agree_count, need.opening.disagree_count) == (0, 1)
    assert need.opening.disagree_groups == {StakeholderGroup.INDEPENDENT_PROVIDER: 1}


def test_we_do_not_see_this_on_ones_own_need_is_refused(planner, stage, planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)

    with pytest.raises(PermissionDenied, match="You posted this need"):
        services.not_seen(entry=need, member=planner)


def test_the_page_shows_who_does_not_see_it_and_lets_the_member_take_it_back(client, provider, planner, stage,
                                                                             planning_theme):
    need = post(EntryKind.NEED, planner, stage, theme=planning_theme)
    client.force_login(provider)

    response = client.post(reverse("forum:map_not_seen", kwargs={"pk": need.pk}))
    assert response.status_code == 302, response.content.decode()[-3000:]
    page = client.get(need.get_absolute_url()).content.decode()
    assert "You said you do not see this." in page and "does not see this: Independent sector provider (1)" in page

    client.post(reverse("forum:map_unsee", kwargs={"pk": need.pk}))
    need.opening.refresh_from_db()
    assert need.opening.disagree_count == 0
