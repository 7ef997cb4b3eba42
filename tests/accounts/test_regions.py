"""The register of regions: the shipped file, update_regions, and a member's region on the profile."""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import affiliation
from accounts.forms import ProfileForm
from accounts.models import Organisation, OrganisationDomain, OrganisationType, Region, StakeholderGroup, User
from accounts.privacy import delete_account, export_member_data
from accounts.regions import COLUMNS, SHIPPED_REGISTER, ensure_register_loaded, icb_count_in, read_register
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

ENGLAND = "E92000001"
DEVON = "E54000037"


@pytest.fixture(autouse=True)
def register():
    """The shipped register (migration 0007 loads it; a transactional test elsewhere may have emptied it)."""
    ensure_register_loaded()


def shipped_rows() -> list[dict]:
    lines = [line for line in SHIPPED_REGISTER.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def write_register(tmp_path, rows, *, columns=COLUMNS, name="newer.csv"):
    path = tmp_path / name
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_update(path, *args) -> str:
    out = StringIO()
    call_command("update_regions", str(path), *args, stdout=out)
    return out.getvalue()


# The shipped file ------------------------------------------------------------------------------


def test_the_database_holds_one_region_per_line_of_the_shipped_file_with_england_wide():
    rows = shipped_rows()
    assert Region.objects.count() == len(rows)
    assert set(Region.objects.values_list("code", flat=True)) == {row["code"] for row in rows}
    england = Region.objects.get(code=ENGLAND)
    assert england.kind == Region.Kind.COUNTRY and england.short_name == "England-wide"


def test_the_boards_in_force_are_the_files_icb_rows_in_force():
    in_force_in_file = [row for row in shipped_rows() if row["kind"] == "icb" and not row["valid_until"]]
    assert Region.objects.current().filter(kind=Region.Kind.ICB).count() == len(in_force_in_file)
    assert icb_count_in(SHIPPED_REGISTER) == len(in_force_in_file)


def test_every_code_in_the_shipped_file_is_an_ons_code_and_every_merger_names_a_region_in_it():
    rows = read_register(SHIPPED_REGISTER)
    codes = {row.code for row in rows}
    assert all(row.code.startswith(("E54", "E92")) for row in rows)
    assert {row.replaced_by for row in rows if row.replaced_by} <= codes


def test_a_board_recoded_in_april_2023_is_ended_and_points_at_its_new_code():
    old = Region.objects.get(code="E54000053")
    assert old.valid_until == date(2023, 3, 31) and old.replaced_by.code == "E54000064"
    assert not Region.objects.current().filter(code="E54000053").exists()
    assert Region.objects.current(on=date(2023, 1, 1)).filter(code="E54000053").exists()


def test_choices_put_england_wide_first_and_leave_out_regions_not_in_force():
    choices = list(Region.objects.for_choices())
    assert choices[0].code == ENGLAND
    assert all(region.in_force() for region in choices)
    assert [r.short_name for r in choices[1:]] == sorted(r.short_name for r in choices[1:])


# update_regions --------------------------------------------------------------------------------


def test_update_adds_renames_ends_and_merges_and_says_so(tmp_path):
    rows = shipped_rows()
    for row in rows:
        if row["code"] == DEVON:
            row["name"], row["short_name"] = "NHS Devon and Torbay Integrated Care Board", "Devon and Torbay"
        if row["code"] == "E54000038":  # Somerset merges into a new board
            row["valid_until"], row["replaced_by"] = "2026-03-31", "E54000099"
    rows.append(
        {
            "code": "E54000099",
            "name": "NHS Peninsula Integrated Care Board",
            "short_name": "Peninsula",
            "kind": "icb",
            "valid_from": "2026-04-01",
            "valid_until": "",
            "replaced_by": "",
        }
    )
    output = run_update(write_register(tmp_path, rows))

    assert Region.objects.get(code=DEVON).short_name == "Devon and Torbay"
    somerset = Region.objects.get(code="E54000038")
    assert somerset.valid_until == date(2026, 3, 31) and somerset.replaced_by.code == "E54000099"
    assert Region.objects.get(code="E54000099").valid_from == date(2026, 4, 1)
    for words in ("Added:", "E54000099 Peninsula", "Renamed:", "Devon and Torbay", "Ended:", "Merged:"):
        assert words in output
    assert run_update(write_register(tmp_path, rows)).startswith("No changes")


def test_a_dry_run_says_what_would_change_and_changes_nothing(tmp_path):
    rows = shipped_rows()
    rows[1]["name"] = "A new name"
    output = run_update(write_register(tmp_path, rows), "--dry-run")
    assert "Renamed:" in output and "nothing was changed" in output
    assert not Region.objects.filter(name="A new name").exists()


def test_a_region_left_out_of_the_file_is_kept_with_the_members_who_chose_it(tmp_path):
    devon = Region.objects.get(code=DEVON)
    make_member(region=devon)
    output = run_update(write_register(tmp_path, [row for row in shipped_rows() if row["code"] != DEVON]))
    assert Region.objects.filter(code=DEVON).exists()
    assert User.objects.get(region=devon)
    assert "not in the file (kept)" in output and DEVON in output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "E5400008"}, "is not an ONS code"),
        ({"code": "X54000008"}, "is not an ONS code"),
        ({"valid_from": "1/7/2022"}, "is not a date written as YYYY-MM-DD"),
        ({"valid_until": "2022-02-30"}, "is not a date written as YYYY-MM-DD"),
        ({"kind": "region"}, "kind 'region' is not one of"),
        ({"replaced_by": "E54000098"}, "neither in the file nor in the register"),
    ],
)
def test_a_malformed_file_is_refused_with_a_clear_message_and_nothing_changes(tmp_path, change, message):
    rows = shipped_rows()
    rows[3].update(change)
    before = list(Region.objects.values_list("code", "name", "valid_until"))
    with pytest.raises(CommandError) as refused:
        run_update(write_register(tmp_path, rows))
    assert message in str(refused.value) and "Nothing was changed" in str(refused.value)
    assert list(Region.objects.values_list("code", "name", "valid_until")) == before


