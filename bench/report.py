"""docs/benchmarks.md and docs/benchmarks.svg from `make bench`'s measurements (bench/run.py):
the pages' table, the quiet-machine check and issue #20's targets."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

READERS = {
    "anonymous": "no",
    "member": "member",
    "moderator": "moderator",
    "notifications member": "member with a full inbox",
}
TRIVIAL = "Control: trivial view"
# Worker memory is flat when, after warm-up, no worker grows by RSS_GROWTH_SHARE of its size or by
# RSS_GROWTH_MIB: caches filling up during warm-up are expected, growth after it is a leak.
RSS_GROWTH_SHARE = 0.25
RSS_GROWTH_MIB = 40
ANONYMOUS_PAGES = ["Home", "Theme list", "Theme page", "Hot thread, page 1", "Hot thread, page 150",
                   "Article page", "Planning map"]


def versions() -> str:
    import django

    pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
                        capture_output=True, text=True).stdout.strip()
    return f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {pg or 'unknown'}"


def reader_label(target: dict) -> str:
    reader = target.get("reader") or ("member" if target.get("signed_in") else "anonymous")
    return READERS.get(reader, reader)


def write_report(path: Path, targets, summary, post, info, rss, quiet, meta, extra) -> None:
    queries = info.get("queries", {})
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"Command: `make bench BENCH_SCALE={meta['scale']} BENCH_SECONDS={meta['seconds']} "
        f"BENCH_REPS={meta['reps']}` ({meta['reps']} repetition{'s' if meta['reps'] != 1 else ''} per page, "
        "pages in a shuffled order each time; "
        f"each page's {meta['seconds']:g} s run right after a {meta['control_seconds']:g} s run of the trivial "
        f"view; {meta['connections']} connections; load generator: wrk).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}. "
        f"{versions()}. gunicorn with {os.environ.get('WEB_CONCURRENCY', '2')} workers, DEBUG off, WhiteNoise, "
        f"{meta['cache']}.",
        "",
        f"Data: `seed_demo --scale {meta['scale']}` — {info.get('counts', {})}; seeding took "
        f"{meta['seed_seconds']:.0f} s.",
        "",
        "Ratio = the page's requests/s ÷ the trivial view's requests/s in the run just before it; the table "
        "gives the median over the repetitions and, beside it, the lowest and highest. A run is *disturbed* when "
        f"other processes used more than {meta['quiet_limit']:g}% of one core while it ran (bench/honesty.py); "
        f"a disturbed pair is measured again, up to {meta['retries']} times, and the quietest pair is kept. "
        "Quiet = how many of the kept repetitions come from quiet runs; Disturbed = disturbed runs of all runs.",
        "",
        "| Page | Signed in | Median req/s | Spread req/s | Ratio to trivial | Ratio spread | p50 ms | p95 ms "
        "| p99 ms | Errors | Queries | Quiet | Disturbed |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target in targets:
        s = summary[target["name"]]
        lines.append(
            f"| {target['name']} | {reader_label(target)} | {s['rps_median']:.0f} | "
            f"{s['rps_min']:.0f}–{s['rps_max']:.0f} | {s['ratio_median']:.2f} | "
            f"{s['ratio_min']:.2f}–{s['ratio_max']:.2f} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} | "
            f"{s['errors']} | {queries.get(target['name'], '–')} | {s['quiet_kept']} of {s['kept']} | "
            f"{s['disturbed']} of {s['runs']} |"
        )
    growth = rss_growth(rss)
    lines += [
        "",
        f"The trivial view's row gathers its runs before every page ({summary[TRIVIAL]['kept']} of them).",
        "",
        f"Posting a reply (POST + redirect, sequential, {post.get('count')} replies): "
        f"p50 {post.get('p50', 0):.1f} ms, p95 {post.get('p95', 0):.1f} ms, p99 {post.get('p99', 0):.1f} ms; "
        f"{post.get('created')} comments created for {post.get('count')} successful posts.",
        "",
        f"Worker memory (RSS, MiB per worker): at start {_mib(rss['start'])}, after warm-up {_mib(rss['warm'])}, "
        f"after the run and the replies {_mib(rss['end'])}; largest growth after warm-up "
        f"{growth['mib']:+.1f} MiB ({growth['share']:+.0%}){growth['note']}.",
        "",
    ]
    lines += quiet_section(summary, quiet, meta)
    lines += targets_section(summary, post, growth, targets)
    for title, body in extra.items():
        lines += [f"## {title}", "", body, ""]
    path.write_text("\n".join(lines) + "\n")
    write_svg([(t["name"], summary[t["name"]]["rps_median"]) for t in targets], path.with_suffix(".svg"))


def _mib(sizes: dict) -> str:
    return ", ".join(f"{kib / 1024:.0f}" for kib in sizes.values()) or "–"


def rss_growth(rss: dict) -> dict:
    """The largest growth of a worker from after warm-up to the end of the run, in MiB and as a
    share of its size after warm-up (each the largest over the workers)."""
    worst = {"mib": 0.0, "share": 0.0, "note": ""}
    for pid, warm in rss["warm"].items():
        if pid not in rss["end"]:
            worst["note"] = "; a worker was replaced during the run, so its growth is not known"
            continue
        grown = rss["end"][pid] - warm
        worst["mib"] = max(worst["mib"], grown / 1024)
        worst["share"] = max(worst["share"], grown / warm)
    return worst


def quiet_section(summary, quiet, meta) -> list[str]:
    runs = sum(s["runs"] for name, s in summary.items() if name != TRIVIAL)
    disturbed = sum(s["disturbed"] for name, s in summary.items() if name != TRIVIAL)
    kept = sum(s["kept"] for name, s in summary.items() if name != TRIVIAL)
    kept_quiet = sum(s["quiet_kept"] for name, s in summary.items() if name != TRIVIAL)
    limit = meta["quiet_limit"]
    idle_loud = [when for when in ("before", "after") if not quiet[when]["quiet"]]
    if disturbed == 0 and not idle_loud:
        verdict = "**The machine was quiet**: no run was disturbed."
    else:
        verdict = (f"**The machine was not quiet during {disturbed} of {runs} runs**; "
                   f"{kept - kept_quiet} of the {kept} repetitions kept are from disturbed runs, so their "
                   "figures and ratios understate the pages.")
        if idle_loud:
            verdict += f" Other processes were busy {' and '.join(idle_loud)} the run too."
    return [
        "## Quiet-machine check",
        "",
        f"Other CPU = the machine's busy time minus the time of the benchmark's own processes (gunicorn's master "
        f"and workers, wrk, PostgreSQL's server and the backends of this database, Redis), in percent of one "
        f"core ({meta['cores']} cores). A run is quiet when it stays at or below {limit:g}%. A run here is a "
        "trivial-view run and the page's run after it.",
        "",
        "| When | Load average (1, 5, 15 min) | Other CPU | Benchmark's CPU |",
        "| --- | --- | ---: | ---: |",
        f"| Before (3 s, server idle) | {quiet['before']['load']} | {quiet['before']['other_cpu']:.0f}% | "
        f"{quiet['before']['our_cpu']:.0f}% |",
        f"| While measuring the pages (average) | – | {quiet['during']['other_cpu']:.0f}% | "
        f"{quiet['during']['our_cpu']:.0f}% |",
        f"| After (3 s, server idle) | {quiet['after']['load']} | {quiet['after']['other_cpu']:.0f}% | "
        f"{quiet['after']['our_cpu']:.0f}% |",
        "",
        f"Runs: {runs}, of which {disturbed} disturbed and measured again where retries were left "
        f"(up to {meta['retries']} per repetition); {kept_quiet} of the {kept} repetitions kept come from quiet "
        "runs.",
        "",
        verdict,
        "",
    ]


def targets_section(summary, post, growth, targets) -> list[str]:
    """Issue #20's goals, each with the measured figure and, when missed, by how much."""
    by_reader = {t.get("reader"): t["name"] for t in targets}
    busy = by_reader.get("notifications member", "Notifications (member with 10,000 notifications)")
    goals = [
        ("Hot thread, page 1 (member)", 0.30),
        ("Hot thread, page 150 (member)", 0.30),
        ("Theme page (member)", 0.30),
        ("Article page (member)", 0.30),
        ("Hot thread, page 1 (moderator)", 0.10),
        (busy, 0.20),
        ("Search", 0.15),
        ("Search (member)", 0.15),
        *((name, 0.80) for name in ANONYMOUS_PAGES),
    ]
    lines = [
        "## Targets (issue #20)",
        "",
        "Ratios are the medians above. Quiet = how many of the repetitions behind the figure come from quiet "
        "runs; a goal counts as met on a quiet machine only when all do.",
        "",
        "| Target | Measured | Met | Quiet |",
        "| --- | ---: | --- | ---: |",
    ]
    for name, goal in goals:
        s = summary.get(name)
        if s is None:
            lines.append(f"| {name} ≥ {goal:.2f} × trivial | not measured | no | – |")
            continue
        value = s["ratio_median"]
        met = "yes" if value >= goal else f"no, short by {goal - value:.2f}"
        lines.append(f"| {name} ≥ {goal:.2f} × trivial | {value:.2f} ({s['ratio_min']:.2f}–{s['ratio_max']:.2f}) "
                     f"| {met} | {s['quiet_kept']} of {s['kept']} |")
    p95 = post.get("p95", math.nan)
    met = "yes" if p95 < 50 else f"no, {p95 - 50:.1f} ms over"
    lines.append(f"| Reply POST p95 < 50 ms | {p95:.1f} ms | {met} | – |")
    flat = growth["share"] < RSS_GROWTH_SHARE and growth["mib"] < RSS_GROWTH_MIB and not growth["note"]
    over = max(growth["share"] - RSS_GROWTH_SHARE, 0)
    lines.append(
        f"| Worker RSS flat: each worker grows by less than {RSS_GROWTH_SHARE:.0%} and less than "
        f"{RSS_GROWTH_MIB} MiB from after warm-up to the end | {growth['mib']:+.1f} MiB ({growth['share']:+.0%}) "
        f"| {'yes' if flat else ('no, not known' if growth['note'] else f'no, {over:.0%} over')} | – |"
    )
    lines += ["", "Why a target is missed and what would meet it, and search at a million comments: "
              "[performance.md](performance.md).", ""]
    return lines


def write_svg(rows: list[tuple[str, float]], path: Path) -> None:
    """A plain horizontal bar chart of median requests per second (no plotting library needed)."""
    width, bar_h, gap, left = 760, 22, 8, 320
    top = 40
    height = top + len(rows) * (bar_h + gap) + 20
    peak = max((v for _, v in rows), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="t"><title id="t">Median requests per second by page</title>',
        '<style>text{font:13px system-ui,sans-serif;fill:#212b32}</style>',
        '<text x="10" y="24" style="font-weight:600">Median requests per second (higher is better)</text>',
    ]
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1, int((width - left - 80) * value / peak))
        parts.append(f'<text x="10" y="{y + 16}">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" fill="#005eb8"/>')
        parts.append(f'<text x="{left + w + 6}" y="{y + 16}">{value:.0f}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")
