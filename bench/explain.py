"""EXPLAIN ANALYZE of every query the busiest pages run, on a seeded PostgreSQL database.

    DATABASE_URL=postgres://.../cg_bench python bench/explain.py > /tmp/plans.md

Fetches each page in-process (Django's test client) as an anonymous reader and as the demo
member, with the page caches switched off so every query runs, then prints each SELECT's plan as
Markdown and a line per page saying whether any query read forum_comment (or another big table)
with a sequential scan. Exits with status 1 if one did.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIG_TABLES = ("forum_comment", "forum_notification", "forum_agreement", "forum_commentrevision",
              "forum_threadreadstate", "forum_threadfollow", "forum_mention")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from articles.models import Article
    from forum.cache import fragments
    from forum.cache import pages as cache_pages
    from forum.demo.plan import DEMO_DOMAIN
    from forum.models import Thread
    from forum.views import search as search_view

    cache_pages._anonymous_and_plain = lambda request: False  # no cached pages: every query runs
    fragments.comment_list_html = lambda *args: None
    search_view.shared_search_page = lambda readers, path, render: render()  # every search runs
    hot = Thread.objects.order_by("-last_position").first()
    pages = [
        ("Theme list", "/themes/"),
        ("Theme page", hot.theme.get_absolute_url()),
        ("Hot thread, page 1", hot.get_absolute_url()),
        ("Hot thread, page 150", hot.get_page_url(min(150, hot.num_pages))),
        ("Article page", Article.objects.order_by("position").first().get_absolute_url()),
        ("Search", "/search/?q=social+care"),
        ("Search with filters", "/search/?q=waiting+list&group=nhs&stance=concern"),
        ("Notifications", "/notifications/"),
    ]
    anonymous = Client(HTTP_HOST="127.0.0.1")
    member = Client(HTTP_HOST="127.0.0.1")
    member.force_login(User.objects.get(email=f"member@{DEMO_DOMAIN}"))
    member.get("/about/")
    failed = False
    for who, client in (("anonymous", anonymous), ("member", member)):
        for name, url in pages:
            if name == "Notifications" and who == "anonymous":
                continue
            client.get(url)  # warm: the first visit records reading positions
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            print(f"## {name} ({who}): `{url}` — {len(captured.captured_queries)} queries\n")
            scans = []
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    print(f"- not a SELECT ({query['time']} s): `{sql[:100]}…`\n")
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                for table in BIG_TABLES:
                    if re.search(rf"Seq Scan on {table}\b", plan):
                        scans.append(table)
                total = re.search(r"Execution Time: ([\d.]+) ms", plan)
                print(f"`{sql[:140]}…` — {total.group(1) if total else '?'} ms\n\n```\n{plan}\n```\n")
            verdict = f"sequential scans of {sorted(set(scans))}" if scans else "no sequential scan of a big table"
            print(f"**{name} ({who}): {verdict}.**\n")
            failed = failed or bool(scans)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
