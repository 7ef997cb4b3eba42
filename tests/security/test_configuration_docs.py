"""Every environment variable the app reads is documented in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = re.compile(
    r"""(?:env_(?:str|bool|int|list)\(|os\.environ\.get\(|_int\(|_flag\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def variables_read_by(path: Path) -> set[str]:
    return set(READERS.findall(path.read_text(encoding="utf-8")))


def documented() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_every_setting_read_from_the_environment_is_in_env_example():
    read = variables_read_by(ROOT / "config" / "settings.py") | variables_read_by(ROOT / "config" / "gunicorn.py")
    assert {"SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXY_COUNT", "WEB_CONCURRENCY"} <= read
    missing = sorted(read - documented())
    assert not missing, f"Document these in .env.example (meaning and default): {missing}"


def test_env_example_names_no_variable_the_app_does_not_read():
    read = variables_read_by(ROOT / "config" / "settings.py") | variables_read_by(ROOT / "config" / "gunicorn.py")
    makefile_only = {"SERVE_INSECURE_LOCAL"}
    stale = sorted(documented() - read - makefile_only)
    assert not stale, f"No longer read by the app; remove from .env.example: {stale}"
