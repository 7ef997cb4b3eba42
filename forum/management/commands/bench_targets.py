"""What `make bench` measures: the pages, a signed-in demo member's cookie, the data's size and each
page's query count. Prints one JSON line last (bench/run.py reads it)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.templatetags.static import static
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from articles.models import Article
from config import versions
from forum.cache.versions import renew_everything
from forum.demo.plan import DEMO_DOMAIN
from forum.models import Agreement, Comment, MapEntry, MapLink, Notification, Thread

SEARCH = "/search/?q=waiting+list"
DEEP_PAGE = 150


class Command(BaseCommand):
    help = "Print the benchmark's pages, a demo member's session cookie, data counts and query counts as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Host header for the query-count requests")
        parser.add_argument("--email", default=f"member@{DEMO_DOMAIN}", help="the signed-in demo member")

    def handle(self, *args, host: str, email: str, **options):
        hot = Thread.objects.order_by("-last_position", "pk").first()
        member = User.objects.filter(email=email).first()
        article = Article.objects.order_by("position", "pk").first()
        if hot is None or member is None or article is None:
            raise CommandError("No demo data here: run `manage.py seed_demo` first.")
        deep = min(DEEP_PAGE, hot.num_pages)
        paths = {
            "theme": hot.theme.get_absolute_url(),
            "hot": hot.get_absolute_url(),
            "deep": hot.get_page_url(deep),
            "article": article.get_absolute_url(),
        }
        targets = [
            ("Control: trivial view", "/bench/trivial/", False),
            ("Control: static file", static("build/main.css"), False),
            ("Home", reverse("home"), False),
            ("Theme list", reverse("forum:theme_list"), False),
            ("Theme page", paths["theme"], False),
            ("Hot thread, page 1", paths["hot"], False),
            (f"Hot thread, page {DEEP_PAGE}", paths["deep"], False),
            ("Hot thread, page 1 (member)", paths["hot"], True),
            (f"Hot thread, page {DEEP_PAGE} (member)", paths["deep"], True),
            ("Theme page (member)", paths["theme"], True),
            ("Article page", paths["article"], False),
            ("Article page (member)", paths["article"], True),
            ("Search", SEARCH, False),
            ("Search (member)", SEARCH, True),
            ("Notifications (member)", reverse("forum:notifications"), True),
            ("Planning map", reverse("forum:map"), False),
            ("Planning map (member)", reverse("forum:map"), True),
        ]

        anonymous = Client(HTTP_HOST=host)
        signed_in = Client(HTTP_HOST=host)
        signed_in.force_login(member, backend=settings.AUTHENTICATION_BACKENDS[0])
        cookie = f"{settings.SESSION_COOKIE_NAME}={signed_in.cookies[settings.SESSION_COOKIE_NAME].value}"
        signed_in.get(reverse("home"))  # the first signed-in request records the session (allauth)

        # Count each page uncached, then as served from the cache (stored at once, here only).
        versions.SETTLE_SECONDS = 0.0
        renew_everything()
        queries = {}
        for name, path, member_only in targets:
            client = signed_in if member_only else anonymous
            first = _count(client, path)
            again = _count(client, path)
            queries[name] = str(again) if first == again else f"{again} ({first} uncached)"

        counts = {
            "members": User.objects.count(),
            "threads": Thread.objects.count(),
            "comments": Comment.objects.count(),
            "hot_thread_comments": hot.last_position,
            "agreements": Agreement.objects.count(),
            "notifications": Notification.objects.count(),
            "needs_and_offers": MapEntry.objects.count(),
            "map_links": MapLink.objects.count(),
        }
        self.stdout.write(
            json.dumps(
                {
                    "targets": [{"name": name, "path": path, "signed_in": member_only}
                                for name, path, member_only in targets],
                    "cookie": cookie,
                    "counts": counts,
                    "queries": queries,
                    "hot_thread": hot.pk,
                }
            )
        )


def _count(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise CommandError(f"{path} answered {response.status_code}; the benchmark needs every page to work.")
    return len(captured.captured_queries)
