"""Past one machine: two app instances and two task workers sharing one PostgreSQL and one Redis.

Starts two gunicorn processes on different ports and two `db_worker` processes, all pointed at
the test database and at Redis on loopback, then checks what scaling out must not break:

- a session started on one instance works on the other (sessions live in the database, cached
  in the shared Redis);
- a comment posted through one instance appears at once on the other, for anonymous and
  signed-in readers (cached pages are versioned in the shared cache, never per process);
- each notification task runs exactly once although both workers poll the queue.

PostgreSQL only: SQLite cannot be shared by several processes like this. Runs in CI (.ci/run).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection

from forum.management.commands.bench_reply import Browser, ReplyFormParser
from forum.models import Notification, ThreadFollow
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TWO_INSTANCES_REDIS_URL", "redis://127.0.0.1:6379/5")
PASSWORD = "a-long-test-password-42"
REPLIES = 4

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="several processes need a shared PostgreSQL"),
]


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _environment(prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            # TESTING keeps plain static file names (no collectstatic needed) and the test
            # password hasher; everything this test is about is configured explicitly below.
            "TESTING": "true",
            "DEBUG": "false",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": prefix,
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_URL": "locmem:",
            "DISABLE_RATE_LIMITS": "true",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "2",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "0",
        }
    )
    return env


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _wait_until_up(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"instance on {port} stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"instance on {port} did not start:\n{log.read_text()[-3000:]}")


def _sign_in(browser: Browser, email: str) -> None:
    status, html, _ = browser.request("GET", "/accounts/login/")
    assert status == 200
    form = ReplyFormParser("/accounts/login/")
    form.feed(html)
    fields = {**form.fields, "login": email, "password": PASSWORD}
    if "csrfmiddlewaretoken" not in fields:  # the form may post to its own address (no action)
        fields["csrfmiddlewaretoken"] = browser.cookies["csrftoken"]
    status, _body, _headers = browser.request("POST", "/accounts/login/", urlencode(fields))
    assert status == 302, f"sign-in failed with {status}"


def _reply(browser: Browser, thread, text: str) -> None:
    status, html, _ = browser.request("GET", thread.get_absolute_url())
    assert status == 200
    form = ReplyFormParser(f"/threads/{thread.pk}/reply/")
    form.feed(html)
    assert form.found, "no reply form for the signed-in member"
    fields = {**form.fields, "body": text, "stance": "", "action": "post"}
    status, _body, headers = browser.request("POST", f"/threads/{thread.pk}/reply/", urlencode(fields))
    assert status == 302 and "#comment-" in headers.get("Location", ""), status


def _wait_for_tasks(expected: int, timeout: float = 30.0):
    """The tasks that delivered `comment_published` to the notifications (forum.events.deliver)."""
    from django_tasks_db.models import DBTaskResult

    fan_outs = DBTaskResult.objects.filter(
        task_path__endswith="events.deliver", args_kwargs__args__0="comment_published"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fan_outs.count() >= expected and not fan_outs.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists():
            return list(fan_outs)
        time.sleep(0.25)
    raise AssertionError(f"tasks not finished: {list(fan_outs.values_list('status', 'worker_ids'))}")


@pytest.mark.skipif(not _redis_answers(), reason=f"needs Redis at {REDIS_URL}")
def test_two_instances_and_two_workers_share_sessions_pages_and_the_task_queue(tmp_path):
    writer = make_member("writer@example.org", display_name="Wren Writer")
    watcher = make_member("watcher@example.org", display_name="Wade Watcher")
    theme = make_theme("shared-waiting-lists")
    thread = services.start_thread(theme=theme, author=watcher, title="One list for the region?", body="Opening.")
    ThreadFollow.objects.update_or_create(user=watcher, thread=thread, defaults={"level": "watching"})

    prefix = f"two-{secrets.token_hex(4)}"
    env = _environment(prefix)
    ports = [_free_port(), _free_port()]
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    processes: list[subprocess.Popen] = []
    try:
        for n, port in enumerate(ports):
            log = tmp_path / f"web{n}.log"
            command = [gunicorn, "-c", "python:config.gunicorn", "--bind", f"127.0.0.1:{port}"]
            processes.append(_start(command, env, log))
        for n in range(2):
            command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2",
                       "--no-startup-delay", "--no-reload", "--worker-id", f"worker-{n}"]
            processes.append(_start(command, env, tmp_path / f"worker{n}.log"))
        for port, process, n in zip(ports, processes, range(2), strict=False):
            _wait_until_up(port, process, tmp_path / f"web{n}.log")
        first, second = (f"http://127.0.0.1:{port}" for port in ports)

        # A session started on the first instance works on the second.
        on_first = Browser(first, {})
        _sign_in(on_first, writer.email)
        on_second = Browser(second, {name: value for name, value in on_first.cookies.items() if name == "sessionid"})
        status, html, _ = on_second.request("GET", "/notifications/")
        assert status == 200 and "Wren Writer" in html

        # The second instance serves the page to anonymous readers from the shared cache before
        # the replies (once the settling time after the thread was started has passed).
        anonymous = Browser(second, {})
        deadline = time.monotonic() + 15
        while True:
            status, before, headers = anonymous.request("GET", thread.get_absolute_url())
            assert status == 200 and "Shared reply 1" not in before
            if headers.get("X-Forum-Cache") == "hit" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert headers.get("X-Forum-Cache") == "hit"

        for n in range(1, REPLIES + 1):
            _reply(on_first if n % 2 else on_second, thread, f"Shared reply {n} about the regional list.")
            for reader in (anonymous, on_second, Browser(first, {})):
                status, page, _ = reader.request("GET", thread.get_absolute_url())
                assert status == 200 and f"Shared reply {n} about" in page, f"reply {n} missing on a reader's page"

        # Each reply queued one fan-out task; each ran once, on one worker, and told the watcher once.
        results = _wait_for_tasks(REPLIES)
        assert [r.status for r in results] == ["SUCCESSFUL"] * REPLIES
        assert all(len(r.worker_ids) == 1 for r in results), [r.worker_ids for r in results]
        assert all(r.return_value is True for r in results)  # the handler succeeded at its first attempt
        notices = Notification.objects.filter(recipient=watcher, thread=thread, comment__isnull=False)
        assert notices.count() == REPLIES
        assert notices.values("comment").distinct().count() == REPLIES
        assert all(process.poll() is None for process in processes), "a process stopped during the test"
    finally:
        _stop(processes)
        _forget(prefix)


def _forget(prefix: str) -> None:
    """Delete what the instances left in the shared Redis under this run's key prefix."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)
