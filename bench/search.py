"""Search latency on a seeded database: `DATABASE_URL=... python bench/search.py [--rounds N]`.

Runs a fixed mix of searches (common and rare words, phrases, with and without the theme, group,
tag and date filters) through the real search page, in-process (Django's test client: no network,
no gunicorn), anonymous and signed in, and prints p50/p95/p99 and each search's median, slowest first. The page
is measured whole: the query, the count, the snippets and the HTML. Prints one JSON line last.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    {"q": "waiting list"},
    {"q": "social care"},
    {"q": "discharge"},
    {"q": "transport"},
    {"q": "prehabilitation"},
    {"q": "\"shared care record\""},
    {"q": "independent sector capacity"},
    {"q": "workforce -training"},
    {"q": "carers"},
    {"q": "contracts"},
    {"q": "waiting list", "group": "nhs"},
    {"q": "social care", "group": "patient_public", "stance": "concern"},
    {"q": "discharge", "theme": "social-care-in-planning"},
    {"q": "transport", "date_from": "{recent}"},
    {"q": "data", "stance": "evidence", "date_from": "{older}", "date_to": "{recent}"},
    {"q": "planning", "theme": "clearing-the-backlog", "group": "icb"},
    {"group": "vcse", "stance": "question"},
    {"theme": "training-the-workforce", "date_from": "{recent}"},
]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from forum.demo.plan import DEMO_DOMAIN
    from forum.models import Comment

    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    newest = Comment.objects.order_by("-created_at").values_list("created_at", flat=True).first() or timezone.now()
    dates = {"{recent}": (newest - timedelta(days=30)).date().isoformat(),
             "{older}": (newest - timedelta(days=120)).date().isoformat()}
    urls = []
    for params in QUERIES:
        filled = {key: dates.get(value, value) for key, value in params.items()}
        urls.append("/search/?" + urlencode(filled))

    anonymous = Client(HTTP_HOST="127.0.0.1")
    member = Client(HTTP_HOST="127.0.0.1")
    member.force_login(User.objects.get(email=f"member@{DEMO_DOMAIN}"))
    for url in urls:  # warm the database's caches once, as a running site would have them
        anonymous.get(url)
        member.get(url)  # (and the member's first request records their session)

    timings: list[float] = []
    per_url: dict[str, list[float]] = {url: [] for url in urls}
    queries, busiest = 0, ""
    for _round in range(rounds):
        for client in (anonymous, member):
            for url in urls:
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (url, response.status_code)
                if len(captured.captured_queries) > queries:
                    queries, busiest = len(captured.captured_queries), url
                timings.append(elapsed)
                per_url[url].append(elapsed)
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    slowest = sorted(((statistics.median(v), u) for u, v in per_url.items()), reverse=True)
    result = {
        "comments": Comment.objects.count(),
        "searches": len(timings),
        "p50": round(cuts[49], 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
        "max_queries": queries,
        "max_queries_url": busiest,
        "slowest": [{"url": url, "median_ms": round(ms, 1)} for ms, url in slowest],
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
