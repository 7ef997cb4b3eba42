"""Two-factor authentication is required for moderators and staff; the admin is behind it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region, User
from accounts.permissions import has_mfa, mfa_refusal, mfa_required_for, require_mfa
from tests.accounts.helpers import PASSWORD, give_mfa, make_moderator, totp_code
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


@require_mfa
def protected_view(request):
    return HttpResponse("moderation queue")


def call_protected(user, *, second_factor: bool = True):
    """The protected view, for `user` in a session that passed a second factor (or only a password)."""
    request = RequestFactory().get("/moderation/")
    request.user = user
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore

    request.session = SessionStore()
    if second_factor and user.is_authenticated:
        request.session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "at": time.time(), "type": "totp"}]
        request.session["account_authentication_methods_user"] = str(user.pk)
    request._messages = FallbackStorage(request)
    return protected_view(request)


def test_require_mfa_sends_anonymous_visitors_to_sign_in():
    response = call_protected(AnonymousUser())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_require_mfa_refuses_without_mfa_and_links_to_set_it_up():
    moderator = make_member(display_name="Mod Erate")
    make_moderator(moderator)
    response = call_protected(moderator)
    assert response.status_code == 403
    html = response.content.decode()
    assert "Two-factor authentication needed" in html
    assert reverse("mfa_activate_totp") in html


def test_require_mfa_lets_the_view_run_once_mfa_is_on():
    moderator = make_member(display_name="Mod Erate")
    give_mfa(moderator)
    response = call_protected(User.objects.get(pk=moderator.pk))
    assert response.status_code == 200
    assert response.content == b"moderation queue"


def test_a_password_only_session_is_asked_for_a_code_before_the_view_runs():
    moderator = make_member(display_name="Mod Erate")
    give_mfa(moderator)
    response = call_protected(User.objects.get(pk=moderator.pk), second_factor=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_reauthenticate") + "?next=%2Fmoderation%2F"


def test_who_must_use_mfa():
    member = make_member("m@example.org", display_name="Mem Ber")
    moderator = make_member("mod@example.org", display_name="Mod Erate")
    make_moderator(moderator)
    staff = make_member("staff@example.org", display_name="Sta Ff", is_staff=True)
    assert not mfa_required_for(member)
    assert mfa_required_for(moderator)
    assert mfa_required_for(staff)
    assert not mfa_required_for(AnonymousUser())
    assert mfa_refusal(member) is not None
    give_mfa(member)
    assert mfa_refusal(User.objects.get(pk=member.pk)) is None


def test_recovery_codes_alone_do_not_count_as_mfa():
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    member = make_member(display_name="Mem Ber")
    RecoveryCodes.activate(member)
    assert not has_mfa(User.objects.get(pk=member.pk))


def test_account_page_tells_a_moderator_to_set_up_mfa(client):
    moderator = make_member(display_name="Mod Erate")
    make_moderator(moderator)
    client.force_login(moderator)
    assert "Set up two-factor authentication" in client.get(reverse("accounts:settings")).content.decode()
    give_mfa(moderator)
    assert "Set up two-factor authentication" not in client.get(reverse("accounts:settings")).content.decode()


def test_admin_sign_in_goes_through_the_site_sign_in(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_admin_refuses_members_who_are_not_staff(client):
    client.force_login(make_member(display_name="Mem Ber"))
    response = client.get(reverse("admin:login"))
    assert response.status_code == 403


def test_admin_refuses_staff_without_mfa_with_a_link_to_set_it_up(client):
    staff = make_member("admin@example.org", display_name="Ad Ministrator", is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403
    assert reverse("mfa_activate_totp") in response.content.decode()
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 302


def test_staff_with_mfa_sign_in_with_their_code_and_reach_the_admin(client):
    make_member("admin@example.org", display_name="Ad Ministrator", is_staff=True, is_superuser=True)
    staff = User.objects.get(email="admin@example.org")
    secret = give_mfa(staff)
    response = client.post(
        reverse("account_login") + "?next=/admin/", {"login": "admin@example.org", "password": PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.fixture
def admin_client_with_mfa(db):
    staff = make_member("admin@example.org", display_name="Ad Ministrator", is_staff=True, is_superuser=True)
    give_mfa(staff)
    client = Client()
    client.force_login(staff)
    return client


def test_admin_member_list_filters_by_group_verification_mfa_and_last_login(admin_client_with_mfa):
    verified = make_member("v@nhs.net", display_name="Vera Fied", affiliation_verified=True)
    social = make_member("s@example.org", display_name="Soc Care", stakeholder_group="social_care")
    social.last_login = timezone.now() - timedelta(days=60)
    social.save()
    give_mfa(verified)
    url = reverse("admin:accounts_user_changelist")

    def listed(query: str) -> set[str]:
        response = admin_client_with_mfa.get(url + query)
        assert response.status_code == 200
        return {user.email for user in response.context["cl"].result_list}

    assert listed("?stakeholder_group__exact=social_care") == {"s@example.org"}
    assert listed("?affiliation_verified__exact=1") == {"v@nhs.net"}
    assert listed("?mfa=on") == {"v@nhs.net", "admin@example.org"}
    assert "s@example.org" in listed("?mfa=off")
    html = admin_client_with_mfa.get(url).content.decode()
    from bs4 import BeautifulSoup

    past_week = BeautifulSoup(html, "html.parser").find("a", string="Past 7 days")["href"]
    assert "last_login" in past_week
    assert "s@example.org" not in listed(past_week)
    for title in ("stakeholder group", "affiliation verified", "two-factor authentication", "last login"):
        assert f"By {title}" in html


def test_admin_actions_verify_and_revoke_through_the_log(admin_client_with_mfa):
    from accounts.models import AffiliationEvent

    member = make_member("s@example.org", display_name="Soc Care")
    url = reverse("admin:accounts_user_changelist")
    admin_client_with_mfa.post(url, {"action": "verify_affiliation", "_selected_action": [member.pk]})
    member.refresh_from_db()
    assert member.affiliation_verified
    admin_client_with_mfa.post(url, {"action": "revoke_affiliation", "_selected_action": [member.pk]})
    member.refresh_from_db()
    assert not member.affiliation_verified
    kinds = list(AffiliationEvent.objects.filter(member=member).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["verified_moderator", "revoked_moderator"]


def test_admin_pages_for_members_and_the_register_open(admin_client_with_mfa):
    member = make_member("s@example.org", display_name="Soc Care")
    for name, args in [
        ("admin:accounts_user_change", [member.pk]),
        ("admin:accounts_user_add", []),
        ("admin:accounts_organisation_changelist", []),
        ("admin:accounts_organisation_add", []),
        ("admin:accounts_affiliationevent_changelist", []),
    ]:
        assert admin_client_with_mfa.get(reverse(name, args=args)).status_code == 200, name


def test_admin_adds_organisations_with_checked_domains(admin_client_with_mfa):
    from accounts.models import Organisation

    data = {
        "name": "Leeds City Council",
        "organisation_type": "local_authority",
        "stakeholder_group": "local_authority",
        "regions": [Region.objects.get(code="E54000054").pk],
        "region_unmatched": "",
        "notes": "",
        "domains-TOTAL_FORMS": "2",
        "domains-INITIAL_FORMS": "0",
        "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
        "domains-0-domain": " Leeds.GOV.uk ",
        "domains-1-domain": "not a domain",
    }
    url = reverse("admin:accounts_organisation_add")
    response = admin_client_with_mfa.post(url, data)
    assert response.status_code == 200
    assert "Enter a domain such as nhs.net" in response.content.decode()
    data["domains-1-domain"] = ""
    response = admin_client_with_mfa.post(url, data)
    assert response.status_code == 302
    assert list(Organisation.objects.get(name="Leeds City Council").domains.values_list("domain", flat=True)) == [
        "leeds.gov.uk"
    ]
    assert [r.short_name for r in Organisation.objects.get(name="Leeds City Council").regions.all()] == [
        "West Yorkshire"
    ]


def test_the_admin_lists_regions_and_finds_organisations_whose_region_was_not_matched(admin_client_with_mfa):
    from accounts.models import Organisation

    Organisation.objects.create(name="Yorkshire Carers", organisation_type="vcse", region_unmatched="Yorkshire")
    Organisation.objects.create(name="Devon Carers", organisation_type="vcse")
    response = admin_client_with_mfa.get(reverse("admin:accounts_region_changelist") + "?in_force=yes&q=devon")
    assert response.status_code == 200 and "E54000037" in response.content.decode()
    response = admin_client_with_mfa.get(reverse("admin:accounts_organisation_changelist") + "?region_unmatched=yes")
    page = response.content.decode()
    assert "Yorkshire Carers" in page and "Devon Carers" not in page


def test_the_first_superuser_confirms_their_address_then_sets_up_mfa_for_the_admin(client, mailoutbox):
    from django.core.management import call_command

    from tests.accounts.helpers import activate_totp, confirmation_path

    call_command("createsuperuser", interactive=False, email="Lead@Example.org", verbosity=0)
    superuser = User.objects.get(email="lead@example.org")
    superuser.set_password(PASSWORD)
    superuser.save()
    # createsuperuser records no confirmed address, so the first sign-in sends a link.
    response = client.post(reverse("account_login"), {"login": "lead@example.org", "password": PASSWORD})
    assert response["Location"] == reverse("account_email_verification_sent")
    response = client.post(confirmation_path(mailoutbox[-1]))
    assert response["Location"] == reverse("accounts:onboarding")
    assert client.get(reverse("admin:index"), follow=True).status_code == 403
    secret = activate_totp(client)
    # Switching it on is not passing it: this session signed in with the password alone.
    asked = client.get(reverse("admin:index"), follow=True)
    assert asked.redirect_chain[-1][0].startswith(reverse("mfa_reauthenticate"))
    client.post(reverse("mfa_reauthenticate"), {"code": totp_code(secret)})
    assert client.get(reverse("admin:index")).status_code == 200
