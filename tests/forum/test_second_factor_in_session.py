"""Two-factor authentication is checked as used, not as set up: moderation pages and the admin need
a session that passed the second factor, and switching it on signs the member out everywhere else."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from tests.accounts.helpers import activate_totp, give_mfa, make_moderator, totp_code
from tests.conftest import make_member, password_only_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_with_secret(db):
    moderator = make_member("mod@example.org", display_name="Mod Erate")
    make_moderator(moderator)
    return moderator, give_mfa(moderator)


def password_only(user) -> Client:
    client = Client()
    password_only_login(client, user)
    return client


def test_a_password_only_session_is_asked_for_a_code_before_the_queue(moderator_with_secret):
    moderator, _secret = moderator_with_secret

    response = password_only(moderator).get(reverse("forum:moderation_queue"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_reauthenticate") + "?next=%2Fmoderation%2F"


def test_the_queue_opens_once_the_session_confirms_a_code(moderator_with_secret):
    moderator, secret = moderator_with_secret
    client = password_only(moderator)

    response = client.post(reverse("mfa_reauthenticate") + "?next=%2Fmoderation%2F", {"code": totp_code(secret)})

    assert response.status_code == 302 and response["Location"] == reverse("forum:moderation_queue")
    assert client.get(reverse("forum:moderation_queue")).status_code == 200


def test_a_password_only_session_cannot_act_as_a_moderator(moderator_with_secret, thread):
    moderator, _secret = moderator_with_secret

    response = password_only(moderator).post(reverse("forum:moderation_thread_action", args=[thread.pk, "lock"]),
                                             {"reason": "Gone off topic."})

    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))
    thread.refresh_from_db()
    assert not thread.is_locked


def test_the_admin_needs_a_session_that_passed_the_second_factor(db):
    staff = make_member("staff@example.org", display_name="Sta Ff", is_staff=True, is_superuser=True)
    give_mfa(staff)

    response = password_only(staff).get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("mfa_reauthenticate"))


def test_switching_mfa_on_signs_the_member_out_everywhere_else(db, django_capture_on_commit_callbacks):
    member = make_member("sam@example.org", display_name="Sam Jones")
    elsewhere = Client()
    elsewhere.force_login(member)
    UserSession.objects.create(user=member, ip="10.0.0.2", session_key=elsewhere.session.session_key,
                               user_agent="Another browser")
    here = Client()
    here.force_login(member)

    with django_capture_on_commit_callbacks(execute=True):  # allauth announces it once committed
        activate_totp(here)

    assert elsewhere.get(reverse("accounts:settings")).status_code == 302
    assert here.get(reverse("accounts:settings")).status_code == 200
