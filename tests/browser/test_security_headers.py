"""The security headers as a real browser enforces them."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__violations.push(event.effectiveDirective + ' ' + event.blockedURI);
});
"""


def watch(page) -> list[str]:
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.add_init_script(RECORD_VIOLATIONS)  # injected by the browser itself, outside the page's CSP
    return console


@pytest.mark.parametrize("name", ["home", "articles:list", "account_login"])
def test_pages_run_their_nonce_script_with_no_policy_complaints(page, live_server, name):
    console = watch(page)
    page.goto(live_server.url + reverse(name))
    page.wait_for_load_state("networkidle")

    assert "js-enabled" in page.evaluate("document.body.className"), "the nonce'd inline script ran"
    assert page.evaluate("window.__violations") == []
    complaints = [line for line in console if "Content Security Policy" in line or "Permissions-Policy" in line
                  or "Permissions policy" in line]
    assert complaints == []


def test_an_injected_inline_script_is_blocked_and_reported(page, live_server, caplog):
    watch(page)
    page.goto(live_server.url + reverse("home"))

    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.__injected = true;';
            document.body.appendChild(script);
        }"""
    )

    assert page.evaluate("window.__injected === undefined")
    assert any(v.startswith("script-src-elem inline") for v in page.evaluate("window.__violations"))
    # The browser posts a report to /csp-report/, which logs one line.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [r.getMessage() for r in caplog.records if "event=csp.violation" in r.getMessage()]
        if lines:
            break
        page.wait_for_timeout(200)
    assert lines, "no CSP report reached the log"
    assert "directive=script-src-elem" in lines[0]
    assert "blocked_uri=inline" in lines[0]
    assert "window.__injected" not in lines[0]


def test_the_site_refuses_to_be_framed_even_by_itself(page, live_server):
    page.goto(live_server.url + reverse("home"))
    page.set_content(f'<iframe src="{live_server.url}/" title="framed"></iframe>')  # same origin, even
    page.wait_for_timeout(1000)
    [framed] = [frame for frame in page.frames if frame != page.main_frame]
    assert framed.url.startswith("chrome-error://"), "frame-ancestors 'none' and X-Frame-Options DENY block it"
    assert "Common Ground" not in framed.content()
