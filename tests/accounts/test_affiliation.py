"""Verified affiliation: the register, the email domain rule, moderators, and the log."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts import affiliation
from accounts.models import (
    AffiliationEvent,
    AffiliationSource,
    Organisation,
    OrganisationDomain,
    OrganisationType,
    StakeholderGroup,
)
from accounts.validators import normalise_domain_rule
from tests.accounts.helpers import confirmation_path, give_mfa, make_moderator, reauthenticate
from tests.conftest import make_member, record_second_factor

pytestmark = pytest.mark.django_db

Kind = AffiliationEvent.Kind


def register(name, group, *domains, kind=OrganisationType.NHS_TRUST):
    organisation = Organisation.objects.create(name=name, organisation_type=kind, stakeholder_group=group)
    for domain in domains:
        OrganisationDomain.objects.create(organisation=organisation, domain=domain)
    return organisation


def test_the_seeded_register_verifies_nhsmail_as_an_organisation_and_nhs_uk_as_the_nhs_group():
    nhsmail = Organisation.objects.get(domains__domain="nhs.net")
    assert nhsmail.stakeholder_group == "" and nhsmail.is_shared_domain
    assert set(nhsmail.domains.values_list("domain", flat=True)) == {"nhs.net"}
    nhs_uk = Organisation.objects.get(domains__domain="*.nhs.uk")
    assert nhs_uk.stakeholder_group == StakeholderGroup.NHS
    assert set(nhs_uk.domains.values_list("domain", flat=True)) == {"nhs.uk", "*.nhs.uk"}


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("nhs.net", "NHSmail (nhs.net)"),
        ("leedsth.nhs.uk", "NHS organisations (nhs.uk addresses)"),
        ("a.b.nhs.uk", "NHS organisations (nhs.uk addresses)"),
        ("gmail.com", None),
        ("notnhs.net", None),
        ("nhs.net.evil.example", None),
    ],
)
def test_domains_match_exactly_or_as_subdomains(domain, expected):
    organisation = affiliation.organisation_for_domain(domain)
    assert (organisation.name if organisation else None) == expected


def test_the_most_specific_rule_wins():
    trust = register("Leeds Teaching Hospitals NHS Trust", StakeholderGroup.NHS, "leedsth.nhs.uk")
    icb = register("West Yorkshire ICB", StakeholderGroup.ICB, "*.wy.nhs.uk", kind=OrganisationType.ICB)
    assert affiliation.organisation_for_domain("leedsth.nhs.uk") == trust
    assert affiliation.organisation_for_domain("x.wy.nhs.uk") == icb
    assert affiliation.organisation_for_domain("other.nhs.uk").name.startswith("NHS organisations")


@pytest.mark.parametrize("bad", ["", "nhs", "*.", "http://nhs.net", "nhs .net", "*nhs.uk", "-a.nhs.uk"])
def test_domain_rules_must_be_domains(bad):
    with pytest.raises(ValidationError):
        normalise_domain_rule(bad)


def test_an_nhs_uk_address_verifies_the_nhs_group_and_is_logged():
    member = make_member("ada@leedsth.nhs.uk", display_name="Ada Lane")
    assert affiliation.refresh_affiliation(member) is True
    member.refresh_from_db()
    assert member.has_verified_group and member.has_verified_organisation
    assert member.affiliation_source == AffiliationSource.EMAIL_DOMAIN
    assert member.affiliation_organisation.name.startswith("NHS organisations")
    event = AffiliationEvent.objects.get(member=member)
    assert event.kind == Kind.VERIFIED_BY_DOMAIN and event.actor is None
    # Running again changes nothing and logs nothing.
    affiliation.refresh_affiliation(member)
    assert AffiliationEvent.objects.filter(member=member).count() == 1


def test_an_nhsmail_address_verifies_the_organisation_but_not_the_group():
    """nhs.net is issued to GP practices, social care and independent providers too."""
    member = make_member("ada@nhs.net", display_name="Ada Lane", stakeholder_group=StakeholderGroup.NHS)
    assert affiliation.refresh_affiliation(member) is False
    member.refresh_from_db()
    assert member.has_verified_organisation and not member.has_verified_group
    assert member.affiliation_organisation.name == "NHSmail (nhs.net)"
    assert AffiliationEvent.objects.get(member=member).kind == Kind.ORGANISATION_VERIFIED
    affiliation.refresh_affiliation(member)
    assert AffiliationEvent.objects.filter(member=member).count() == 1


def test_an_nhsmail_members_profile_says_self_declared_with_a_verified_organisation(client):
    member = make_member("ada@nhs.net", display_name="Ada Lane", stakeholder_group=StakeholderGroup.NHS)
    affiliation.refresh_affiliation(member)
    html = client.get(member.get_absolute_url()).content.decode()
    assert "Self-declared" in html and "Verified organisation" in html and "Verified group" not in html
    assert "NHSmail (nhs.net), which does not say which group they speak for" in html


def test_a_gmail_address_or_a_different_group_stays_self_declared():
    gmail = make_member("sam@gmail.com", display_name="Sam Jones")
    assert affiliation.refresh_affiliation(gmail) is False
    icb_on_nhs_uk = make_member("ica@wy.nhs.uk", display_name="Ica Board", stakeholder_group=StakeholderGroup.ICB)
    assert affiliation.refresh_affiliation(icb_on_nhs_uk) is False
    assert not AffiliationEvent.objects.filter(kind=Kind.VERIFIED_BY_DOMAIN).exists()
    assert not AffiliationEvent.objects.filter(member=gmail).exists()


def test_an_unconfirmed_address_does_not_verify():
    member = make_member("new@nhs.net", display_name="New Person", verified=False)
    assert affiliation.refresh_affiliation(member) is False


def test_confirming_a_work_address_through_allauth_verifies_the_group(client, mailoutbox):
    member = make_member("sam@gmail.com", display_name="Sam Jones")
    client.force_login(member)
    reauthenticate(client)
    response = client.post(reverse("account_email"), {"email": "sam.jones@leedsth.nhs.uk", "action_add": ""})
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.affiliation_verified
    client.post(confirmation_path(mailoutbox[-1]))
    member.refresh_from_db()
    assert member.affiliation_verified


def test_removing_the_work_address_ends_verification(client):
    member = make_member("sam@gmail.com", display_name="Sam Jones")
    EmailAddress.objects.create(user=member, email="sam@leedsth.nhs.uk", verified=True, primary=False)
    affiliation.refresh_affiliation(member)
    member.refresh_from_db()
    assert member.affiliation_verified
    client.force_login(member)
    reauthenticate(client)
    client.post(reverse("account_email"), {"email": "sam@leedsth.nhs.uk", "action_remove": ""})
    member.refresh_from_db()
    assert not member.affiliation_verified
    assert AffiliationEvent.objects.filter(member=member).first().kind == Kind.VERIFICATION_LAPSED


def test_changing_group_is_logged_and_a_moderators_check_ends(client):
    member = make_member("sam@gmail.com", display_name="Sam Jones")
    moderator = make_member("mod@example.org", display_name="Mod Erate")
    affiliation.verify_by_moderator(member=member, moderator=moderator, note="Phoned the trust")
    client.force_login(member)
    response = client.post(
        reverse("accounts:edit_profile"),
        {"display_name": "Sam Jones", "stakeholder_group": StakeholderGroup.SOCIAL_CARE},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.stakeholder_group == StakeholderGroup.SOCIAL_CARE
    assert not member.affiliation_verified
    events = AffiliationEvent.objects.filter(member=member).order_by("pk")
    kinds = list(events.values_list("kind", "from_group", "to_group"))
    assert kinds == [
        (Kind.VERIFIED_BY_MODERATOR, "nhs", "nhs"),
        (Kind.GROUP_CHANGED, "nhs", "social_care"),
        (Kind.VERIFICATION_LAPSED, "social_care", "social_care"),
    ]


def test_saving_the_profile_without_changing_group_logs_nothing(client):
    member = make_member("sam@gmail.com", display_name="Sam Jones")
    client.force_login(member)
    client.post(reverse("accounts:edit_profile"), {"display_name": "Sam J Jones", "stakeholder_group": "nhs"})
    assert not AffiliationEvent.objects.filter(member=member).exists()


def test_a_moderator_revocation_sticks_until_a_moderator_verifies_again():
    member = make_member("ada@leedsth.nhs.uk", display_name="Ada Lane")
    moderator = make_member("mod@example.org", display_name="Mod Erate")
    affiliation.refresh_affiliation(member)
    affiliation.revoke_by_moderator(member=member, moderator=moderator, note="Left the trust")
    member.refresh_from_db()
    assert not member.affiliation_verified and member.affiliation_locked
    assert affiliation.refresh_affiliation(member) is False
    affiliation.verify_by_moderator(member=member, moderator=moderator)
    member.refresh_from_db()
    assert member.affiliation_verified and not member.affiliation_locked
    assert member.affiliation_source == AffiliationSource.MODERATOR


@pytest.fixture
def moderator_client(db):
    moderator = make_member("mod@example.org", display_name="Mod Erate")
    make_moderator(moderator)
    client = Client()
    client.force_login(moderator)
    return client, moderator


def test_a_moderator_with_mfa_verifies_by_hand_from_the_profile(moderator_client):
    client, moderator = moderator_client
    give_mfa(moderator)
    record_second_factor(client, moderator)  # this session then confirmed a code
    member = make_member("sam@gmail.com", display_name="Sam Jones")
    page = client.get(member.get_absolute_url()).content.decode()
    assert "Mark group as verified" in page
    url = reverse("accounts:affiliation_decision", kwargs={"pk": member.pk})
    response = client.post(url, {"decision": "verify", "basis": "organisation", "note": "Confirmed by phone"})
    assert response["Location"] == member.get_absolute_url()
    member.refresh_from_db()
    assert member.affiliation_verified and member.affiliation_source == AffiliationSource.MODERATOR
    event = AffiliationEvent.objects.get(member=member)
    assert (event.kind, event.actor) == (Kind.VERIFIED_BY_MODERATOR, moderator)
    assert event.note == "Confirmed with their organisation. Confirmed by phone"
    client.post(url, {"decision": "revoke", "note": "Mistake"})
    member.refresh_from_db()
    assert not member.affiliation_verified


def test_a_moderator_without_mfa_is_refused_with_a_link_to_set_it_up(moderator_client):
    client, _ = moderator_client
    member = make_member("sam@gmail.com", display_name="Sam Jones")
    response = client.post(reverse("accounts:affiliation_decision", kwargs={"pk": member.pk}), {"decision": "verify"})
    assert response.status_code == 403
    assert reverse("mfa_activate_totp") in response.content.decode()
    member.refresh_from_db()
    assert not member.affiliation_verified


def test_members_cannot_verify_and_the_decision_is_post_only(member_client, member):
    other = make_member("sam@gmail.com", display_name="Sam Jones")
    url = reverse("accounts:affiliation_decision", kwargs={"pk": other.pk})
    assert member_client.get(url).status_code == 405
    give_mfa(member)
    response = member_client.post(url, {"decision": "verify"})
    assert response.status_code == 403
    assert "Only moderators can verify" in response.content.decode()
    assert "Mark group as verified" not in member_client.get(other.get_absolute_url()).content.decode()
    anonymous = Client()
    assert anonymous.post(url, {"decision": "verify"})["Location"].startswith(reverse("account_login"))


def test_a_member_without_a_group_cannot_be_verified_and_the_note_is_kept(moderator_client):
    client, moderator = moderator_client
    give_mfa(moderator)
    record_second_factor(client, moderator)  # this session then confirmed a code
    member = make_member("new@example.org", display_name="New Person", stakeholder_group="")
    response = client.post(
        reverse("accounts:affiliation_decision", kwargs={"pk": member.pk}), {"decision": "verify", "note": "Checked"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "has not chosen a stakeholder group yet" in html
    assert 'value="Checked"' in html


def test_staff_groups_exist_with_their_permissions():
    moderators = Group.objects.get(name="Moderators")
    codenames = set(moderators.permissions.values_list("content_type__app_label", "codename"))
    assert ("accounts", "verify_affiliation") in codenames
    assert ("forum", "moderate_comment") in codenames
    facilitators = Group.objects.get(name="Facilitators")
    assert facilitators.permissions.filter(codename="change_organisation").exists()


def test_a_moderator_verifies_a_patient_representative_by_role_with_the_evidence_in_the_log(moderator_client):
    client, moderator = moderator_client
    give_mfa(moderator)
    record_second_factor(client, moderator)
    member = make_member("pat@gmail.com", display_name="Pat Rep", stakeholder_group=StakeholderGroup.PATIENT_PUBLIC)
    assert "By role: Healthwatch" in client.get(member.get_absolute_url()).content.decode()
    url = reverse("accounts:affiliation_decision", kwargs={"pk": member.pk})
    client.post(url, {"decision": "verify", "basis": "healthwatch", "note": "Healthwatch Leeds lists Pat"})
    member.refresh_from_db()
    assert member.has_verified_group and member.affiliation_basis == "healthwatch"
    assert AffiliationEvent.objects.get(member=member).note == "By role: Healthwatch. Healthwatch Leeds lists Pat"
    assert "By role: Healthwatch." in Client().get(member.get_absolute_url()).content.decode()


def test_verifying_by_hand_needs_what_was_checked_and_the_evidence_and_keeps_what_was_typed(moderator_client):
    client, moderator = moderator_client
    give_mfa(moderator)
    record_second_factor(client, moderator)
    member = make_member("pat@gmail.com", display_name="Pat Rep", stakeholder_group=StakeholderGroup.PATIENT_PUBLIC)
    url = reverse("accounts:affiliation_decision", kwargs={"pk": member.pk})
    response = client.post(url, {"decision": "verify", "note": "Met at the PPG"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose what you checked before you verify the group." in html and 'value="Met at the PPG"' in html
    response = client.post(url, {"decision": "verify", "basis": "ppg"})
    assert "Say what you checked or why" in response.content.decode()
    member.refresh_from_db()
    assert not member.has_verified_group


def test_the_profile_lists_earlier_groups(client):
    member = make_member("sam@gmail.com", display_name="Sam Jones")
    client.force_login(member)
    client.post(reverse("accounts:edit_profile"), {"display_name": "Sam Jones", "stakeholder_group": "social_care"})
    html = Client().get(member.get_absolute_url()).content.decode()
    assert "Earlier groups" in html and "NHS trust or NHS staff until" in html


def test_the_sign_up_page_says_nhsmail_verifies_the_organisation_not_the_group(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert "An NHSmail (nhs.net) address shows your organisation as verified but not your group" in html


def test_onboarding_with_an_nhsmail_address_suggests_no_group_and_says_why(client):
    member = make_member("gp@nhs.net", display_name="", stakeholder_group="")
    client.force_login(member)
    page = BeautifulSoup(client.get(reverse("accounts:onboarding")).content, "html.parser")
    assert not page.select("input[name=stakeholder_group][checked]")
    assert "verifies your organisation, but not which group you speak for" in page.get_text(" ")
