"""Gunicorn settings for production: `gunicorn -c python:config.gunicorn`.

Environment variables (all optional):

- HOST, PORT: where to listen (default 0.0.0.0:8000; `make serve` passes 127.0.0.1).
- WEB_CONCURRENCY: worker processes (default 2, or 3 on machines with 3 or more cores).
- GUNICORN_THREADS: threads per worker (default 4). Each thread holds its own database
  connection, so one instance opens up to WEB_CONCURRENCY x GUNICORN_THREADS connections.
- GUNICORN_TIMEOUT: seconds before a stuck worker is restarted (default 30).
- GUNICORN_REUSE_PORT: "false" to have the workers share one listening socket instead of each
  opening its own with SO_REUSEPORT (default on; see below).
- GUNICORN_ACCESS_LOG: "true" to log every request to stdout (default off: the proxy in front
  already logs requests, and the access log would double the volume).
- LOG_LEVEL: gunicorn's own log level, like Django's (default info).
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return raw in {"1", "true", "yes", "on"} if raw else default


wsgi_app = "config.wsgi:application"
proc_name = "commonground"

# In a container or behind a platform router the app must listen on every interface; a machine
# that faces the internet directly should set HOST=127.0.0.1 and put the TLS proxy in front.
bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{_int('PORT', 8000)}"]  # noqa: S104

workers = _int("WEB_CONCURRENCY", 3 if (os.cpu_count() or 1) >= 3 else 2)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"

# Each worker opens its own listening socket (SO_REUSEPORT) and the kernel spreads new
# connections across them. With one shared socket, whichever worker woke first accepted a burst of
# connections: a client holding a few keep-alive connections (a proxy's pool, a load generator)
# often had all of them on one worker, which then used one core while the other idled, and the
# same page ran at 1,300 or 3,500 requests/s from one run to the next (docs/performance.md,
# "The trivial view was bimodal"). A worker that exits (recycling, a deploy) resets the
# connections still waiting in its own queue unless the host sets net.ipv4.tcp_migrate_req=1
# (docs/deploy.md).
reuse_port = _flag("GUNICORN_REUSE_PORT", True)

timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a deploy or scale-down) workers finish the requests they hold for up to this long.
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so a slow leak can never grow without bound; the jitter keeps
# them from restarting all at once.
max_requests = 2000
max_requests_jitter = 200

# The worker heartbeat file lives in memory: on some container filesystems a disk-backed
# heartbeat stalls and gunicorn kills healthy workers. (gunicorn creates the files with mkstemp.)
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None

# gunicorn's runtime control socket sits at one path per user ($HOME/.gunicorn/gunicorn.ctl), so
# two instances on one host would fight over it; nothing here uses gunicornc, so it stays off.
control_socket_disable = True

accesslog = "-" if _flag("GUNICORN_ACCESS_LOG", False) else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
