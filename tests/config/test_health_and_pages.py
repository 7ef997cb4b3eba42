import subprocess
import sys

import pytest
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "local"}


def test_healthz_reports_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["status"] == "unavailable"


def test_healthz_rejects_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.parametrize("name", ["home", "about", "privacy", "accessibility", "contact"])
def test_static_pages_render_with_landmarks_and_language(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en-GB"' in html
    assert 'href="#maincontent"' in html
    assert '<main class="nhsuk-main-wrapper" id="maincontent">' in html
    assert 'role="banner"' in html and 'role="contentinfo"' in html


def test_unknown_page_shows_the_styled_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_500_page_renders_without_the_database(client, settings):
    from config.views import server_error

    response = server_error(None)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_no_page_loads_a_file_from_another_host(client):
    html = client.get(reverse("home")).content.decode()
    for marker in ('src="http', "src='http", 'href="https://assets', "fonts.googleapis"):
        assert marker not in html


SETUP_DJANGO = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup()"


def _run_settings(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SETUP_DJANGO],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update({"DEBUG": "false", "TESTING": "false", "ALLOWED_HOSTS": "example.org"})
    result = _run_settings(env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_start_with_a_secret_key():
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG"}}
    env.update({"DEBUG": "false", "TESTING": "false", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org"})
    result = _run_settings(env)
    assert result.returncode == 0, result.stderr


def test_bare_manage_py_on_a_checkout_uses_development_settings_and_says_so():
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "TESTING", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, str(root / "manage.py"), "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "using development settings" in result.stderr


def test_the_wsgi_application_refuses_to_start_without_secret_key():
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "TESTING"}}
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
