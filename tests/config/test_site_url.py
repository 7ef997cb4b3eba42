"""Links in emails, feeds, notices and downloads point at the server that made them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.forum.conftest import make_theme

ROOT = Path(__file__).resolve().parents[2]


def site_url_with(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true", **env},
        capture_output=True, text=True, check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8011"}, "http://127.0.0.1:8011"),
        ({"HOST": "0.0.0.0", "PORT": "8012"}, "http://127.0.0.1:8012"),  # noqa: S104 - the host gunicorn binds
        ({"HOST": "localhost", "PORT": "8013", "SITE_URL": "https://forum.example.org/"}, "https://forum.example.org"),
    ],
)
def test_site_url_follows_host_and_port_unless_it_is_set(env, expected):
    assert site_url_with(**env) == expected


def test_make_run_passes_its_port_to_the_server_and_the_migration_that_names_the_site():
    dry_run = subprocess.run(
        ["make", "-n", "-W", "requirements.txt", "run", "PORT=8012"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert "PORT=8012" in dry_run and "runserver 127.0.0.1:8012" in dry_run
    assert "PORT=8012 .venv/bin/python manage.py migrate" in dry_run


@pytest.mark.django_db
def test_after_migrate_feeds_link_to_the_site_url_and_its_port(client, settings):
    theme = make_theme()
    settings.SITE_URL = "http://127.0.0.1:8012"
    call_command("migrate", verbosity=0)  # as `make run` does before serving
    feed = client.get(reverse("forum:theme_feed", args=[theme.slug])).content.decode()
    assert "http://127.0.0.1:8012/" in feed and "127.0.0.1:8000" not in feed
