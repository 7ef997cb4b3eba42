"""What `make bench` measures: the pages, each with the kind of reader who asks for it, a session
cookie for each kind of signed-in reader, the data's size and each page's query count. Prints one
JSON line last (bench/run.py and bench/compare.py read it).

Readers: "anonymous"; "member" (the demo member); "moderator" (the demo moderator, who sees what
moderators see); "notifications member" (a demo member holding 10,000 notifications, made here
once by forum.demo.busy, since the seeded members hold only a few dozen each)."""

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
from forum.demo.busy import NOTIFICATIONS, ensure_busy_member
from forum.demo.plan import DEMO_DOMAIN
from forum.models import Agreement, Comment, MapEntry, MapLink, Notification, Thread
from forum.standing import is_moderator

SEARCH = "/search/?q=waiting+list"
DEEP_PAGE = 150
ANONYMOUS, MEMBER, MODERATOR, BUSY = "anonymous", "member", "moderator", "notifications member"


class Command(BaseCommand):
    help = "Print the benchmark's pages, readers' session cookies, data counts and query counts as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Host header for the query-count requests")
        parser.add_argument("--email", default=f"member@{DEMO_DOMAIN}", help="the signed-in demo member")
        parser.add_argument("--moderator", default=f"moderator@{DEMO_DOMAIN}", help="the signed-in demo moderator")
        parser.add_argument("--notifications", type=int, default=NOTIFICATIONS,
                            help="how many notifications the busy demo member holds")

    def handle(self, *args, host: str, email: str, moderator: str, notifications: int, **options):
        hot = Thread.objects.order_by("-last_position", "pk").first()
        article = Article.objects.order_by("position", "pk").first()
        people = {MEMBER: User.objects.filter(email=email).first(),
                  MODERATOR: User.objects.filter(email=moderator).first()}
        if hot is None or article is None or None in people.values():
            raise CommandError("No demo data here: run `manage.py seed_demo` first.")
        if not is_moderator(people[MODERATOR]):
            raise CommandError(f"{moderator} is not a moderator; the moderator's page would measure a member's.")
        people[BUSY], held = ensure_busy_member(count=notifications)
        deep = min(DEEP_PAGE, hot.num_pages)
        paths = {
            "theme": hot.theme.get_absolute_url(),
            "hot": hot.get_absolute_url(),
            "deep": hot.get_page_url(deep),
            "article": article.get_absolute_url(),
        }
        notifications_page = reverse("forum:notifications")
        targets = [
            ("Control: trivial view", "/bench/trivial/", ANONYMOUS),
            ("Control: static file", static("build/main.css"), ANONYMOUS),
            ("Home", reverse("home"), ANONYMOUS),
            ("Theme list", reverse("forum:theme_list"), ANONYMOUS),
            ("Theme page", paths["theme"], ANONYMOUS),
            ("Hot thread, page 1", paths["hot"], ANONYMOUS),
            (f"Hot thread, page {DEEP_PAGE}", paths["deep"], ANONYMOUS),
            ("Hot thread, page 1 (member)", paths["hot"], MEMBER),
            (f"Hot thread, page {DEEP_PAGE} (member)", paths["deep"], MEMBER),
            ("Hot thread, page 1 (moderator)", paths["hot"], MODERATOR),
            ("Theme page (member)", paths["theme"], MEMBER),
            ("Article page", paths["article"], ANONYMOUS),
            ("Article page (member)", paths["article"], MEMBER),
            ("Search", SEARCH, ANONYMOUS),
            ("Search (member)", SEARCH, MEMBER),
            ("Notifications (member)", notifications_page, MEMBER),
            (f"Notifications (member with {held:,} notifications)", notifications_page, BUSY),
            ("Planning map", reverse("forum:map"), ANONYMOUS),
            ("Planning map (member)", reverse("forum:map"), MEMBER),
        ]

        clients = {ANONYMOUS: Client(HTTP_HOST=host)}
        cookies = {}
        for reader, person in people.items():
            client = clients[reader] = Client(HTTP_HOST=host)
            client.force_login(person, backend=settings.AUTHENTICATION_BACKENDS[0])
            client.get(reverse("home"))  # the first signed-in request records the session (allauth)
            # What a browser sends from its second page on: the session and the CSRF cookie the
            # first page set (without it, every request would make and set a new CSRF secret).
            sent = [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME]
            cookies[reader] = "; ".join(f"{name}={client.cookies[name].value}" for name in sent
                                        if name in client.cookies)

        # Count each page uncached, then as served from the cache (stored at once, here only).
        versions.SETTLE_SECONDS = 0.0
        renew_everything()
        queries = {}
        for name, path, reader in targets:
            client = clients[reader]
            first = _count(client, path)
            _count(client, path)  # a signed-in reader's first visit records what they read
            again = _count(client, path)
            queries[name] = str(again) if first == again else f"{again} ({first} uncached)"

        counts = {
            "members": User.objects.count(),
            "threads": Thread.objects.count(),
            "comments": Comment.objects.count(),
            "hot_thread_comments": hot.last_position,
            "agreements": Agreement.objects.count(),
            "notifications": Notification.objects.count(),
            "busy_member_notifications": held,
            "needs_and_offers": MapEntry.objects.count(),
            "map_links": MapLink.objects.count(),
        }
        self.stdout.write(
            json.dumps(
                {
                    # `signed_in` and `cookie` (the member's) for readers of the earlier format,
                    # such as an older checkout's bench/compare.py.
                    "targets": [
                        {"name": name, "path": path, "reader": reader, "signed_in": reader != ANONYMOUS,
                         **({"email": people[reader].email} if reader != ANONYMOUS else {})}
                        for name, path, reader in targets
                    ],
                    "cookies": cookies,
                    "cookie": cookies[MEMBER],
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
