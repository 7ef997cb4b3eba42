"""`make soak`: many members posting at once for a minute, with PostgreSQL stopped, then Redis
paused and stopped, in the middle.

What it does, all on loopback:

1. Creates a fresh database (SOAK_DB_NAME, default cg_soak), migrates it, loads the source texts
   and themes, and makes SOAK_MEMBERS members (default 50) with sessions written through Django's
   SessionStore, plus a few discussions to reply in.
2. Starts gunicorn the way production runs it (config/gunicorn.py, DEBUG off), like bench/run.py.
3. Every member, in its own thread, loops until SOAK_SECONDS (default 60) or its request cap: GET a
   discussion, read the reply form (CSRF token and one-time key), POST a reply (to the discussion
   or to one of its comments), sometimes send the same POST again as a double click would. A POST
   that fails is sent again with the same form, as a member pressing the button again would.
4. SOAK_OUTAGE_AT seconds in (default 15), stops this machine's own PostgreSQL cluster
   (`pg_ctlcluster --skip-systemctl-redirect 15 main stop -m fast`) for SOAK_OUTAGE_SECONDS
   (default 10), then starts it again. A `finally` block always starts it again. SOAK_OUTAGE=0
   skips this. Then the soak's own Redis is paused and later stopped (bench/redis_outage.py).
5. Checks: no server error outside the PostgreSQL outage (the Redis phases included); every
   error answer during it is the styled 503 or 500 page (no traceback); every successful POST
   answer is exactly one stored comment, and a repeated POST lands on the same one; nothing
   half-written (every comment has its revision, follow record and key; no key without its
   comment; positions without gaps); `manage.py check_counters` finds no drift; the app answers
   again without being restarted; /healthz said "degraded" (200) while Redis was away; afterwards
   every discussion's newest comment is on its page for a reader and a member (nothing stale).
6. Writes docs/soak.md (SOAK_OUTPUT) and exits non-zero when a check fails.

Standard library only (threads and http.client); no load-testing dependency.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import redis_outage  # bench/redis_outage.py, beside this script
import soak_report  # bench/soak_report.py
from serverenv import production_env  # bench/serverenv.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MEMBERS = int(os.environ.get("SOAK_MEMBERS", "50"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
OUTAGE = os.environ.get("SOAK_OUTAGE", "1") not in {"0", "false", "no"}
OUTAGE_AT = float(os.environ.get("SOAK_OUTAGE_AT", "15"))
OUTAGE_SECONDS = float(os.environ.get("SOAK_OUTAGE_SECONDS", "10"))
REQUEST_CAP = int(os.environ.get("SOAK_REQUESTS_PER_MEMBER", "2000"))
THREADS = int(os.environ.get("SOAK_THREADS", "6"))
PORT = int(os.environ.get("SOAK_PORT", "8766"))
DB_NAME = os.environ.get("SOAK_DB_NAME", "cg_soak")
PG_VERSION = os.environ.get("SOAK_PG_VERSION", "15")
PG_CLUSTER = os.environ.get("SOAK_PG_CLUSTER", "main")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
BASE = f"http://127.0.0.1:{PORT}"
OUT_MD = Path(os.environ.get("SOAK_OUTPUT", ROOT / "docs" / "soak.md"))
BODY_PREFIX = "Soak reply "
STYLED_ERROR_MARKERS = ("nhsuk-header", "Sorry")


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- The server -------------------------------------------------------------------------------


def server_env() -> dict[str, str]:
    return production_env(
        base_url=BASE,
        database_url=DATABASE_URL,
        redis_url="redis://127.0.0.1:6379/5",
        DISABLE_RATE_LIMITS="true",  # fifty members posting flat out would hit them at once
        PREMODERATE_FIRST_COMMENTS="0",
        DJANGO_SETTINGS_MODULE="config.settings",
        CACHE_KEY_PREFIX=f"cg_soak_{secrets.token_hex(4)}",  # never reads anyone else's keys
    )


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True)


def recreate_database() -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME], check=True)


def start_server(env: dict) -> subprocess.Popen:
    command = [str(Path(PY).parent / "gunicorn"), "--config", "python:config.gunicorn", "--bind", f"127.0.0.1:{PORT}"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env={**env, "HOST": "127.0.0.1", "PORT": str(PORT)}, start_new_session=True
    )
    if not wait_healthy(30):
        os.killpg(proc.pid, signal.SIGTERM)
        sys.exit("gunicorn did not start")
    return proc


def healthy() -> bool:
    try:
        with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as response:
            return response.status == 200
    except Exception:
        return False


def wait_healthy(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if healthy():
            return True
        time.sleep(0.2)
    return False


# --- PostgreSQL outage ------------------------------------------------------------------------


def pg(action: str) -> None:
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, action]
    if action == "stop":
        command += ["-m", "fast"]  # persistent connections would keep a "smart" stop waiting
    subprocess.run(command, check=True, capture_output=True, text=True)


def pg_running() -> bool:
    result = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    for line in result.stdout.splitlines():
        parts = line.split()
        if parts[:2] == [PG_VERSION, PG_CLUSTER]:
            return parts[3] == "online"
    return False


@dataclass
class Outage:
    stop_started: float | None = None
    stopped: float | None = None
    start_started: float | None = None
    started: float | None = None
    error: str = ""


def run_outage(outage: Outage, t0: float, done: threading.Event) -> None:
    """Stop PostgreSQL at OUTAGE_AT for OUTAGE_SECONDS; always start it again."""
    try:
        if done.wait(max(0.0, t0 + OUTAGE_AT - time.monotonic())):
            return
        outage.stop_started = time.monotonic()
        log("stopping PostgreSQL")
        pg("stop")
        outage.stopped = time.monotonic()
        done.wait(OUTAGE_SECONDS)
    except Exception as error:
        outage.error = f"{type(error).__name__}: {error}"
    finally:
        if outage.stop_started is not None:
            outage.start_started = time.monotonic()
            log("starting PostgreSQL")
            try:
                pg("start")
            except Exception as error:
                outage.error += f" start failed: {error}"
            outage.started = time.monotonic()


# --- Members ----------------------------------------------------------------------------------


class ReplyForm(HTMLParser):
    """The hidden inputs of the form that posts to `action`."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.found, self.fields = action, False, False, {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("action") == self.action:
            self.inside = self.found = True
        elif self.inside and tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


