"""When the database cannot be reached, people see the styled 503 page, never a traceback."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.utils import InterfaceError, OperationalError, ProgrammingError
from django.test import RequestFactory
from django.urls import reverse

from config.views import server_error

pytestmark = pytest.mark.django_db

CONNECTION_ERROR = 'connection to server at "db.internal" (10.0.0.5), port 5432 failed: Connection refused'


def break_the_database(monkeypatch, error_class):
    def refuse(*args, **kwargs):
        raise error_class(CONNECTION_ERROR)

    monkeypatch.setattr(connection, "cursor", refuse)


def assert_styled_503(response):
    assert response.status_code == 503
    html = response.content.decode()
    assert "Sorry, the service is unavailable" in html
    assert '<html lang="en-GB">' in html
    assert "Traceback" not in html
    assert "db.internal" not in html and "Connection refused" not in html
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("error_class", [OperationalError, InterfaceError])
def test_a_page_needing_the_database_shows_the_503_page(client, monkeypatch, caplog, error_class):
    break_the_database(monkeypatch, error_class)

    response = client.get(reverse("home"))

    assert_styled_503(response)
    [line] = [r.getMessage() for r in caplog.records if r.name == "config.database"]
    assert f"event=database.unavailable error={error_class.__name__}" in line
    assert not any(r.exc_info for r in caplog.records if r.name == "config.database")


def test_a_signed_in_member_also_gets_the_503_page(member_client, monkeypatch):
    """Loading the member fails inside middleware (allauth's session tracking), before any view:
    the error reaches handler500, which answers with the same 503 page."""
    break_the_database(monkeypatch, OperationalError)
    member_client.raise_request_exception = False  # the test client would re-raise handled errors
    response = member_client.get(reverse("articles:list"))
    assert_styled_503(response)


def test_the_503_page_keeps_the_security_headers(client, monkeypatch):
    break_the_database(monkeypatch, OperationalError)
    response = client.get(reverse("home"))
    assert response.status_code == 503
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_database_error_raised_outside_a_view_also_gets_the_503_page():
    """Errors in middleware (loading the session or user) reach handler500, not process_exception."""
    request = RequestFactory().get("/")
    try:
        raise OperationalError(CONNECTION_ERROR)
    except OperationalError:
        response = server_error(request)
    assert_styled_503(response)


def test_other_database_errors_stay_server_errors(client, monkeypatch):
    """A bad query is a bug, not an outage: it must not hide behind 'try again later'."""
    break_the_database(monkeypatch, ProgrammingError)
    client.raise_request_exception = False

    response = client.get(reverse("home"))

    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
