"""The report `make soak` writes (docs/soak.md): its checks, verdicts and numbers.

`plan` is the `bench/soak.py` module itself, for its settings (MEMBERS, SECONDS, OUTAGE, ...).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from datetime import UTC, datetime

import redis_outage  # bench/redis_outage.py, beside this script

# The checks of check_database that must all be empty: nothing half-written.
HALF_WRITTEN = (
    "keys_without_comment",
    "comments_without_key",
    "comments_without_revision",
    "comments_without_follow",
    "threads_with_position_gaps",
)


def redis_numbers(events: list, soak_redis: redis_outage.RedisOutage, t0: float) -> list[str]:
    lines = []
    for phase in soak_redis.phases:
        if phase.ended is None:
            continue
        inside = [e for e in events if e.at <= phase.ended and e.at + e.seconds >= phase.began]
        answers: dict[str, int] = {}
        for event in inside:
            answers[str(event.status or "no answer")] = answers.get(str(event.status or "no answer"), 0) + 1
        gets = [e.seconds * 1000 for e in inside if e.method == "GET" and e.status == 200]
        lines.append(
            f"- Redis {phase.name} ({phase.began - t0:.1f} s to {phase.ended - t0:.1f} s): "
            f"{len(inside)} requests, answers {dict(sorted(answers.items()))}; "
            f"page load p50 {percentile(gets, 50):.0f} ms, p95 {percentile(gets, 95):.0f} ms."
        )
    return lines


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def write_report(
    plan,
    results,
    outage,
    t0: float,
    elapsed: float,
    recovered: bool,
    counters,
    checks: dict,
    soak_redis: redis_outage.RedisOutage,
    stale: list[str],
) -> None:
    events = sorted(results.events, key=lambda e: e.at)
    down_from = outage.stop_started
    first_after = next(
        (e.at for e in events if outage.started and e.at >= outage.started and 200 <= e.status < 400), None
    )
    down_to = first_after or outage.started

    def in_outage(event) -> bool:
        """The request was being served at some moment of the outage (a request that started just
        before the stop and was cut off by it counts too)."""
        if down_from is None or down_to is None:
            return False
        return event.at <= down_to and event.at + event.seconds >= down_from

    normal = [e for e in events if not in_outage(e)]
    during = [e for e in events if in_outage(e)]
    server_errors_normal = [e for e in normal if e.status >= 500 or e.status == 0]
    unstyled = [e for e in events if not e.styled]
    posts_normal = [e.seconds * 1000 for e in normal if e.method == "POST" and 200 <= e.status < 400]
    gets_normal = [e.seconds * 1000 for e in normal if e.method == "GET" and e.status == 200]
    statuses_during: dict[str, int] = {}
    for event in during:
        label = str(event.status) if event.status else "no answer"
        statuses_during[label] = statuses_during.get(label, 0) + 1
    recovery = (first_after - outage.started) if (first_after and outage.started) else None

    verdicts = [
        (
            "No server error outside the PostgreSQL outage (Redis phases included)",
            not server_errors_normal,
            f"{len(server_errors_normal)} errors",
        ),
        ("Every error page styled (503/500 page, no traceback)", not unstyled, f"{len(unstyled)} unstyled"),
        (
            "Every successful POST is exactly one stored comment",
            not checks["mismatched"] and not checks["duplicates"],
            f"{checks['succeeded_keys']} successful forms, {checks['comments']} comments stored, "
            f"{len(checks['mismatched'])} mismatched, {len(checks['duplicates'])} keys with two comments",
        ),
        (
            "Repeated POSTs land on the same comment",
            checks["repeats"] == checks["repeats_same_comment"],
            f"{checks['repeats_same_comment']} of {checks['repeats']} answered repeats"
            f" ({checks['repeats_refused']} more met the outage and got the 503 page)",
        ),
        (
            "Nothing half-written",
            not any(checks[k] for k in HALF_WRITTEN),
            "keys without comment {}, comments without key {}, without revision {}, without follow {}, "
            "threads with position gaps {}".format(*(len(checks[k]) for k in HALF_WRITTEN)),
        ),
        (
            "check_counters finds no drift",
            counters.returncode == 0,
            (counters.stdout.strip().splitlines() or ["(no output)"])[-1],
        ),
        (
            "Recovers by itself after PostgreSQL is back",
            recovered and (not plan.OUTAGE or recovery is not None),
            f"first success {recovery:.1f} s after PostgreSQL started" if recovery is not None else "n/a",
        ),
        ("Member problems (refused forms, missing form)", not results.problems, f"{len(results.problems)}"),
    ]
    verdicts += redis_outage.verdicts(soak_redis)
    verdicts.append(
        (
            "Nothing stale after: each discussion's newest comment shows for a reader and a member",
            not stale,
            "; ".join(stale[:5]) or f"{plan.THREADS} discussions checked",
        )
    )
    if plan.OUTAGE:
        verdicts.append(
            (
                "PostgreSQL outage ran as planned",
                not outage.error and outage.started is not None,
                outage.error or f"down {outage.start_started - outage.stopped:.1f} s",
            )
        )

    def rel(value):
        return f"{value - t0:.1f} s" if value is not None else "–"

    posts = [e for e in events if e.method == "POST"]
    lines = [
        "# Soak test: concurrent posting with a database outage and a Redis outage",
        "",
        f"Run by `make soak` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (bench/soak.py). "
        f"{plan.MEMBERS} members, {plan.SECONDS:.0f} s, {plan.THREADS} discussions, gunicorn "
        f"({os.environ.get('WEB_CONCURRENCY', '2')} workers × 4 threads, DEBUG off) and PostgreSQL on loopback, "
        f"{os.cpu_count()} CPU cores. "
        + (
            f"PostgreSQL stopped at {rel(outage.stop_started)} (`pg_ctlcluster --skip-systemctl-redirect "
            f"{plan.PG_VERSION} {plan.PG_CLUSTER} stop -m fast`), down from {rel(outage.stopped)} to "
            f"{rel(outage.start_started)}, started again by {rel(outage.started)}."
            if plan.OUTAGE
            else "No outage (SOAK_OUTAGE=0)."
        ),
        "",
        "| Check | Result | Detail |",
        "| --- | --- | --- |",
        *[f"| {name} | {'pass' if ok else 'FAIL'} | {detail} |" for name, ok, detail in verdicts],
        "",
        "## Numbers",
        "",
        f"- Requests: {len(events)} in {elapsed:.1f} s ({len(events) / elapsed:.0f}/s): "
        f"{sum(1 for e in events if e.method == 'GET')} page loads, {len(posts)} posts "
        f"({checks['repeats'] + checks['repeats_refused']} of them deliberate repeats of a successful post).",
        f"- Comments stored: {checks['comments']}; forms answered with success: {checks['succeeded_keys']}; "
        f"forms stored but never answered with success before the end (the member's retry was cut off): "
        f"{len(checks['committed_without_success_answer'])}.",
        f"- Outside the outage: POST p50 {percentile(posts_normal, 50):.0f} ms, "
        f"p95 {percentile(posts_normal, 95):.0f} ms, "
        f"p99 {percentile(posts_normal, 99):.0f} ms; page load p50 {percentile(gets_normal, 50):.0f} ms, "
        f"p95 {percentile(gets_normal, 95):.0f} ms.",
        f"- During the outage window ({rel(down_from)} to {rel(down_to)}): {len(during)} requests, answers "
        f"{dict(sorted(statuses_during.items()))}.",
        *redis_numbers(events, soak_redis, t0),
        f"- Posts answered with an error and sent again with the same form: "
        f"{sum(1 for e in posts if e.status >= 500 or e.status == 0)}.",
        "",
    ]
    if results.problems:
        lines += ["Member problems (first few):", "", *[f"- {p}" for p in results.problems[:10]], ""]
    lines += [
        "How to read it: the one-time key in every reply form is what makes a retried or repeated POST safe; "
        "a member whose post met the outage pressed Post again with the same form, and landed on the one "
        "comment it made. See docs/forum.md, “Reliability”.",
        "",
    ]
    plan.OUT_MD.write_text("\n".join(lines) + "\n")
    raw = plan.ROOT / "var" / "soak-events.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps({"t0": t0, "outage": outage.__dict__, "events": [e.__dict__ for e in events]}))
    plan.log(f"wrote {plan.OUT_MD}")
    for name, ok, detail in verdicts:
        plan.log(f"{'pass' if ok else 'FAIL'}: {name} ({detail})")
    if not all(ok for _name, ok, _detail in verdicts):
        sys.exit(1)