class Browser:
    """One keep-alive connection and a cookie jar."""

    def __init__(self, cookies: dict[str, str]):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        self.cookies = dict(cookies)

    def request(self, method: str, path: str, fields: dict | None = None) -> tuple[int, str, dict]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": f"127.0.0.1:{PORT}"}
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = BASE + path
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # an idle keep-alive connection was closed: open a new one
                if attempt == 2:
                    raise
        content = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content, dict(response.headers)


@dataclass
class Event:
    at: float
    method: str
    status: int  # 0: no answer (connection error)
    seconds: float
    key: str = ""
    location: str = ""
    styled: bool = True
    repeat: bool = False


@dataclass
class Results:
    events: list[Event] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    problems: list[str] = field(default_factory=list)

    def add(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.problems) < 50:
                self.problems.append(text)


def styled(status: int, content: str) -> bool:
    if status < 500:
        return True
    return all(marker in content for marker in STYLED_ERROR_MARKERS) and "Traceback" not in content


def member_loop(index: int, cookie: dict, threads: list[tuple[str, str]], deadline: float, results: Results):
    rng = random.Random(index)
    browser = Browser(cookie)
    sent = 0
    pending: dict | None = None  # a POST that failed: sent again with the same form and key
    pending_action = ""
    while time.monotonic() < deadline and sent < REQUEST_CAP:
        sent += 1
        if pending is None:
            page, action = rng.choice(threads)
            started = time.monotonic()
            try:
                status, content, _headers = browser.request("GET", page)
            except OSError:
                status, content = 0, ""
            results.add(Event(started, "GET", status, time.monotonic() - started, styled=styled(status, content)))
            if status != 200:
                time.sleep(0.5)
                continue
            form = ReplyForm(action)
            form.feed(content)
            if not form.found or "submission_key" not in form.fields:
                results.problem(f"member {index}: no reply form with a key on {page}")
                time.sleep(0.5)
                continue
            key = form.fields["submission_key"]
            pending = {
                **form.fields,
                "action": "post",
                "stance": "",
                "body": f"{BODY_PREFIX}{key}: our shared list cut the waits by a fortnight.",
            }
            comment_ids = re.findall(r'id="comment-(\d+)"', content)
            if comment_ids and rng.random() < 0.5:
                pending["parent"] = rng.choice(comment_ids)
            pending_action = action
        key = pending["submission_key"]
        started = time.monotonic()
        try:
            status, content, headers = browser.request("POST", pending_action, pending)
        except OSError:
            status, content, headers = 0, "", {}
        location = headers.get("Location", "")
        results.add(Event(started, "POST", status, time.monotonic() - started, key, location, styled(status, content)))
        if status == 302 and "#comment-" in location:
            if rng.random() < 0.1:  # a double click: the same form again
                again = time.monotonic()
                try:
                    status2, content2, headers2 = browser.request("POST", pending_action, pending)
                except OSError:
                    status2, content2, headers2 = 0, "", {}
                results.add(
                    Event(
                        again,
                        "POST",
                        status2,
                        time.monotonic() - again,
                        key,
                        headers2.get("Location", ""),
                        styled(status2, content2),
                        repeat=True,
                    )
                )
            pending = None
            time.sleep(rng.uniform(0.05, 0.3))
        elif status in (0, 500, 502, 503, 504):
            time.sleep(1.0)  # the member waits a moment and presses Post again
        else:
            results.problem(f"member {index}: POST answered {status} ({location or content[:80]!r})")
            pending = None


