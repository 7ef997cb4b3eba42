"""Single sign-on rules (accounts.sso, accounts.adapter.SocialAccountAdapter) and the OIDC_PROVIDERS
parser, without a network: allauth's SocialLogin objects are built from claims as a provider's
callback would build them. The browser test against a real provider is tests/browser/test_sso.py."""

from __future__ import annotations

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from accounts.affiliation import refresh_affiliation
from accounts.models import Organisation
from accounts.permissions import passed_second_factor_with_sso
from accounts.sso import SECOND_FACTOR_SESSION_KEY, asserts_mfa, decide, identity_claims
from config.settings import oidc_apps
from tests.accounts.helpers import reauthenticate
from tests.conftest import make_member
from tests.forum.moderation_support import make_moderator

TENANT = "11111111-2222-3333-4444-555555555555"
ENTRA = {"allowed_tenants": [TENANT], "allowed_domains": []}
GENERIC = {"allowed_tenants": [], "allowed_domains": ["nhs.net", "*.nhs.uk"]}


def provider_json(**overrides) -> dict:
    return {
        "id": "nhsmail",
        "name": "NHSmail",
        "server_url": "https://login.microsoftonline.com/" + TENANT + "/v2.0",
        "client_id": "client",
        "secret": "secret",
        "allowed_tenants": [TENANT],
        **overrides,
    }


# The settings parser --------------------------------------------------------------------------


def test_no_providers_when_the_variable_is_empty():
    assert oidc_apps("OIDC_PROVIDERS", "") == []
    assert oidc_apps("OIDC_PROVIDERS", "  ") == []


def test_a_provider_becomes_an_allauth_app():
    [app] = oidc_apps("OIDC_PROVIDERS", json.dumps([provider_json(allowed_domains=["NHS.net"])]))
    assert app["provider_id"] == "nhsmail"
    assert app["name"] == "NHSmail"
    assert app["client_id"] == "client"
    assert app["settings"]["server_url"].endswith("/v2.0")
    assert app["settings"]["allowed_tenants"] == [TENANT]
    assert app["settings"]["allowed_domains"] == ["nhs.net"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"id": "x"}), "JSON list"),
        (json.dumps(["x"]), "JSON object"),
        (json.dumps([{k: v for k, v in provider_json().items() if k != "secret"}]), "needs secret"),
        (json.dumps([provider_json(colour="blue")]), "unknown keys: colour"),
        (json.dumps([provider_json(allowed_tenants=[])]), "allowed_tenants or allowed_domains"),
        (json.dumps([provider_json(allowed_tenants="all")]), "list of strings"),
        (json.dumps([provider_json(id="NHS mail")]), "id must be unique"),
        (json.dumps([provider_json(), provider_json()]), "id must be unique"),
        (json.dumps([provider_json(server_url="http://idp.example.org")]), "https://"),
        (json.dumps([provider_json(client_id="")]), "client_id must be a non-empty string"),
    ],
)
def test_a_mistake_in_the_providers_stops_the_app(raw, says):
    with pytest.raises(ImproperlyConfigured, match=says):
        oidc_apps("OIDC_PROVIDERS", raw)


# The rules ------------------------------------------------------------------------------------


def test_an_allowed_tenant_confirms_the_address_without_email_verified():
    assert decide(ENTRA, {"tid": TENANT}, "priya@nhs.net").allowed


def test_another_tenant_is_refused_whatever_its_email_claim_says():
    decision = decide(ENTRA, {"tid": "evil-tenant", "email_verified": True}, "priya@nhs.net")
    assert not decision.allowed
    assert "not one this site accepts" in decision.reason


def test_a_missing_tenant_is_refused():
    assert not decide(ENTRA, {"email_verified": True}, "priya@nhs.net").allowed


def test_without_tenants_the_provider_must_have_checked_the_address():
    assert decide(GENERIC, {"email_verified": True}, "priya@nhs.net").allowed
    assert not decide(GENERIC, {}, "priya@nhs.net").allowed
    assert not decide(GENERIC, {"email_verified": "true"}, "priya@nhs.net").allowed


