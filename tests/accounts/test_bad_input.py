"""Bad input gets a clear message on the form, with what was typed kept (never passwords)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.models import StakeholderGroup, User
from tests.accounts.helpers import PASSWORD, confirmation_path, give_mfa, totp_code
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def errors(response) -> list[str]:
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.select_one(".nhsuk-error-summary")
    assert summary is not None, "no error summary"
    return [" ".join(li.get_text().split()) for li in summary.select("li")]


def field_value(response, name: str) -> str | None:
    field = BeautifulSoup(response.content, "html.parser").find(attrs={"name": name})
    if field is None:
        return None
    return field.get_text() if field.name == "textarea" else field.get("value")


def profile_data(**overrides):
    return {
        "display_name": "Priya Shah",
        "stakeholder_group": StakeholderGroup.NHS,
        "organisation_name": "Leeds Teaching Hospitals",
        "job_title": "Head of Planned Care",
        "declared_interests": "None.",
        **overrides,
    }


def signup_data(email: str) -> dict:
    return {"email": email, "password1": PASSWORD, "password2": PASSWORD}


WRONG_LOGIN = "The email address or password is not right. Check them and try again, or reset your password."


@pytest.fixture
def newcomer_client(client, db):
    user = make_member("new@example.org", display_name="", stakeholder_group="")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"display_name": ""}, "Enter a display name."),
        ({"display_name": "A" * 51}, "Display name must be 50 characters or fewer."),
        ({"display_name": "<b>Priya</b>"}, "Display name must not contain the characters < or >."),
        ({"display_name": "Priya\u202eShah"}, "Display name must not contain control or invisible characters."),
        ({"display_name": "Priya\x07Shah"}, "Display name must not contain control or invisible characters."),
        ({"display_name": "Moderator"}, "That display name is kept for the site's own roles."),
        ({"display_name": "site admin"}, "That display name is kept for the site's own roles."),
        ({"display_name": "Former-Member"}, "That display name is kept for the site's own roles."),
        ({"display_name": "42"}, "Display name must include at least 2 letters."),
        ({"stakeholder_group": ""}, "Select the group you speak for."),
        ({"stakeholder_group": "hospital"}, "Select one of the groups listed."),
        ({"organisation_name": "O" * 151}, "Organisation must be 150 characters or fewer."),
        ({"organisation_name": "<script>x</script>"}, "Organisation must not contain the characters < or >."),
        ({"job_title": "J" * 121}, "Job title must be 120 characters or fewer."),
        ({"declared_interests": "D" * 2001}, "Declared interests must be 2,000 characters or fewer."),
        ({"declared_interests": "Shares\x1b[31m"}, "Declared interests must not contain control or invisible"),
    ],
)
def test_profile_form_explains_each_problem_and_keeps_what_was_typed(newcomer_client, overrides, message):
    data = profile_data(**overrides)
    response = newcomer_client.post(reverse("accounts:onboarding"), data)
    assert response.status_code == 400
    assert any(error.startswith(message) for error in errors(response)), errors(response)
    assert BeautifulSoup(response.content, "html.parser").title.get_text().startswith("Error: ")
    for name in ("organisation_name", "job_title"):
        if name not in overrides:
            assert field_value(response, name) == data[name]
    # Nothing was saved.
    assert User.objects.get(email="new@example.org").display_name == ""


def test_error_summary_links_to_the_field_with_the_problem(newcomer_client):
    response = newcomer_client.post(reverse("accounts:onboarding"), profile_data(display_name=""))
    link = BeautifulSoup(response.content, "html.parser").select_one(".nhsuk-error-summary a")
    assert link["href"] == "#id_display_name"
    assert BeautifulSoup(response.content, "html.parser").select_one("#id_display_name-error") is not None


@pytest.mark.parametrize("taken", ["Priya Shah", "PRIYA SHAH", "priya  shah", "Priya-Shah"])
def test_display_names_must_be_told_apart(newcomer_client, taken):
    make_member("priya@example.org", display_name="Priya Shah")
    response = newcomer_client.post(reverse("accounts:onboarding"), profile_data(display_name=taken))
    assert response.status_code == 400
    assert errors(response)[0].startswith("Another member already uses that display name")


def test_names_are_tidied_before_saving(newcomer_client):
    response = newcomer_client.post(
        reverse("accounts:onboarding"),
        profile_data(display_name="  Priya   Shah ", declared_interests="Line one  \r\nLine two\n"),
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert user.display_name == "Priya Shah"
    assert user.declared_interests == "Line one\nLine two"


def test_signup_refuses_weak_and_common_passwords_and_keeps_the_email(client):
    for password, message in [
        ("short", "This password is too short."),
        ("password1234", "This password is too common."),
        ("12345678901234", "This password is entirely numeric."),
    ]:
        response = client.post(
            reverse("account_signup"), {"email": "new@example.org", "password1": password, "password2": password}
        )
        assert response.status_code == 200
        assert any(message in error for error in errors(response)), errors(response)
        assert field_value(response, "email") == "new@example.org"
        assert field_value(response, "password1") is None or field_value(response, "password1") == ""
    assert not User.objects.filter(email="new@example.org").exists()


def test_signup_with_passwords_that_differ_says_so(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": "a-long-pass-phrase-1", "password2": "a-long-pass-phrase-2"},
    )
    assert any("same password" in error for error in errors(response)), errors(response)


def test_signup_with_a_registered_email_looks_the_same_and_tells_the_owner(client, mailoutbox):
    make_member("taken@example.org", display_name="Taken Already")
    taken = client.post(reverse("account_signup"), signup_data("taken@example.org"))
    fresh = client.post(reverse("account_signup"), signup_data("fresh@example.org"))
    # The same answer either way, so nobody can find out who has an account.
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == reverse("account_email_verification_sent")
    to_owner = next(m for m in mailoutbox if m.to == ["taken@example.org"])
    assert "You already have an account" in to_owner.subject
    assert User.objects.filter(email="taken@example.org").count() == 1


def test_signup_refuses_an_invalid_email(client):
    response = client.post(reverse("account_signup"), signup_data("not-an-email"))
    assert any("valid email address" in error for error in errors(response))
    assert field_value(response, "email") == "not-an-email"


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client, mailoutbox):
    make_member("known@example.org", display_name="Known Person")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.org"})
    unknown = client.post(reverse("account_reset_password"), {"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert "Reset your password" in subjects["known@example.org"]
    assert "There is no account" in subjects["unknown@example.org"]


def test_login_by_code_answers_the_same_for_known_and_unknown_addresses(client, mailoutbox):
    make_member("known@example.org", display_name="Known Person")
    known = client.post(reverse("account_request_login_code"), {"email": "known@example.org"})
    other = type(client)()
    unknown = other.post(reverse("account_request_login_code"), {"email": "unknown@example.org"})
    assert known["Location"] == unknown["Location"]
    main_known = BeautifulSoup(client.get(known["Location"]).content, "html.parser").main
    main_unknown = BeautifulSoup(other.get(unknown["Location"]).content, "html.parser").main
    for main in (main_known, main_unknown):
        for token in main.find_all("input", attrs={"name": "csrfmiddlewaretoken"}):
            token.decompose()
    assert str(main_known).replace("known@", "X@") == str(main_unknown).replace("unknown@", "X@")
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert "Your sign-in code" in subjects["known@example.org"]
    assert "There is no account" in subjects["unknown@example.org"]


def test_wrong_password_keeps_the_email_and_never_the_password(client):
    make_member("known@example.org", display_name="Known Person")
    response = client.post(reverse("account_login"), {"login": "known@example.org", "password": "wrong-password-123"})
    assert errors(response) == [WRONG_LOGIN]
    assert field_value(response, "login") == "known@example.org"
    assert "wrong-password-123" not in response.content.decode()


def test_unknown_email_gets_the_same_login_error_as_a_wrong_password(client):
    response = client.post(reverse("account_login"), {"login": "nobody@example.org", "password": "wrong-password-123"})
    assert errors(response) == [WRONG_LOGIN]


def test_repeated_failed_logins_are_rate_limited(client):
    make_member("known@example.org", display_name="Known Person")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "known@example.org", "password": "wrong-password-123"})
    response = client.post(reverse("account_login"), {"login": "known@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert errors(response)[0].startswith("Too many attempts to sign in.")


def test_a_used_verification_link_says_so_clearly(client, mailoutbox):
    client.post(reverse("account_signup"), {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD})
    link = confirmation_path(mailoutbox[0])
    client.post(link)
    again = type(client)().get(link)
    assert again.status_code == 200
    html = again.content.decode()
    assert "Confirmation link not valid" in html
    assert "expired or has already been used" in html


def test_an_expired_or_made_up_verification_link_says_so_clearly(client, settings):
    response = client.get(reverse("account_confirm_email", kwargs={"key": "made-up-key"}))
    assert "Confirmation link not valid" in response.content.decode()
    assert client.post(reverse("account_confirm_email", kwargs={"key": "made-up-key"})).status_code == 404


def test_a_verification_link_past_its_expiry_is_refused(client, mailoutbox, settings):
    client.post(reverse("account_signup"), {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD})
    link = confirmation_path(mailoutbox[0])
    settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = -1
    assert "Confirmation link not valid" in client.get(link).content.decode()


def test_a_wrong_sign_in_code_is_explained_and_the_code_is_kept(client, mailoutbox):
    make_member("known@example.org", display_name="Known Person")
    client.post(reverse("account_request_login_code"), {"email": "known@example.org"})
    response = client.post(reverse("account_confirm_login_code"), {"code": "BBBB-CCCC"})
    assert response.status_code == 200
    assert errors(response) == ["That code is not right. Check the code and try again."]
    assert field_value(response, "code") == "BBBB-CCCC"


def test_a_wrong_totp_code_is_explained_and_kept(client):
    user = make_member("known@example.org", display_name="Known Person")
    secret = give_mfa(user)
    client.post(reverse("account_login"), {"login": "known@example.org", "password": PASSWORD})
    wrong = "123456" if totp_code(secret) != "123456" else "654321"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert errors(response) == ["That code is not right. Enter the 6-digit code your authenticator app shows now."]
    assert field_value(response, "code") == wrong


def test_activating_totp_with_a_wrong_code_is_explained(client):
    from tests.accounts.helpers import reauthenticate

    client.force_login(make_member("known@example.org", display_name="Known Person"))
    reauthenticate(client)
    client.get(reverse("mfa_activate_totp"))
    response = client.post(reverse("mfa_activate_totp"), {"code": "12"})
    assert response.status_code == 200
    assert errors(response)[0].startswith("That code is not right.")


def test_adding_a_duplicate_email_is_explained(client):
    from tests.accounts.helpers import reauthenticate

    client.force_login(make_member("known@example.org", display_name="Known Person"))
    reauthenticate(client)
    response = client.post(reverse("account_email"), {"email": "KNOWN@example.org", "action_add": ""})
    assert errors(response) == ["That email address is already on your account."]
    assert field_value(response, "email").lower() == "known@example.org"


def test_changing_password_with_the_wrong_current_password_is_explained(client):
    client.force_login(make_member("known@example.org", display_name="Known Person"))
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not-it-at-all", "password1": "a-new-long-phrase-9", "password2": "a-new-long-phrase-9"},
    )
    assert errors(response) == ["Your current password is not right. Enter the password you sign in with now."]
