"""Download my data and delete my account, including the member_data seam other apps plug into."""

from __future__ import annotations

import json
import types

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts import affiliation, privacy
from accounts.models import AffiliationEvent, User
from tests.accounts.helpers import PASSWORD, give_mfa, make_moderator, reauthenticate
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_accounts_is_found_first_among_member_data_modules():
    labels = [label for label, _ in privacy.member_data_modules()]
    assert labels[0] == "accounts"


def test_export_holds_the_profile_addresses_history_mfa_and_sessions(client):
    member = make_member(
        "priya@leedsth.nhs.uk",
        display_name="Priya Shah",
        job_title="Head of Planned Care",
        declared_interests="Trustee.",
    )
    EmailAddress.objects.create(user=member, email="priya@gmail.com", verified=False, primary=False)
    affiliation.refresh_affiliation(member)
    give_mfa(member)
    client.post(reverse("account_login"), {"login": "priya@leedsth.nhs.uk", "password": PASSWORD})
    data = privacy.export_member_data(member)["accounts"]
    assert data["profile"]["email"] == "priya@leedsth.nhs.uk"
    assert data["profile"]["job_title"] == "Head of Planned Care"
    assert data["profile"]["declared_interests"] == "Trustee."
    assert data["profile"]["affiliation"]["verified_group"] is True
    assert data["profile"]["affiliation"]["verified_organisation"] == "NHS organisations (nhs.uk addresses)"
    assert {a["email"] for a in data["email_addresses"]} == {"priya@leedsth.nhs.uk", "priya@gmail.com"}
    assert data["affiliation_history"][0]["what"] == "Verified by email domain"
    assert data["affiliation_history"][0]["by"] == "the site"
    assert [a["type"] for a in data["two_factor_authentication"]] == ["TOTP Authenticator"]
    assert "secret" not in json.dumps(data, default=str).lower()


def test_export_includes_what_other_apps_hold(monkeypatch):
    member = make_member(display_name="Priya Shah")
    forum = types.SimpleNamespace(export_member_data=lambda user: {"comments": [{"body": f"by {user.display_name}"}]})
    real = privacy.member_data_modules
    monkeypatch.setattr(privacy, "member_data_modules", lambda: [*real(), ("forum", forum)])
    data = json.loads(privacy.export_member_data_json(member))
    assert data["forum"] == {"comments": [{"body": "by Priya Shah"}]}
    assert data["service"] == "Common Ground"


def test_download_needs_the_password_then_sends_a_json_file(client):
    member = make_member(display_name="Priya Shah")
    client.force_login(member)
    page = client.get(reverse("accounts:data_export"))
    assert page.status_code == 200
    response = client.post(reverse("accounts:data_export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    # allauth replays the suspended download once the password is confirmed.
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert json.loads(response.content)["accounts"]["profile"]["display_name"] == "Priya Shah"


def test_deleting_an_account_asks_for_the_password_and_a_tick(client):
    member = make_member(display_name="Priya Shah")
    client.force_login(member)
    assert client.get(reverse("accounts:delete_account"))["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(client)
    response = client.post(reverse("accounts:delete_account"), {"remove_text": "on"})
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    from bs4 import BeautifulSoup

    remove_text = BeautifulSoup(response.content, "html.parser").find("input", attrs={"name": "remove_text"})
    assert remove_text.has_attr("checked")
    member.refresh_from_db()
    assert member.is_active


def test_deletion_empties_the_account_everywhere_and_signs_out_every_session(client, mailoutbox):
    member = make_member(
        "priya@leedsth.nhs.uk", display_name="Priya Shah", organisation_name="LTHT", declared_interests="Trustee."
    )
    make_moderator(member)
    affiliation.refresh_affiliation(member)
    give_mfa(member)
    other_device = Client()
    other_device.force_login(member)
    client.force_login(member)
    UserSession.objects.create(
        user=member, ip="10.0.0.1", session_key=other_device.session.session_key, user_agent="Other browser"
    )
    reauthenticate(client)
    response = client.post(reverse("accounts:delete_account"), {"confirm": "on"})
    assert response["Location"] == reverse("home")

    member = User.objects.get(pk=member.pk)
    assert member.is_former_member and not member.is_active and not member.has_usable_password()
    assert (member.display_name, member.organisation_name, member.declared_interests, member.stakeholder_group) == (
        "",
        "",
        "",
        "",
    )
    assert member.email == f"former-member-{member.pk}@deleted.invalid"
    assert not member.groups.exists()
    assert not EmailAddress.objects.filter(user=member).exists()
    assert not Authenticator.objects.filter(user=member).exists()
    assert not AffiliationEvent.objects.filter(member=member).exists()
    assert not UserSession.objects.filter(user=member).exists()
    assert not Session.objects.filter(session_key=other_device.session.session_key).exists()
    assert other_device.get(reverse("accounts:settings")).status_code == 302
    assert mailoutbox[-1].to == ["priya@leedsth.nhs.uk"]
    assert "deleted" in mailoutbox[-1].subject
    follow = client.get(reverse("home"))
    assert "Your account has been deleted" in follow.content.decode()


@pytest.mark.parametrize("remove_text", [False, True])
def test_deletion_asks_every_app_to_erase_inside_one_transaction(monkeypatch, remove_text):
    member = make_member(display_name="Priya Shah")
    calls = []

    def erase(user, *, remove_text):
        # The user row is still intact while apps tidy up.
        calls.append((user.display_name, remove_text, User.objects.get(pk=user.pk).display_name))

    forum = types.SimpleNamespace(erase_member_data=erase)
    real = privacy.member_data_modules
    monkeypatch.setattr(privacy, "member_data_modules", lambda: [*real(), ("forum", forum)])
    privacy.delete_account(user=member, remove_text=remove_text)
    assert calls == [("Priya Shah", remove_text, "Priya Shah")]


def test_a_failing_app_leaves_the_account_untouched(monkeypatch):
    member = make_member("priya@example.org", display_name="Priya Shah")

    def erase(user, *, remove_text):
        raise RuntimeError("forum could not erase")

    real = privacy.member_data_modules
    monkeypatch.setattr(
        privacy, "member_data_modules", lambda: [*real(), ("forum", types.SimpleNamespace(erase_member_data=erase))]
    )
    with pytest.raises(RuntimeError):
        privacy.delete_account(user=member, remove_text=False)
    member = User.objects.get(pk=member.pk)
    assert member.display_name == "Priya Shah" and member.is_active
    assert EmailAddress.objects.filter(user=member).exists()


def test_the_admin_history_no_longer_names_a_deleted_member():
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    member = make_member("priya@example.org", display_name="Priya Shah")
    admin = make_member("admin@example.org", display_name="Ad Min", is_staff=True)
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(member.pk),
        object_repr=str(member),
        action_flag=CHANGE,
    )
    privacy.delete_account(user=member, remove_text=False)
    assert list(LogEntry.objects.values_list("object_repr", flat=True)) == ["Former member"]


def test_a_deleted_members_display_name_becomes_free(client):
    member = make_member("priya@example.org", display_name="Priya Shah")
    privacy.delete_account(user=member, remove_text=False)
    newcomer = make_member("new@example.org", display_name="", stakeholder_group="")
    client.force_login(newcomer)
    response = client.post(reverse("accounts:onboarding"), {"display_name": "Priya Shah", "stakeholder_group": "nhs"})
    assert response.status_code == 302
