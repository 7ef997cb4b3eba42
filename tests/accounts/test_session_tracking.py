from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.utils import timezone

from accounts.middleware import SEEN_AT_KEY

pytestmark = pytest.mark.django_db


def test_signing_in_records_the_session(client, member):
    response = client.post("/accounts/login/", {"login": member.email, "password": "a-long-test-password-42"})
    assert response.status_code == 302
    assert UserSession.objects.filter(user=member).count() == 1


def test_activity_is_refreshed_only_after_the_interval(client, member):
    client.post("/accounts/login/", {"login": member.email, "password": "a-long-test-password-42"})
    record = UserSession.objects.get(user=member)
    old = timezone.now() - timedelta(hours=1)
    UserSession.objects.filter(pk=record.pk).update(last_seen_at=old)

    # The first request after sign-in refreshes the record and notes when.
    client.get("/")
    record.refresh_from_db()
    assert record.last_seen_at > old

    # Further requests inside the interval leave it alone: no write per request.
    UserSession.objects.filter(pk=record.pk).update(last_seen_at=old)
    client.get("/")
    record.refresh_from_db()
    assert record.last_seen_at == old

    # Once the interval has passed, the next request refreshes it again.
    session = client.session
    session[SEEN_AT_KEY] = 0
    session.save()
    client.get("/")
    record.refresh_from_db()
    assert record.last_seen_at > old


def test_signed_in_page_skips_session_tracking_within_the_interval(client, member, django_assert_max_num_queries):
    client.post("/accounts/login/", {"login": member.email, "password": "a-long-test-password-42"})
    client.get("/about/")  # first request refreshes the record
    with django_assert_max_num_queries(2):  # the user row, and nothing for session tracking
        client.get("/about/")
