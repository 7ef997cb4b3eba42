"""The Redis part of `make soak`: a Redis server of the soak's own, paused and then stopped while
members post, with /healthz polled throughout, and a check afterwards that nothing stale is served.

The soak's Redis listens on SOAK_REDIS_PORT (default 6391), so pausing it never touches the Redis
other work uses. Phases (seconds from the start; SOAK_REDIS_OUTAGE=0 skips them):

- paused (SIGSTOP, every call to it hangs until the timeout) at SOAK_REDIS_PAUSE_AT (default 33)
  for SOAK_REDIS_PAUSE_SECONDS (default 8), then resumed (SIGCONT) with its keys intact;
- stopped (connections refused) at SOAK_REDIS_STOP_AT (default 45) for SOAK_REDIS_STOP_SECONDS
  (default 5), then started again empty.

A `finally` always resumes and restarts it. Standard library only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

ENABLED = os.environ.get("SOAK_REDIS_OUTAGE", "1") not in {"0", "false", "no"}
PORT = int(os.environ.get("SOAK_REDIS_PORT", "6391"))
PAUSE_AT = float(os.environ.get("SOAK_REDIS_PAUSE_AT", "33"))
PAUSE_SECONDS = float(os.environ.get("SOAK_REDIS_PAUSE_SECONDS", "8"))
STOP_AT = float(os.environ.get("SOAK_REDIS_STOP_AT", "45"))
STOP_SECONDS = float(os.environ.get("SOAK_REDIS_STOP_SECONDS", "5"))
URL = f"redis://127.0.0.1:{PORT}/0"


@dataclass
class Phase:
    name: str
    began: float | None = None
    ended: float | None = None
    health: list[tuple[int, str]] = field(default_factory=list)  # (status, cache) polled while in it


@dataclass
class RedisOutage:
    """The soak's Redis and what happened to it."""

    process: subprocess.Popen | None = None
    phases: list[Phase] = field(default_factory=list)
    error: str = ""

    def start(self) -> bool:
        if not ENABLED or shutil.which("redis-server") is None:
            return False
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        return _wait_for_redis(10)

    @property
    def running(self) -> bool:
        return self.process is not None

    def windows(self) -> list[tuple[float, float]]:
        return [(p.began, p.ended) for p in self.phases if p.began is not None and p.ended is not None]

    def run(self, t0: float, done: threading.Event, health_url: str) -> None:
        """Pause, resume, stop and start the soak's Redis on schedule; always leave it running."""
        try:
            for name, at, seconds, down, up in (
                ("paused", PAUSE_AT, PAUSE_SECONDS, self._pause, self._resume),
                ("stopped", STOP_AT, STOP_SECONDS, self._stop, self._restart),
            ):
                if done.wait(max(0.0, t0 + at - time.monotonic())):
                    return
                phase = Phase(name, began=time.monotonic())
                self.phases.append(phase)
                down()
                until = time.monotonic() + seconds
                while time.monotonic() < until and not done.is_set():
                    phase.health.append(_poll_health(health_url))
                    done.wait(1.0)
                up()
                phase.ended = time.monotonic()
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self._resume()
            if self.process is not None and self.process.poll() is not None:
                self._restart()

    def close(self) -> None:
        if self.process is not None:
            self._resume()
            self.process.terminate()
            self.process.wait(timeout=10)

    def _pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def _resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def _stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def _restart(self) -> None:
        self.start()


def _wait_for_redis(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def _poll_health(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read()).get("cache", "")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except Exception:
        return 0, ""


def verdicts(outage: RedisOutage) -> list[tuple[str, bool, str]]:
    """What the soak checks of the Redis phases."""
    if not outage.running:
        reason = "SOAK_REDIS_OUTAGE=0" if not ENABLED else "no redis-server on this machine"
        return [("Redis outage phases", True, f"skipped ({reason})")]
    planned = [p for p in outage.phases if p.ended is not None]
    said_degraded = all(any(h == (200, "unavailable") for h in p.health) for p in planned)
    never_503 = all(status == 200 for p in planned for status, _cache in p.health)
    return [
        (
            "Redis paused and stopped as planned",
            not outage.error and len(planned) == 2,
            outage.error or ", ".join(f"{p.name} {p.ended - p.began:.1f} s" for p in planned),
        ),
        (
            "/healthz said 200 with the cache degraded while Redis was away",
            said_degraded and never_503,
            "; ".join(f"{p.name}: {sorted(set(p.health))}" for p in planned),
        ),
    ]


def stale_pages(base: str, member_cookie: str, cookie_name: str) -> list[str]:
    """Each discussion's newest comment, looked for on its page by an anonymous reader and by a
    member after the run: a page kept from before a change that Redis missed would not show it."""
    from forum.models import Thread

    missing = []
    for thread in Thread.objects.order_by("pk"):
        newest = thread.comments.order_by("-position").values_list("pk", flat=True).first()
        if newest is None:
            continue
        for who, cookie in (("reader", ""), ("member", f"{cookie_name}={member_cookie}")):
            request = urllib.request.Request(f"{base}/comments/{newest}/", headers={"Cookie": cookie})
            with urllib.request.urlopen(request, timeout=30) as response:
                if f'id="comment-{newest}"' not in response.read().decode("utf-8", "replace"):
                    missing.append(f"{who}: comment {newest} of discussion {thread.pk}")
    return missing