def test_the_address_must_be_at_an_allowed_domain():
    assert decide(GENERIC, {"email_verified": True}, "sam@leeds.nhs.uk").allowed
    assert not decide(GENERIC, {"email_verified": True}, "sam@gmail.com").allowed
    assert not decide(GENERIC, {"email_verified": True}, "sam@nhs.net.evil.com").allowed


def test_tenant_and_domain_rules_both_apply():
    both = {"allowed_tenants": [TENANT], "allowed_domains": ["nhs.net"]}
    assert decide(both, {"tid": TENANT}, "a@nhs.net").allowed
    assert not decide(both, {"tid": TENANT}, "a@example.org").allowed


def test_no_address_is_refused():
    assert not decide(ENTRA, {"tid": TENANT}, None).allowed


def test_the_signed_id_token_wins_over_userinfo():
    claims = identity_claims({"userinfo": {"tid": "evil", "email": "a@nhs.net"}, "id_token": {"tid": TENANT}})
    assert claims["tid"] == TENANT
    assert claims["email"] == "a@nhs.net"


def test_a_second_factor_counts_only_from_an_allowed_tenant():
    assert asserts_mfa(ENTRA, {"tid": TENANT, "amr": ["pwd", "mfa"]})
    assert not asserts_mfa(ENTRA, {"tid": TENANT, "amr": ["pwd"]})
    assert not asserts_mfa(ENTRA, {"tid": "other", "amr": ["mfa"]})
    assert not asserts_mfa(GENERIC, {"email_verified": True, "amr": ["mfa"]})


# The adapter, with allauth's SocialLogin ------------------------------------------------------

PROVIDERS = {
    "openid_connect": {
        "APPS": [
            {
                "provider_id": "nhsmail",
                "name": "NHSmail",
                "client_id": "client",
                "secret": "secret",
                "settings": {"server_url": "https://idp.example.org", **ENTRA},
            }
        ]
    }
}


@pytest.fixture
def sso(settings):
    settings.SOCIALACCOUNT_PROVIDERS = PROVIDERS


def make_request(user=None):
    request = RequestFactory().get("/accounts/oidc/nhsmail/login/callback/")
    SessionMiddleware(lambda r: None).process_request(request)
    if user is not None:
        request.user = user
    return request


def social_login(request, *, tid=TENANT, email="priya@nhs.net", process="login", sub="sub-1"):
    provider = get_adapter().get_provider(request, "nhsmail")
    claims = {"sub": sub, "tid": tid, "email": email, "name": "Priya Shah"}
    login = provider.sociallogin_from_response(request, {"id_token": claims})
    login.state = {"process": process}
    return login


@pytest.mark.django_db
def test_an_allowed_tenant_gives_a_confirmed_address(sso):
    request = make_request()
    login = social_login(request)
    assert not login.email_addresses[0].verified  # Entra sends no email_verified
    get_adapter().pre_social_login(request, login)
    [address] = login.email_addresses
    assert (address.email, address.verified, address.primary) == ("priya@nhs.net", True, True)


@pytest.mark.django_db
def test_the_display_name_is_not_taken_from_the_provider(sso):
    request = make_request()
    login = social_login(request)
    get_adapter().pre_social_login(request, login)
    assert login.user.display_name == ""
    assert login.user.email == "priya@nhs.net"


@pytest.mark.django_db
def test_a_disallowed_tenant_gets_a_page_and_no_account(sso):
    request = make_request()
    login = social_login(request, tid="attacker-tenant")
    with pytest.raises(ImmediateHttpResponse) as refused:
        get_adapter().pre_social_login(request, login)
    assert refused.value.response.status_code == 403
    assert b"not one this site accepts" in refused.value.response.content
    assert not SocialAccount.objects.exists()