# --- Setup and checks, through Django -----------------------------------------------------------


def setup_data(env: dict) -> tuple[list[dict], list[tuple[str, str]]]:
    """Members with sessions (SessionStore) and discussions to reply in."""
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.db import connection

    from accounts.models import StakeholderGroup, User
    from forum.models import Theme
    from forum.posting import services

    groups = list(StakeholderGroup.values)
    themes = list(Theme.objects.order_by("position")[:3])
    cookies, members = [], []
    for number in range(MEMBERS):
        user = User.objects.create_user(
            email=f"soak{number}@soak.example.org",
            password=secrets.token_urlsafe(16),
            display_name=f"Soak Member {number}",
            stakeholder_group=groups[number % len(groups)],
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append({settings.SESSION_COOKIE_NAME: session.session_key})
        members.append(user)
    threads = []
    for number in range(THREADS):
        thread = services.start_thread(
            theme=themes[number % len(themes)],
            author=members[number],
            title=f"Soak discussion {number}",
            body="Where do the waits start?",
        )
        threads.append((thread.get_absolute_url(), f"/threads/{thread.pk}/reply/"))
    connection.close()  # this process holds no connection while PostgreSQL is stopped
    return cookies, threads


def check_database(env: dict, results: Results) -> dict:
    from django.db.models import Count, Max

    from forum.models import Comment, CommentRevision, SubmissionKey, Thread, ThreadFollow

    posts = [e for e in results.events if e.method == "POST"]
    succeeded: dict[str, set[str]] = {}
    for event in posts:
        if event.status == 302 and "#comment-" in event.location:
            succeeded.setdefault(event.key, set()).add(event.location.rsplit("#comment-", 1)[1])
    comments = list(Comment.objects.filter(body__startswith=BODY_PREFIX).values("pk", "body", "author_id", "thread_id"))
    by_key: dict[str, list[int]] = {}
    for comment in comments:
        key = comment["body"][len(BODY_PREFIX) :].split(":", 1)[0]
        by_key.setdefault(key, []).append(comment["pk"])
    keys = dict(
        SubmissionKey.objects.filter(user__email__endswith="@soak.example.org").values_list("key", "comment_id")
    )
    mismatched = []
    for key, locations in succeeded.items():
        stored = by_key.get(key, [])
        if len(stored) != 1 or len(locations) != 1 or str(stored[0]) not in locations or keys.get(key) != stored[0]:
            mismatched.append(key)
    ids = [c["pk"] for c in comments]
    with_revision = set(CommentRevision.objects.filter(comment_id__in=ids).values_list("comment_id", flat=True))
    follows = set(
        ThreadFollow.objects.filter(user__email__endswith="@soak.example.org").values_list("user_id", "thread_id")
    )
    gaps = [
        row["pk"]
        for row in Thread.objects.annotate(n=Count("comments"), top=Max("comments__position")).values(
            "pk", "n", "top", "last_position"
        )
        if not (row["n"] == row["top"] == row["last_position"])
    ]
    return {
        "comments": len(comments),
        "succeeded_keys": len(succeeded),
        "repeats": sum(1 for e in posts if e.repeat and e.status == 302),
        "repeats_same_comment": sum(
            1 for e in posts if e.repeat and e.status == 302 and len(succeeded.get(e.key, ())) == 1
        ),
        "repeats_refused": sum(1 for e in posts if e.repeat and e.status != 302),
        "mismatched": mismatched,
        "duplicates": [k for k, v in by_key.items() if len(v) > 1],
        "committed_without_success_answer": [k for k in by_key if k not in succeeded],
        "keys_without_comment": [k for k, c in keys.items() if c is None],
        "comments_without_key": [k for k in by_key if k not in keys],
        "comments_without_revision": [i for i in ids if i not in with_revision],
        "comments_without_follow": [c["pk"] for c in comments if (c["author_id"], c["thread_id"]) not in follows],
        "threads_with_position_gaps": gaps,
    }


def main() -> None:
    os.chdir(ROOT)
    # A polite kill (SIGTERM) runs the `finally` blocks too, so PostgreSQL is always started again.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if OUTAGE and not pg_running():
        sys.exit(f"PostgreSQL cluster {PG_VERSION}/{PG_CLUSTER} is not running here; nothing to soak against.")
    env = server_env()
    soak_redis = redis_outage.RedisOutage()
    if soak_redis.start():
        env["REDIS_URL"] = redis_outage.URL  # the soak's own Redis, which it pauses and stops
    log(
        f"database {DB_NAME}: {MEMBERS} members for {SECONDS:.0f} s"
        + (f", PostgreSQL stopped at {OUTAGE_AT:.0f} s for {OUTAGE_SECONDS:.0f} s" if OUTAGE else "")
    )
    recreate_database()
    for args in (
        ("migrate", "--no-input", "-v0"),
        ("collectstatic", "--no-input", "-v0"),
        ("import_articles",),
        ("load_themes",),
        ("load_journey",),
    ):
        result = manage(env, *args)
        if result.returncode:
            sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    cookies, threads = setup_data(env)

    server = start_server(env)
    outage = Outage()
    done = threading.Event()
    results = Results()
    controller = None
    try:
        t0 = time.monotonic()
        deadline = t0 + SECONDS
        if OUTAGE:
            controller = threading.Thread(target=run_outage, args=(outage, t0, done), daemon=True)
            controller.start()
        redis_controller = None
        if soak_redis.running:
            redis_controller = threading.Thread(target=soak_redis.run, args=(t0, done, f"{BASE}/healthz"), daemon=True)
            redis_controller.start()
        members = [
            threading.Thread(target=member_loop, args=(i, cookies[i], threads, deadline, results))
            for i in range(MEMBERS)
        ]
        for member in members:
            member.start()
        for member in members:
            member.join(timeout=SECONDS + 120)
        done.set()
        if controller is not None:
            controller.join(timeout=120)
        if redis_controller is not None:
            redis_controller.join(timeout=60)
        elapsed = time.monotonic() - t0
        recovered = wait_healthy(60)
        stale = redis_outage.stale_pages(BASE, *next(iter(cookies[0].items()))[::-1])
    finally:
        done.set()
        if controller is not None:
            controller.join(timeout=120)  # its own `finally` starts PostgreSQL again
        if OUTAGE and not pg_running():
            log("PostgreSQL is down after the run: starting it")
            pg("start")
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        soak_redis.close()

    counters = manage(env, "check_counters")
    checks = check_database(env, results)
    soak_report.write_report(
        sys.modules[__name__], results, outage, t0, elapsed, recovered, counters, checks, soak_redis, stale
    )


if __name__ == "__main__":
    main()
