"""config/gunicorn.py: the settings production serves with."""

from __future__ import annotations

import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"


def settings_with(monkeypatch, **environment: str) -> dict:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_each_worker_listens_on_its_own_socket_by_default(monkeypatch):
    monkeypatch.delenv("GUNICORN_REUSE_PORT", raising=False)
    assert settings_with(monkeypatch)["reuse_port"] is True


def test_workers_can_be_told_to_share_one_socket(monkeypatch):
    assert settings_with(monkeypatch, GUNICORN_REUSE_PORT="false")["reuse_port"] is False


def test_the_access_log_stays_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("GUNICORN_ACCESS_LOG", raising=False)
    assert settings_with(monkeypatch)["accesslog"] is None
    assert settings_with(monkeypatch, GUNICORN_ACCESS_LOG="true")["accesslog"] == "-"
