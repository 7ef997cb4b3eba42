"""HTML conformance checks with the Nu HTML Checker (vnu.jar, from npm's vnu-jar in node_modules).

`assert_accessible` (tests/browser/axe.py) sends every page axe checks here, so each one must also
be valid HTML: 0 errors (warnings and info messages are not failures).

Starting Java and reading the checker's schemas takes about two seconds of CPU, checking one page
once it runs about 30 ms. So each pytest process (each xdist worker) starts the checker once, as a
service on 127.0.0.1 (`java -cp vnu.jar nu.validator.servlet.Main PORT`), as soon as the browser
fixture starts (Java warms up while Chromium and the live server do), posts each page's HTML to it
and stops it at the end of the session. The checker reads only the document it is sent: it fetches
nothing from any other host. npm's `vnu-jar` also has a postinstall script that downloads a Java
runtime from GitHub when none is installed; the Makefile runs `npm ci --ignore-scripts`, and this
module calls the system's `java` directly, never the package's `vnu` wrapper.

Without Java or the jar the Nu part is left out (axe still runs), a warning says so once and
`test_the_nu_html_checker_is_available` (tests/browser/test_mobile_and_markup.py) skips, saying how
to install them; with REQUIRE_BROWSER=1 (`.ci/run`) a page check fails instead.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
VNU_JAR = Path(os.environ.get("VNU_JAR", BASE_DIR / "node_modules/vnu-jar/build/dist/vnu.jar"))
START_TIMEOUT = 90  # seconds; two xdist workers starting Java at once on a small machine take ~10
CHECK_TIMEOUT = 30
INSTALL_HINT = (
    "the Nu HTML Checker needs a Java runtime (on Debian: apt-get install default-jre-headless) "
    "and node_modules/vnu-jar (npm ci, or make test)"
)


class NuCheckerUnavailable(UserWarning):
    """The Nu HTML Checker could not run here, so pages were checked by axe alone."""


def browser_required() -> bool:
    """REQUIRE_BROWSER=1 (set by .ci/run) makes browser checks fail instead of skipping."""
    return os.environ.get("REQUIRE_BROWSER", "") in {"1", "true", "yes"}


def java_path() -> str | None:
    """The `java` to run: $JAVA if set, else the one on PATH, else $JAVA_HOME's."""
    if os.environ.get("JAVA"):
        return shutil.which(os.environ["JAVA"])
    java_home = os.environ.get("JAVA_HOME")
    return shutil.which("java") or (shutil.which(str(Path(java_home) / "bin" / "java")) if java_home else None)


def unavailable_reason() -> str | None:
    """Why the checker cannot run on this machine, or None when it can."""
    missing = []
    if java_path() is None:
        missing.append("no `java` found")
    if not VNU_JAR.is_file():
        missing.append(f"no {VNU_JAR.relative_to(BASE_DIR) if VNU_JAR.is_relative_to(BASE_DIR) else VNU_JAR}")
    if not missing:
        return None
    return f"{' and '.join(missing)}: {INSTALL_HINT}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NuChecker:
    """One vnu.jar service on 127.0.0.1, started by this process and stopped by it."""

    def __init__(self, java: str, jar: Path = VNU_JAR):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (open while the service runs; stop() closes it)
        self._process = subprocess.Popen(
            [
                java,
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-Djava.awt.headless=true",
                "-cp",
                str(jar),
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._ready = False

    def _output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self._ready:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"The Nu HTML Checker stopped (exit code {self._process.returncode}):\n{self._output()}"
                )
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    self._ready = response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"The Nu HTML Checker did not answer on {self.url} within {timeout} s:\n{self._output()}"
                    ) from None
                time.sleep(0.2)

    def messages(self, html: str) -> list[dict]:
        """Every message the checker gives for this HTML document."""
        self.wait_until_ready()
        request = urllib.request.Request(
            self.url + "?out=json",
            data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=CHECK_TIMEOUT) as response:
            return json.load(response)["messages"]

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()


_checker: NuChecker | None = None
_lock = threading.Lock()
_warned = False


def start() -> NuChecker | None:
    """Start this process's checker (without waiting for it); None when it cannot run here."""
    global _checker
    with _lock:
        if _checker is None and unavailable_reason() is None:
            _checker = NuChecker(java_path())
        return _checker


def stop() -> None:
    global _checker
    with _lock:
        if _checker is not None:
            _checker.stop()
            _checker = None


atexit.register(stop)  # a checker started outside the browser fixture stops with the process


def describe(message: dict) -> str:
    where = f"line {message.get('lastLine', '?')}, column {message.get('firstColumn', message.get('lastColumn', '?'))}"
    extract = message.get("extract", "").replace("\n", " ")
    return f"{where}: {message.get('message', '')}" + (f" [{extract}]" if extract else "")


def html_errors(html: str) -> list[str]:
    """The checker's errors for an HTML document, one line each (warnings and info left out).

    Raises pytest's skip or fail exception when the checker cannot run (see the module docstring).
    """
    reason = unavailable_reason()
    if reason is not None:
        if browser_required():
            pytest.fail(f"REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)
    checker = start()
    errors = []
    for message in checker.messages(html):
        kind = message.get("type")
        if kind == "non-document-error":
            raise RuntimeError(f"The Nu HTML Checker could not check the page: {message.get('message')}")
        if kind == "error":
            errors.append(describe(message))
    return errors


def check_page(page) -> list[str]:
    """Nu errors for the page as the browser has it now (page.content(), after scripts ran).

    Returns [] and warns once, instead of skipping the calling test, when the checker cannot run
    here and REQUIRE_BROWSER is not set: the test's other checks still count.
    """
    global _warned
    reason = unavailable_reason()
    if reason is not None and not browser_required():
        if not _warned:
            message = f"Pages were not checked with the Nu HTML Checker: {reason}"
            warnings.warn(NuCheckerUnavailable(message), stacklevel=2)
            _warned = True
        return []
    return html_errors(page.content())


def assert_valid_html(page) -> None:
    errors = check_page(page)
    assert errors == [], f"The Nu HTML Checker found errors on {page.url}:\n" + "\n".join(errors)
