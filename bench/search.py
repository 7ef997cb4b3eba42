"""Search latency on a seeded database: `DATABASE_URL=... python bench/search.py [options]`.

Runs a fixed mix of searches (common and rare words, phrases, with and without the theme, group,
tag and date filters) through the real search page, in-process (Django's test client: no network,
no gunicorn), anonymous and signed in, and prints p50/p95/p99 and each search's median, slowest first. The page
is measured whole: the query, the count, the snippets and the HTML. Prints one JSON line last,
with the machine's speed before and after (`machine_ms`: a fixed Python loop's best time).

Options:
  --rounds N        times each search is run per reader (default 5)
  --concurrency N   N processes search at once, each with its own database connection, each
                    going through the searches in its own order (default 1)
  --worst           only the searches docs/performance.md names as the slowest (three common
                    words; narrow filters)
  --cold            a member posts a new comment holding the search's words before each search
                    (not timed), as on a busy forum: the kept pages are passed over and the
                    search's kept window takes the new comment in (the default measures what
                    readers get, where a repeated search comes from the cache)
  --fresh           renew the kept search windows before each search, as an edit, a new code
                    or a moderator's action does: every search is worked out afresh, on the
                    comments as they are (nothing is posted, so repeated runs measure the same
                    database; --cold's comments pile up among the newest and make the searches
                    for their words easier)
"""

from __future__ import annotations

import json
import multiprocessing
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
# The slowest kinds (docs/performance.md, "Search at 1,000,000 comments"): three common words, and
# a common word with narrow filters.
WORST = [
    {"q": "independent sector capacity"},
    {"q": "planning", "theme": "clearing-the-backlog", "group": "icb"},
    {"q": "social care", "group": "patient_public", "stance": "concern"},
]


def option(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    import django

    django.setup()


def search_urls(queries) -> list[str]:
    from datetime import timedelta

    from django.utils import timezone

    from forum.models import Comment

    newest = Comment.objects.order_by("-created_at").values_list("created_at", flat=True).first() or timezone.now()
    dates = {"{recent}": (newest - timedelta(days=30)).date().isoformat(),
             "{older}": (newest - timedelta(days=120)).date().isoformat()}
    return ["/search/?" + urlencode({k: dates.get(v, v) for k, v in params.items()}) for params in queries]


def clients():
    from django.test import Client

    from accounts.models import User
    from forum.demo.plan import DEMO_DOMAIN

    anonymous = Client(HTTP_HOST="127.0.0.1")
    member = Client(HTTP_HOST="127.0.0.1")
    member.force_login(User.objects.get(email=f"member@{DEMO_DOMAIN}"))
    return anonymous, member


def poster():
    """A function posting a new comment with a search's words in the busiest discussion, as
    another member than the one searching (what `--cold` does before each search)."""
    from urllib.parse import parse_qs, urlsplit

    from accounts.models import User
    from forum.demo.plan import DEMO_DOMAIN
    from forum.models import Thread
    from forum.posting.services import create_comment

    named = [f"{name}@{DEMO_DOMAIN}" for name in ("member", "moderator", "facilitator")]
    author = User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exclude(email__in=named).order_by("pk").first()
    thread = Thread.objects.order_by("-comment_count").first()

    def post(url: str) -> None:
        words = parse_qs(urlsplit(url).query).get("q", ["planning"])[0]
        create_comment(thread=thread, author=author, body=f"A new comment on {words}.", needs_approval=False)

    return post


def run(worker: int, urls: list[str], rounds: int, mode: str) -> dict:
    """One process's searches: (url, ms, queries) for each, in this worker's own order. `mode` is
    "" (as readers get them), "cold" or "fresh" (the options above)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config import versions
    from forum.cache.versions import SEARCH

    anonymous, member = clients()
    post = poster() if mode == "cold" else None
    for url in urls:  # warm the database's caches once, as a running site would have them
        anonymous.get(url)
        member.get(url)  # (and the member's first request records their session)
    # As on a running site, where the member signed in earlier: for a few seconds after signing in
    # their row and standing are read from the database (config.versions, settling).
    time.sleep(max(versions.DROP_SETTLE_SECONDS, versions.SETTLE_SECONDS))
    shift = worker % len(urls)
    order = urls[shift:] + urls[:shift]
    timings = []
    for _round in range(rounds):
        for client in (anonymous, member):
            for url in order:
                if post is not None:
                    post(url)  # the kept pages are passed over; the kept window takes it in
                if mode == "fresh":
                    versions.replace([SEARCH])  # as an edit or a moderator's action does
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (url, response.status_code)
                timings.append((url, elapsed, len(captured.captured_queries)))
    return {"timings": timings}


def _worker(args) -> dict:
    setup()
    return run(*args)


def run_at_once(concurrency: int, urls: list[str], rounds: int, mode: str) -> list[tuple]:
    """`concurrency` processes searching together; each opens its own database connection."""
    from django.db import connections

    connections.close_all()  # the children must not share the parent's connection
    jobs = [(worker, urls, rounds, mode) for worker in range(concurrency)]
    with multiprocessing.get_context("spawn").Pool(concurrency) as pool:
        results = pool.map(_worker, jobs)
    return [timing for result in results for timing in result["timings"]]


def machine_ms() -> float:
    """The best of five runs of a fixed pure-Python loop, in ms: how fast this machine runs Python
    now, for comparing runs made at other times (a shared host's speed here varied about twofold
    within an hour on 6 December)."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        sum(number * number for number in range(100_000))
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 2)


def summary(timings: list[tuple], concurrency: int, mode: str) -> dict:
    from forum.models import Comment

    elapsed = [ms for _url, ms, _queries in timings]
    cuts = statistics.quantiles(elapsed, n=100, method="inclusive")
    per_url: dict[str, list[float]] = {}
    for url, ms, _queries in timings:
        per_url.setdefault(url, []).append(ms)
    busiest = max(timings, key=lambda timing: timing[2])
    slowest = sorted(((statistics.median(v), u) for u, v in per_url.items()), reverse=True)
    return {
        "comments": Comment.objects.count(),
        "concurrency": concurrency,
        "mode": mode or "as readers get them",
        "searches": len(elapsed),
        "p50": round(cuts[49], 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
        "max_queries": busiest[2],
        "max_queries_url": busiest[0],
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "slowest": [{"url": url, "median_ms": round(ms, 1)} for ms, url in slowest],
    }


def main() -> None:
    setup()
    rounds = option("--rounds", 5)
    concurrency = option("--concurrency", 1)
    mode = "fresh" if "--fresh" in sys.argv else "cold" if "--cold" in sys.argv else ""
    urls = search_urls(WORST if "--worst" in sys.argv else QUERIES)
    before = machine_ms()
    timings = run_at_once(concurrency, urls, rounds, mode) if concurrency > 1 else run(0, urls, rounds, mode)["timings"]
    figures = summary(timings, concurrency, mode)
    figures["machine_ms"] = [before, machine_ms()]  # before and after
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
