"""Production static files: collectstatic with hashed names, served by WhiteNoise with long caching."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

ONE_YEAR = 31536000


def max_age(cache_control: str) -> int:
    return int(re.search(r"max-age=(\d+)", cache_control).group(1))


def test_whitenoise_serves_hashed_files_for_a_year_and_plain_names_briefly(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--no-input", verbosity=0)
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()

    # A new client builds a new handler, so WhiteNoise indexes the freshly collected STATIC_ROOT.
    client = Client()
    home = client.get("/").content.decode()
    css_url = re.search(r'href="(/static/build/main\.[0-9a-f]{12}\.css)"', home)
    assert css_url, "pages link the hashed stylesheet name from the manifest"

    hashed = client.get(css_url.group(1))
    assert hashed.status_code == 200
    assert "immutable" in hashed["Cache-Control"]
    assert max_age(hashed["Cache-Control"]) >= ONE_YEAR
    assert hashed["Content-Type"].startswith("text/css")
    assert b"".join(hashed.streaming_content)
    hashed.close()

    compressed = client.get(css_url.group(1), HTTP_ACCEPT_ENCODING="gzip, br")
    assert compressed["Content-Encoding"] in {"gzip", "br"}
    assert compressed["Vary"] == "Accept-Encoding"
    compressed.close()

    plain = client.get("/static/build/main.css")
    assert plain.status_code == 200
    assert "immutable" not in plain["Cache-Control"]
    assert max_age(plain["Cache-Control"]) <= 300
    plain.close()