@pytest.mark.django_db
def test_a_matching_address_does_not_take_over_an_existing_account(sso):
    make_member("priya@nhs.net", display_name="Priya Shah")
    request = make_request()
    login = social_login(request)
    with pytest.raises(ImmediateHttpResponse) as refused:
        get_adapter().pre_social_login(request, login)
    assert b"Sign in to it" in refused.value.response.content
    assert login.user.pk is None


@pytest.mark.django_db
def test_the_address_match_ignores_case(sso):
    make_member("Priya@NHS.net", display_name="Priya Shah")
    request = make_request()
    with pytest.raises(ImmediateHttpResponse):
        get_adapter().pre_social_login(request, social_login(request, email="priya@nhs.net"))


@pytest.mark.django_db
def test_a_signed_in_member_may_connect_the_provider(sso):
    member = make_member("priya@nhs.net", display_name="Priya Shah")
    request = make_request(member)
    login = social_login(request, process="connect")
    get_adapter().pre_social_login(request, login)  # no refusal


@pytest.mark.django_db
def test_connecting_from_a_disallowed_tenant_is_refused(sso):
    member = make_member("priya@nhs.net", display_name="Priya Shah")
    request = make_request(member)
    with pytest.raises(ImmediateHttpResponse):
        get_adapter().pre_social_login(request, social_login(request, tid="other", process="connect"))


def test_allauths_verified_email_setting_is_never_believed():
    assert get_adapter().is_email_verified(None, "priya@nhs.net") is False


# The pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_sign_in_button_without_providers(client):
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign in with your organisation" not in page


@pytest.mark.django_db
def test_a_sign_in_button_per_provider_that_posts(client, sso):
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign in with NHSmail" in page
    assert 'method="post" action="/accounts/oidc/nhsmail/login/?process=login"' in page


@pytest.mark.django_db
def test_starting_a_sign_in_by_get_does_not_leave_the_site(client, sso):
    response = client.get("/accounts/oidc/nhsmail/login/?process=login")
    assert response.status_code == 200  # a "Continue" page, not a redirect to the provider
    assert "<h1>Sign in with NHSmail</h1>" in response.content.decode()


@pytest.mark.django_db
def test_the_connections_page_offers_to_connect(client, sso):
    member = make_member("priya@nhs.net", display_name="Priya Shah")
    client.force_login(member)
    page = client.get(reverse("socialaccount_connections")).content.decode()
    assert "No organisation sign-in is connected" in page
    assert "Connect NHSmail" in page
    assert "Signing in with your organisation" in client.get(reverse("accounts:settings")).content.decode()


@pytest.mark.django_db
def test_the_last_way_in_cannot_be_disconnected(client, sso):
    member = make_member("priya@nhs.net", display_name="Priya Shah")
    member.set_unusable_password()
    member.save()
    account = SocialAccount.objects.create(user=member, provider="nhsmail", uid="sub-1", extra_data={})
    client.force_login(member)
    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert "it is your only way in. Set a password first" in response.content.decode()
    assert SocialAccount.objects.filter(pk=account.pk).exists()


@pytest.mark.django_db
def test_a_member_with_a_password_can_disconnect(client, sso):
    member = make_member("priya@nhs.net", display_name="Priya Shah")
    account = SocialAccount.objects.create(user=member, provider="nhsmail", uid="sub-1", extra_data={})
    assert EmailAddress.objects.filter(user=member, verified=True).exists()
    client.force_login(member)
    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert response.url.startswith(reverse("account_reauthenticate"))  # allauth asks for the password first
    reauthenticate(client)
    client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert not SocialAccount.objects.filter(pk=account.pk).exists()


@pytest.mark.django_db
def test_the_cancelled_page_says_nothing_changed(client):
    page = client.get(reverse("socialaccount_login_cancelled")).content.decode()
    assert "<h1>Sign-in cancelled</h1>" in page


# A second factor vouched for by the organisation's sign-in ------------------------------------


def social_login_with_amr(request, amr, *, tid=TENANT, email="priya@nhs.net"):
    login = social_login(request, tid=tid, email=email)
    login.account.extra_data["id_token"]["amr"] = amr
    return login


