"""Benchmark of the theme brief: the HTML brief and its PDF for the hot theme (the theme of the
longest discussion), rendered in-process with Django's test client, as a planner would ask for
them. bench/run.py runs it and embeds its table.

Prints one JSON line last: {"Theme brief": "<markdown table>"}. Standalone:
`DATABASE_URL=... python bench/briefs.py` (settings come from the environment).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Theme brief"
REPEATS = 5
TARGETS = {"HTML": 1.0, "PDF": 3.0}  # seconds


def timed(client, url: str) -> tuple[list[float], int]:
    """Seconds for each of REPEATS requests (after one to warm up), and the response's size."""
    size = len(client.get(url).content)
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return seconds, size


def run() -> list[tuple[str, str, list[float], int]]:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from forum.briefs import pdf
    from forum.models import Thread

    hot = Thread.objects.order_by("-last_position", "pk").select_related("theme").first()
    if hot is None:
        raise SystemExit("No demo data here: run `manage.py seed_demo` first.")
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "127.0.0.1")
    rows = []
    for kind, name in (("HTML", "forum:theme_brief"), ("PDF", "forum:theme_brief_pdf")):
        if kind == "PDF" and not pdf.available():
            continue
        seconds, size = timed(client, reverse(name, kwargs={"slug": hot.theme.slug}))
        rows.append((kind, hot.theme.title, seconds, size))
    return rows


def table(rows) -> str:
    lines = [
        f"The brief of the hot theme, requested {REPEATS} times after one to warm up (in-process, "
        "no cache: every brief is made afresh).",
        "",
        "| Brief | Theme | Median s | Slowest s | Size KiB | Target | Met |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for kind, theme, seconds, size in rows:
        median = statistics.median(seconds)
        lines.append(f"| {kind} | {theme} | {median:.2f} | {max(seconds):.2f} | {size / 1024:.0f} | "
                     f"< {TARGETS[kind]:.0f} s | {'yes' if median < TARGETS[kind] else 'no'} |")
    if not any(kind == "PDF" for kind, *_rest in rows):
        lines.append("| PDF | – | – | – | – | < 3 s | not measured: WeasyPrint cannot be loaded here |")
    return "\n".join(lines)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(json.dumps({TITLE: table(run())}), flush=True)


if __name__ == "__main__":
    main()