def test_a_file_without_a_column_is_refused_naming_the_column(tmp_path):
    path = write_register(tmp_path, shipped_rows(), columns=[c for c in COLUMNS if c != "valid_from"])
    with pytest.raises(CommandError, match="has no column valid_from"):
        run_update(path)


def test_a_code_listed_twice_is_refused(tmp_path):
    rows = shipped_rows()
    with pytest.raises(CommandError, match="listed twice"):
        run_update(write_register(tmp_path, [*rows, rows[5]]))


# A member's region -----------------------------------------------------------------------------


def profile_data(**changes) -> dict:
    data = {
        "display_name": "Sam Jones",
        "stakeholder_group": "nhs",
        "organisation_name": "Devon Partnership",
        "job_title": "Planner",
        "region": "",
        "declared_interests": "",
    }
    data.update(changes)
    return data


def test_a_member_chooses_their_region_on_the_profile_and_it_shows_on_their_page(client):
    member = make_member()
    client.force_login(member)
    devon = Region.objects.get(code=DEVON)
    response = client.post(reverse("accounts:edit_profile"), profile_data(region=devon.pk))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.region == devon
    page = BeautifulSoup(client.get(member.get_absolute_url()).content, "html.parser")
    row = page.find("dt", string="Region").find_next_sibling("dd")
    assert row.get_text(strip=True) == "Devon"


def test_the_form_lists_england_wide_first_with_a_hint(client):
    client.force_login(make_member())
    page = BeautifulSoup(client.get(reverse("accounts:edit_profile")).content, "html.parser")
    select = page.find("select", attrs={"name": "region"})
    labels = [option.get_text() for option in select.find_all("option")]
    assert labels[:2] == ["Not given", "England-wide"]
    assert "integrated care board area you mainly work in" in page.find(id="id_region-hint").get_text()


@pytest.mark.parametrize("sent", ["999999", "not-a-number", "ended"])
def test_an_unknown_or_ended_region_gives_a_clear_error_and_keeps_what_was_typed(client, sent):
    member = make_member()
    client.force_login(member)
    if sent == "ended":
        sent = str(Region.objects.get(code="E54000053").pk)
    response = client.post(reverse("accounts:edit_profile"), profile_data(region=sent, job_title="Head of planning"))
    assert response.status_code == 400
    page = BeautifulSoup(response.content, "html.parser")
    assert "Choose a region from the list." in page.find(id="id_region-error").get_text()
    assert page.find("input", attrs={"name": "job_title"})["value"] == "Head of planning"
    member.refresh_from_db()
    assert member.region is None and member.job_title == ""


def devon_trust() -> Organisation:
    trust = Organisation.objects.create(
        name="Devon Hospitals NHS Trust",
        organisation_type=OrganisationType.NHS_TRUST,
        stakeholder_group=StakeholderGroup.NHS,
    )
    trust.regions.add(Region.objects.get(code=DEVON))
    OrganisationDomain.objects.create(organisation=trust, domain="devontrust.example.org")
    return trust


def test_the_form_suggests_the_one_region_of_the_members_verified_organisation():
    member = make_member(affiliation_organisation=devon_trust())
    assert ProfileForm(instance=member).initial["region"] == Region.objects.get(code=DEVON).pk


def test_no_region_is_suggested_for_an_organisation_in_several_regions_or_over_a_chosen_one():
    trust = devon_trust()
    trust.regions.add(Region.objects.get(code=ENGLAND))
    assert ProfileForm(instance=make_member(affiliation_organisation=trust)).initial["region"] is None
    trust.regions.remove(Region.objects.get(code=ENGLAND))
    chosen = make_member(
        "chosen@example.org",
        display_name="Chosen",
        affiliation_organisation=trust,
        region=Region.objects.get(code=ENGLAND),
    )
    assert ProfileForm(instance=chosen).initial["region"] == Region.objects.get(code=ENGLAND).pk


def test_verification_by_email_domain_gives_a_member_without_a_region_their_organisations():
    devon_trust()
    member = make_member("nurse@devontrust.example.org", display_name="Nurse")
    assert affiliation.refresh_affiliation(member) is True
    assert User.objects.get(pk=member.pk).region.code == DEVON

    elsewhere = make_member("lead@devontrust.example.org", display_name="Lead", region=Region.objects.get(code=ENGLAND))
    affiliation.refresh_affiliation(elsewhere)
    assert User.objects.get(pk=elsewhere.pk).region.code == ENGLAND


def test_download_my_data_includes_the_region():
    member = make_member(region=Region.objects.get(code=DEVON))
    exported = export_member_data(member)["accounts"]["profile"]["region"]
    assert exported == {"code": DEVON, "name": "NHS Devon Integrated Care Board"}
    nowhere = make_member("none@example.org", display_name="None")
    assert export_member_data(nowhere)["accounts"]["profile"]["region"] is None


def test_deleting_an_account_clears_the_region():
    member = make_member(region=Region.objects.get(code=DEVON))
    EmailAddress.objects.filter(user=member).update(verified=True)
    delete_account(user=member, remove_text=False)
    assert User.objects.get(pk=member.pk).region is None
