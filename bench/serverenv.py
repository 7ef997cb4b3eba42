"""The environment `make bench` and `make soak` start the app with: production settings (DEBUG
off, gunicorn, PostgreSQL), on loopback without TLS, with Redis when it answers."""

from __future__ import annotations

import os
import secrets


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping())
    except Exception:
        return False


def production_env(*, base_url: str, database_url: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """This process's environment with the production settings for a loopback run, then
    `overrides`; REDIS_URL is `redis_url` when Redis answers, and unset otherwise."""
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "false",
            "TESTING": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": base_url,
            "DATABASE_URL": database_url,
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "EMAIL_URL": "locmem:",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "WEB_CONCURRENCY": env.get("WEB_CONCURRENCY", "2"),
            "LOG_LEVEL": "WARNING",
            **overrides,
        }
    )
    if redis_available():
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env
