"""Post replies to the hot discussion through real HTTP, as a browser would, and time each POST.

For each reply: GET the discussion page, read the reply form's hidden fields (the CSRF token and
any one-time key), then POST the form and stop at the redirect. Prints one JSON line last:
{"count", "created", "p50", "p95", "p99"}, times in milliseconds, `created` counted in the
database (a double-posted or refused reply does not count).
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from accounts.models import User
from forum.demo.plan import DEMO_DOMAIN
from forum.models import Comment, Thread


class ReplyFormParser(HTMLParser):
    """Collects the hidden inputs of the form that posts to `action`."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.found = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("action") == self.action:
            self.inside = self.found = True
        elif tag == "input" and self.inside and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


class Browser:
    """One keep-alive connection with a cookie jar: just enough of a browser for the benchmark."""

    def __init__(self, base: str, cookies: dict[str, str]):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.cookies = dict(cookies)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": f"{self.host}:{self.port}"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()  # the server closed an idle keep-alive connection: open a new one
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content, dict(response.headers)


class Command(BaseCommand):
    help = "POST replies to the hot discussion over HTTP as a demo member and print the latencies as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--base", required=True, help="where the app runs, e.g. http://127.0.0.1:8765")
        parser.add_argument("--count", type=int, default=100, help="replies to post (default 100)")
        parser.add_argument("--email", default=f"member@{DEMO_DOMAIN}", help="the demo member who posts")
        parser.add_argument("--thread", type=int, help="the discussion to reply to (default the longest)")

    def handle(self, *args, base: str, count: int, email: str, thread: int | None, **options):
        member = User.objects.filter(email=email).first()
        threads = Thread.objects.filter(pk=thread) if thread else Thread.objects.order_by("-last_position")
        target = threads.first()
        if member is None or target is None:
            raise CommandError("No demo data here: run `manage.py seed_demo` first.")
        session = Client()
        session.force_login(member, backend=settings.AUTHENTICATION_BACKENDS[0])
        name = settings.SESSION_COOKIE_NAME
        browser = Browser(base, {name: session.cookies[name].value})
        page = target.get_absolute_url()
        action = f"/threads/{target.pk}/reply/"
        before = Comment.objects.filter(thread=target).count()
        timings: list[float] = []
        failures: list[str] = []
        for number in range(1, count + 1):
            status, html, _headers = browser.request("GET", page)
            for _attempt in range(10):  # the database restarting under a shared machine: wait, not fail
                if status != 503:
                    break
                time.sleep(1)
                status, html, _headers = browser.request("GET", page)
            form = ReplyFormParser(action)
            form.feed(html)
            if status != 200 or not form.found:
                raise CommandError(f"GET {page} answered {status} without a reply form; is {email} able to post?")
            fields = {
                **form.fields,
                "body": f"Benchmark reply {number}: the shared waiting list cut our cancellations this month.",
                "stance": "",
                "action": "post",
            }
            started = time.perf_counter()
            status, _body, headers = browser.request("POST", action, urlencode(fields))
            timings.append((time.perf_counter() - started) * 1000)
            if status != 302 or "#comment-" not in headers.get("Location", ""):
                failures.append(f"reply {number}: {status}")
        created = Comment.objects.filter(thread=target).count() - before
        for failure in failures[:5]:
            self.stderr.write(failure)
        cuts = statistics.quantiles(timings, n=100, method="inclusive") if len(timings) > 1 else timings * 99
        self.stdout.write(
            json.dumps(
                {"count": count, "created": created, "failed": len(failures), "p50": cuts[49], "p95": cuts[94],
                 "p99": cuts[98]}
            )
        )
