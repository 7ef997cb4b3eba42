"""Time the benchmark's pages in-process, with Django's test client, for `bench/compare.py`.

Run with the working directory (and PYTHONPATH) of the checkout to measure and its production
environment; reads the pages as JSON on stdin ([{"name", "path", "signed_in", "email"}], as
bench_targets lists them) and prints one JSON line: for each page, the median milliseconds of a
request served as its reader (the demo account named by "email", or the demo member) sees it in
a steady state (warmed, past any settling time after signing in), the queries it ran and the
Python function calls it made (counted with cProfile). No network and no load generator: the time
is the application's own, so it varies far less than wrk's requests per second on a shared
machine, and the count of calls does not depend on the machine's load at all.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import sys
import time

REQUESTS = int(os.environ.get("BENCH_INPROCESS_REQUESTS", "60"))
CALL_SAMPLES = 10
SETTLE_WAIT = 6.0  # longer than any settling time after signing in, in either version


def main() -> None:
    import django

    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    pages = json.load(sys.stdin)
    clients = {None: Client(HTTP_HOST="127.0.0.1")}
    for page in pages:
        email = page.get("email") or ("member@demo.invalid" if page["signed_in"] else None)
        if email not in clients:
            clients[email] = Client(HTTP_HOST="127.0.0.1")
            clients[email].force_login(User.objects.get(email=email), backend=settings.AUTHENTICATION_BACKENDS[0])
            clients[email].get("/about/")
        page["client"] = clients[email]
    time.sleep(SETTLE_WAIT)
    found = {}
    for page in pages:
        client = page["client"]
        for _ in range(5):
            client.get(page["path"])
        with CaptureQueriesContext(connection) as queries:
            client.get(page["path"])
        count = len(queries)  # now: the next request clears the log
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(page["path"])
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                sys.exit(f"{page['name']}: {response.status_code}")
        calls = calls_per_request(client, page["path"])
        found[page["name"]] = {"ms": statistics.median(times), "queries": count, "calls": calls}
    print(json.dumps(found))


def calls_per_request(client, path: str) -> int:
    """The Python function calls one request makes, averaged over CALL_SAMPLES requests."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(CALL_SAMPLES):
        client.get(path)
    profile.disable()
    return round(pstats.Stats(profile).total_calls / CALL_SAMPLES)


if __name__ == "__main__":
    main()
