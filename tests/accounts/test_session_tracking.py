from datetime import datetime, timedelta

import pytest
from allauth.usersessions.models import UserSession
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SEEN_AT_KEY
from accounts.templatetags.session_tags import last_active

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


def test_last_active_shows_on_the_sessions_page_in_words(member):
    elsewhere, client = Client(HTTP_USER_AGENT="Firefox on the office PC"), Client(HTTP_USER_AGENT="Safari on my phone")
    for browser in (elsewhere, client):
        browser.post("/accounts/login/", {"login": member.email, "password": "a-long-test-password-42"})
    three_hours_ago = timezone.now() - timedelta(hours=3, minutes=10)
    UserSession.objects.filter(user_agent__startswith="Firefox").update(last_seen_at=three_hours_ago)

    page = BeautifulSoup(client.get(reverse("usersessions_list")).content, "html.parser")
    table = page.find("table", class_="nhsuk-table")
    headers = [th.get_text(strip=True) for th in table.find_all("th", scope="col")]
    assert "Last active" in headers
    column = headers.index("Last active")
    rows = {row.find_all("td")[0].get_text(strip=True): row.find_all("td")[column]
            for row in table.find("tbody").find_all("tr")}
    assert rows["Safari on my phone"].get_text(strip=True) == "Now"
    other = rows["Firefox on the office PC"]
    assert other.get_text(strip=True) == "3\xa0hours ago"
    assert datetime.fromisoformat(other.find("time")["datetime"]) == three_hours_ago.replace(microsecond=0)


def test_last_active_is_only_as_precise_as_the_middleware_records_it():
    now = timezone.now()
    assert last_active(now - timedelta(minutes=4), now) == "In the last 5 minutes"
    assert last_active(now - timedelta(minutes=5), now) == "5\xa0minutes ago"
    assert last_active(now - timedelta(days=2, hours=5), now) == "2\xa0days ago"
    assert last_active(None, now) == "Not known"
