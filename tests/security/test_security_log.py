"""The `security` logger: one key=value line per event, ids instead of addresses, no secrets."""

from __future__ import annotations

import logging

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.signals import password_reset
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import include, path, reverse

from accounts.models import User
from config.security import format_event, log_security_event
from config.views import permission_denied
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"
REFUSAL = "Only moderators can hide comments in this theme."


def refuse(request):
    raise PermissionDenied(REFUSAL)


urlpatterns = [path("refuse/", refuse), path("", include("config.urls"))]
handler403 = "config.views.permission_denied"


def security_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "security"]


def events(caplog, name: str) -> list[str]:
    return [line for line in security_lines(caplog) if line.startswith(f"event={name} ")]


def assert_no_secrets(caplog, *secrets: str):
    for line in security_lines(caplog):
        assert "\n" not in line
        for secret in secrets:
            assert secret.lower() not in line.lower(), f"{secret!r} leaked into {line!r}"


def test_signing_in_logs_the_user_id_and_address_not_the_email(client, member, caplog):
    caplog.set_level(logging.INFO, logger="security")
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    assert response.status_code == 302
    [line] = events(caplog, "auth.login")
    assert f"user_id={member.pk} " in line
    assert "ip=127.0.0.1" in line
    assert "path=/accounts/login/" in line
    assert_no_secrets(caplog, member.email, PASSWORD)


def test_a_failed_sign_in_logs_a_warning_naming_the_targeted_account_by_id(client, member, caplog):
    client.post(reverse("account_login"), {"login": member.email, "password": "wrong-password-guess-1"})

    [record] = [r for r in caplog.records if r.getMessage().startswith("event=auth.login_failed ")]
    assert record.levelname == "WARNING"
    line = record.getMessage()
    assert "user_id=- " in line
    assert f"target_user_id={member.pk}" in line
    assert_no_secrets(caplog, member.email, "wrong-password-guess-1")


def test_a_failed_sign_in_for_an_unknown_address_names_no_account(client, db, caplog):
    client.post(reverse("account_login"), {"login": "nobody@example.org", "password": "wrong-password-guess-1"})
    [line] = events(caplog, "auth.login_failed")
    assert "target_user_id=-" in line
    assert_no_secrets(caplog, "nobody@example.org", "wrong-password-guess-1")


def test_signing_out_is_logged(member_client, member, caplog):
    caplog.set_level(logging.INFO, logger="security")
    member_client.post(reverse("account_logout"))
    [line] = events(caplog, "auth.logout")
    assert f"user_id={member.pk} " in line


def test_changing_the_password_is_logged(member_client, member, caplog):
    caplog.set_level(logging.INFO, logger="security")
    new_password = "another-long-password-77"
    response = member_client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    [line] = events(caplog, "password.changed")
    assert f"user_id={member.pk} " in line
    assert_no_secrets(caplog, member.email, PASSWORD, new_password)


def test_a_password_reset_is_logged(member, caplog):
    caplog.set_level(logging.INFO, logger="security")
    request = RequestFactory().post("/accounts/password/reset/key/done/")
    request.user = member
    password_reset.send(sender=User, request=request, user=member)
    [line] = events(caplog, "password.reset")
    assert f"user_id={member.pk} " in line


def test_confirming_an_email_address_logs_the_address_id_not_the_address(client, unverified_member, caplog):
    caplog.set_level(logging.INFO, logger="security")
    address = EmailAddress.objects.get(user=unverified_member)
    key = EmailConfirmationHMAC(address).key

    client.post(reverse("account_confirm_email", args=[key]))

    address.refresh_from_db()
    assert address.verified
    [line] = events(caplog, "email.confirmed")
    assert f"user_id={unverified_member.pk} " in line
    assert f"email_address_id={address.pk}" in line
    assert_no_secrets(caplog, unverified_member.email, key)


def test_turning_mfa_on_and_off_is_logged(member, caplog):
    caplog.set_level(logging.INFO, logger="security")
    request = RequestFactory().post("/accounts/2fa/totp/activate/")
    request.user = member
    authenticator = Authenticator.objects.create(
        user=member, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )

    authenticator_added.send(sender=Authenticator, request=request, user=member, authenticator=authenticator)
    authenticator_removed.send(sender=Authenticator, request=request, user=member, authenticator=authenticator)

    [activated] = events(caplog, "mfa.activated")
    [deactivated] = events(caplog, "mfa.deactivated")
    for line in (activated, deactivated):
        assert f"user_id={member.pk} " in line
        assert "authenticator=totp" in line
    assert_no_secrets(caplog, "JBSWY3DPEHPK3PXP", member.email)


@pytest.mark.urls("tests.security.test_security_log")
def test_a_refusal_logs_the_path_and_user_id_but_not_the_reason(member_client, member, caplog):
    response = member_client.get("/refuse/?next=/somewhere")

    assert response.status_code == 403
    assert REFUSAL in response.content.decode()
    [record] = [r for r in caplog.records if r.getMessage().startswith("event=permission.denied ")]
    assert record.levelname == "WARNING"
    line = record.getMessage()
    assert f"user_id={member.pk} " in line
    assert "path=/refuse/" in line
    assert "method=GET" in line
    assert REFUSAL not in line
    assert "next=" not in line


def test_the_403_handler_logs_anonymous_refusals_too(db, caplog):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/themes/1/close/")
    request.user = AnonymousUser()
    permission_denied(request, PermissionDenied(REFUSAL))
    [line] = events(caplog, "permission.denied")
    assert "user_id=- " in line
    assert "path=/themes/1/close/" in line


def test_a_csrf_failure_is_logged(db, caplog):
    from django.test import Client

    member = make_member("csrf@example.org")
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    caplog.clear()

    response = client.post(reverse("account_logout"))

    assert response.status_code == 403
    [line] = events(caplog, "csrf.failed")
    assert f"user_id={member.pk} " in line
    assert "reason=" in line


def test_values_are_quoted_so_one_event_stays_one_line():
    line = format_event("permission.denied", path='/a b/\n"event=auth.login user_id=1"', user_id=7, ok=True, empty="")
    assert "\n" not in line
    assert line.startswith("event=permission.denied path=\"/a b/\\n\\\"event=auth.login")
    assert line.endswith("user_id=7 ok=true empty=-")


def test_long_values_are_cut_short():
    line = format_event("csp.violation", blocked_uri="https://example.org/" + "a" * 1000)
    assert len(line) < 300


def test_event_names_must_be_plain_dotted_words():
    with pytest.raises(ValueError):
        format_event("auth login")
    with pytest.raises(ValueError):
        log_security_event("Auth.Login\nforged")


def test_reset_and_confirmation_keys_in_the_path_are_redacted():
    from django.urls import resolve

    from config.security import safe_path

    for url in ("/accounts/password/reset/key/1a-set-password-abc123/", "/accounts/confirm-email/MQ:1xVTMS:abc/"):
        request = RequestFactory().get(url + "?next=/x")
        request.resolver_match = resolve(url)
        assert "REDACTED" in safe_path(request)
        assert "abc" not in safe_path(request)
        assert "next" not in safe_path(request)
