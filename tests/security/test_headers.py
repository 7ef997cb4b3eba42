"""Response headers and cookies: CSP with a nonce, browser policies, HSTS and cookie flags."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings as django_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_pages_send_a_strict_content_security_policy(client):
    response = client.get(reverse("home"))
    policy = parse_csp(response["Content-Security-Policy"])

    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["report-uri"] == ["/csp-report/"]
    script_sources = policy["script-src"]
    assert script_sources[0] == "'self'"
    assert len(script_sources) == 2 and re.fullmatch(r"'nonce-[A-Za-z0-9+/=]{20,}'", script_sources[1])
    for sources in policy.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
        assert "*" not in sources
        assert not any(source.startswith(("http:", "https:")) for source in sources)


def test_the_inline_script_carries_the_nonce_named_in_the_header(client):
    response = client.get(reverse("home"))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    soup = BeautifulSoup(response.content, "html.parser")

    inline_scripts = [script for script in soup.find_all("script") if not script.get("src")]
    assert inline_scripts, "base.html has one inline script"
    for script in inline_scripts:
        assert script.get("nonce") == nonce
    for script in soup.find_all("script", src=True):
        assert script["src"].startswith(django_settings.STATIC_URL)


def test_each_response_gets_a_fresh_nonce(client):
    first = client.get(reverse("home"))["Content-Security-Policy"]
    second = client.get(reverse("home"))["Content-Security-Policy"]
    assert re.search(r"'nonce-([^']+)'", first).group(1) != re.search(r"'nonce-([^']+)'", second).group(1)


def test_pages_send_the_browser_policy_headers(client):
    response = client.get(reverse("home"))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == django_settings.PERMISSIONS_POLICY
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_error_pages_get_the_same_headers(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "Permissions-Policy" in response


def test_an_empty_permissions_policy_sends_no_header(client, settings):
    settings.PERMISSIONS_POLICY = ""
    assert "Permissions-Policy" not in client.get(reverse("home"))


def test_hsts_is_sent_over_https_for_a_year_including_subdomains(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(reverse("home"), secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_is_redirected_to_https_without_hsts(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(reverse("home"))

    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in response


def test_health_check_answers_over_plain_http_for_the_load_balancer(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200


def test_session_and_csrf_cookies_are_secure_httponly_and_lax(client, settings, member):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    login_page = client.get(reverse("account_login"), secure=True)
    csrf_cookie = login_page.cookies["csrftoken"]
    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": "a-long-test-password-42"},
        secure=True,
    )

    assert response.status_code == 302
    session_cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session_cookie["secure"] is True
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    assert csrf_cookie["secure"] is True
    assert csrf_cookie["samesite"] == "Lax"


def _production_env(**extra: str) -> dict[str, str]:
    # A clean environment: nothing from the test run (DATABASE_URL, DJANGO_ALLOW_ASYNC_UNSAFE set by
    # the browser tests, local overrides) may leak into what production would see.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(
        {
            "DEBUG": "false",
            "TESTING": "false",
            "SECRET_KEY": "production-like-test-key-" + "x" * 40,
            "ALLOWED_HOSTS": "commonground.example",
            "SITE_URL": "https://commonground.example",
            "EMAIL_URL": "smtp+tls://mailer.example:587",
        }
    )
    env.update(extra)
    return env


def test_production_defaults_turn_every_transport_protection_on():
    script = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k) for k in ['SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE',"
        "'CSRF_COOKIE_SECURE', 'DEBUG', 'SECRET_KEY_FALLBACKS']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=_production_env(SECRET_KEY_FALLBACKS="old-key-one, old-key-two"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "DEBUG": False,
        "SECRET_KEY_FALLBACKS": ["old-key-one", "old-key-two"],
    }


def test_deploy_checks_pass_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