@pytest.mark.django_db
def test_an_allowed_tenants_mfa_counts_as_this_sessions_second_factor(sso):
    request = make_request()
    get_adapter().pre_social_login(request, social_login_with_amr(request, ["pwd", "mfa"]))

    assert passed_second_factor_with_sso(request)


@pytest.mark.django_db
def test_a_sign_in_without_mfa_in_amr_does_not(sso):
    request = make_request()
    get_adapter().pre_social_login(request, social_login_with_amr(request, ["pwd"]))

    assert not passed_second_factor_with_sso(request)


@pytest.mark.django_db
def test_a_refused_sign_in_vouches_for_nothing(sso):
    make_member("priya@nhs.net", display_name="Priya Shah")  # the address is taken: refused
    request = make_request()

    with pytest.raises(ImmediateHttpResponse):
        get_adapter().pre_social_login(request, social_login_with_amr(request, ["mfa"]))

    assert not passed_second_factor_with_sso(request)


@pytest.mark.django_db
def test_connecting_a_provider_vouches_for_nothing(sso):
    member = make_member("priya@nhs.net", display_name="Priya Shah")
    request = make_request(member)
    login = social_login_with_amr(request, ["mfa"])
    login.state = {"process": "connect"}

    get_adapter().pre_social_login(request, login)

    assert not passed_second_factor_with_sso(request)


@pytest.mark.django_db
def test_a_moderator_whose_tenant_vouched_reaches_the_queue_without_a_code(client, sso):
    moderator = make_moderator("mod@nhs.net", display_name="Dana Moderator", mfa=False)
    client.force_login(moderator)
    assert client.get(reverse("forum:moderation_queue")).status_code == 403  # no second factor yet

    session = client.session
    session[SECOND_FACTOR_SESSION_KEY] = True
    session.save()

    assert client.get(reverse("forum:moderation_queue")).status_code == 200


# A provider bound to an organisation in the register ---------------------------------------------

BOUND = {"openid_connect": {"APPS": [{**PROVIDERS["openid_connect"]["APPS"][0], "settings": {
    **PROVIDERS["openid_connect"]["APPS"][0]["settings"], "organisation": "Example NHS Trust"}}]}}


def test_a_provider_may_name_the_organisation_its_sign_ins_verify():
    [app] = oidc_apps("OIDC_PROVIDERS", json.dumps([provider_json(organisation="Example NHS Trust")]))

    assert app["settings"]["organisation"] == "Example NHS Trust"


@pytest.mark.django_db
@pytest.mark.parametrize("org_group, verifies_group", [("", False), ("nhs", True)])
def test_a_connected_bound_provider_verifies_the_organisation_and_the_group_only_by_its_rule(
    settings, org_group, verifies_group
):
    settings.SOCIALACCOUNT_PROVIDERS = BOUND
    trust = Organisation.objects.create(name="Example NHS Trust", organisation_type="nhs_trust",
                                        stakeholder_group=org_group)
    member = make_member("kim@gmail.example", display_name="Kim Clinician", stakeholder_group="nhs")

    SocialAccount.objects.create(user=member, provider="nhsmail", uid="sub-9")
    refresh_affiliation(member)

    member.refresh_from_db()
    assert member.affiliation_organisation == trust
    assert member.affiliation_verified is verifies_group


@pytest.mark.django_db
def test_disconnecting_the_bound_provider_takes_the_organisation_away(settings):
    settings.SOCIALACCOUNT_PROVIDERS = BOUND
    Organisation.objects.create(name="Example NHS Trust", organisation_type="nhs_trust")
    member = make_member("kim@gmail.example", display_name="Kim Clinician", stakeholder_group="nhs")
    account = SocialAccount.objects.create(user=member, provider="nhsmail", uid="sub-9")
    refresh_affiliation(member)

    account.delete()
    refresh_affiliation(member)

    member.refresh_from_db()
    assert member.affiliation_organisation is None
