"""`make bench`: measure the app the way production runs it, and write docs/benchmarks.md.

Starts gunicorn (DEBUG off, WhiteNoise, PostgreSQL, Redis when reachable) on loopback, seeds demo
data at BENCH_SCALE, warms up, then measures each page with wrk in several interleaved
repetitions. Each page is reported as a ratio to a trivial view measured in the same run, because
the machine is shared and noisy: ratios are what we compare over time.

Environment: BENCH_SCALE (default 10), BENCH_SECONDS per measurement (default 10), BENCH_REPS
(default 3), BENCH_CONNECTIONS (default 8), BENCH_PORT (default 8765), BENCH_DATABASE_URL.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from serverenv import production_env  # bench/serverenv.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SCALE = os.environ.get("BENCH_SCALE", "10")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DB_NAME = os.environ.get("BENCH_DB_NAME", "cg_bench")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
BASE = f"http://127.0.0.1:{PORT}"
OUT_MD = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "benchmarks.md"))
OUT_SVG = OUT_MD.with_suffix(".svg")


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def server_env() -> dict[str, str]:
    overrides = {"BENCHMARK_ENDPOINTS": "true", "DISABLE_RATE_LIMITS": "true"}
    if os.environ.get("BENCH_SECRET_KEY"):
        overrides["SECRET_KEY"] = os.environ["BENCH_SECRET_KEY"]
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    return production_env(base_url=BASE, database_url=DATABASE_URL, redis_url=redis_url, **overrides)


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    log("wrk not found; installing Debian's wrk package")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
    path = shutil.which("wrk")
    if not path:
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
        path = shutil.which("wrk")
    if not path:
        sys.exit("wrk is needed for the benchmark (apt-get install wrk).")
    return path


def recreate_database() -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME], check=True)


def start_server(env: dict, *, port: int = PORT, tree: Path = ROOT) -> subprocess.Popen:
    """gunicorn serving `tree` on `port` as production does, once its health check answers."""
    command = [str(Path(PY).parent / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    if (tree / "config" / "gunicorn.py").exists():
        command += ["--config", "python:config.gunicorn"]
    # Production recycles each worker after about 2,000 requests; at a thousand requests a second
    # that would restart every worker every few seconds and measure Python's start-up, not the pages.
    command += ["--max-requests", "0"]
    proc = subprocess.Popen(command, cwd=tree, env=env, start_new_session=True)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return proc
        except Exception:
            time.sleep(0.3)
    proc.kill()
    sys.exit("gunicorn did not start")


def worker_rss_kib(master: subprocess.Popen) -> list[int]:
    """Resident memory of each gunicorn worker (children of the master)."""
    sizes = []
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    for pid in children.read_text().split() if children.exists() else []:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]))
    return sizes


def run_wrk(wrk: str, url: str, seconds: int, cookie: str | None) -> dict:
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(ROOT / "bench" / "report.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("{"))
    data = json.loads(line)
    data["rps"] = data["requests"] / (data["duration_us"] / 1_000_000)
    return data


def measure_pages(wrk: str, targets: list[dict], cookie: str) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {t["name"]: [] for t in targets}
    rng = random.Random(1)
    for rep in range(REPS):
        order = targets[:]
        rng.shuffle(order)
        log(f"repetition {rep + 1}/{REPS}")
        for target in order:
            data = run_wrk(wrk, BASE + target["path"], SECONDS, cookie if target["signed_in"] else None)
            results[target["name"]].append(data)
    return results


def summarise(results: dict[str, list[dict]]) -> dict[str, dict]:
    summary = {}
    for name, runs in results.items():
        rps = [r["rps"] for r in runs]
        summary[name] = {
            "rps_median": statistics.median(rps),
            "rps_min": min(rps),
            "rps_max": max(rps),
            "p50": statistics.median(r["p50"] for r in runs),
            "p95": statistics.median(r["p95"] for r in runs),
            "p99": statistics.median(r["p99"] for r in runs),
            "errors": sum(r["errors"] + r["non2xx3xx"] for r in runs),
        }
    return summary


def write_svg(rows: list[tuple[str, float]], path: Path) -> None:
    """A plain horizontal bar chart of median requests per second (no plotting library needed)."""
    width, bar_h, gap, left = 760, 22, 8, 280
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


def versions() -> str:
    import django

    pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
                        capture_output=True, text=True).stdout.strip()
    return f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {pg or 'unknown'}"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    wrk = ensure_wrk()
    env = server_env()
    log(f"database {DATABASE_URL}, scale {SCALE}, {REPS} x {SECONDS}s per page, {CONNECTIONS} connections")
    recreate_database()
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")
    manage(env, "import_articles")
    manage(env, "load_themes")
    manage(env, "load_journey")
    started = time.monotonic()
    manage(env, "seed_demo", "--scale", SCALE, "--seed", "1")
    seed_seconds = time.monotonic() - started
    info = json.loads(manage(env, "bench_targets", capture=True).strip().splitlines()[-1])
    targets = info["targets"]
    cookie = info["cookie"]

    server = start_server(env)
    try:
        rss_start = worker_rss_kib(server)
        log("warming up")
        for target in targets:
            run_wrk(wrk, BASE + target["path"], 1, cookie if target["signed_in"] else None)
        results = measure_pages(wrk, targets, cookie)
        post = json.loads(manage(env, "bench_reply", "--base", BASE, "--count", str(max(30, SECONDS * 10)),
                                 capture=True).strip().splitlines()[-1])
        rss_end = worker_rss_kib(server)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    summary = summarise(results)
    extra = {}
    for script in ("extra.py", "briefs.py"):  # fan-out and digests; the theme brief
        extra_path = ROOT / "bench" / script
        if extra_path.exists():
            extra.update(json.loads(subprocess.run([PY, str(extra_path)], cwd=ROOT, env=env, capture_output=True,
                                                   text=True, check=True).stdout.strip().splitlines()[-1]))
    write_report(targets, summary, post, info, rss_start, rss_end, seed_seconds, extra)
    log(f"wrote {OUT_MD} and {OUT_SVG}")
    # The CI smoke run relies on this: a page that fails or a reply that is lost fails the run.
    problems = [f"{name}: {s['errors']} errors or non-2xx answers" for name, s in summary.items() if s["errors"]]
    if post.get("created") != post.get("count") or post.get("failed"):
        problems.append(f"replies: {post.get('created')} created of {post.get('count')} posted")
    if problems:
        sys.exit("Benchmark problems:\n  " + "\n  ".join(problems))


def write_report(targets, summary, post, info, rss_start, rss_end, seed_seconds, extra) -> None:
    trivial = summary["Control: trivial view"]["rps_median"] or 1
    queries = info.get("queries", {})
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"Command: `make bench BENCH_SCALE={SCALE} BENCH_SECONDS={SECONDS}` "
        f"({REPS} interleaved repetitions per page, {CONNECTIONS} connections, load generator: wrk).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}. "
        f"{versions()}. gunicorn with {os.environ.get('WEB_CONCURRENCY', '2')} workers, DEBUG off, WhiteNoise, "
        f"{'Redis cache' if 'REDIS_URL' in server_env() else 'local-memory cache'}.",
        "",
        f"Data: `seed_demo --scale {SCALE}` — {info.get('counts', {})}; seeding took {seed_seconds:.0f} s.",
        "",
        "Ratio = median requests/s of the page ÷ median requests/s of the trivial view in the same run. "
        "Spread is the lowest and highest of the repetitions.",
        "",
        "| Page | Signed in | Median req/s | Spread req/s | Ratio to trivial | p50 ms | p95 ms | p99 ms "
        "| Errors | Queries |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target in targets:
        s = summary[target["name"]]
        lines.append(
            f"| {target['name']} | {'yes' if target['signed_in'] else 'no'} | {s['rps_median']:.0f} | "
            f"{s['rps_min']:.0f}–{s['rps_max']:.0f} | {s['rps_median'] / trivial:.2f} | {s['p50']:.1f} | "
            f"{s['p95']:.1f} | {s['p99']:.1f} | {s['errors']} | {queries.get(target['name'], '–')} |"
        )
    lines += [
        "",
        f"Posting a reply (POST + redirect, sequential, {post.get('count')} replies): "
        f"p50 {post.get('p50', 0):.1f} ms, p95 {post.get('p95', 0):.1f} ms, p99 {post.get('p99', 0):.1f} ms; "
        f"{post.get('created')} comments created for {post.get('count')} successful posts.",
        "",
        f"Worker memory (RSS, KiB per worker): at start {rss_start}, after the run {rss_end}.",
        "",
    ]
    lines += targets_section(summary, post)
    for title, body in extra.items():
        lines += [f"## {title}", "", body, ""]
    OUT_MD.write_text("\n".join(lines) + "\n")
    write_svg([(t["name"] + (" (signed in)" if t["signed_in"] else ""), summary[t["name"]]["rps_median"])
               for t in targets], OUT_SVG)


def targets_section(summary, post) -> list[str]:
    trivial = summary["Control: trivial view"]["rps_median"] or 1

    def ratio(name):
        return summary[name]["rps_median"] / trivial if name in summary else float("nan")

    checks = [
        ("Hot thread page 1, anonymous ≥ 0.30 × trivial", ratio("Hot thread, page 1"), 0.30),
        ("Hot thread page 1, signed in ≥ 0.15 × trivial", ratio("Hot thread, page 1 (member)"), 0.15),
        ("Theme page, anonymous ≥ 0.30 × trivial", ratio("Theme page"), 0.30),
        ("Planning map, anonymous ≥ 0.30 × trivial", ratio("Planning map"), 0.30),
        ("Planning map, signed in ≥ 0.10 × trivial", ratio("Planning map (member)"), 0.10),
    ]
    lines = ["## Targets", "", "| Target | Measured | Met |", "| --- | ---: | --- |"]
    for label, value, goal in checks:
        lines.append(f"| {label} | {value:.2f} | {'yes' if value >= goal else 'no, short by %.2f' % (goal - value)} |")
    if "Hot thread, page 150" in summary and "Hot thread, page 1" in summary:
        p1, p150 = summary["Hot thread, page 1"]["rps_median"], summary["Hot thread, page 150"]["rps_median"]
        diff = abs(p150 - p1) / p1 if p1 else float("nan")
        lines.append(f"| Page 150 within 20% of page 1 | {diff:.0%} apart | {'yes' if diff <= 0.20 else 'no'} |")
    p95 = post.get("p95", float("nan"))
    lines.append(f"| Reply POST p95 < 150 ms | {p95:.1f} ms | {'yes' if p95 < 150 else 'no'} |")
    lines += ["", "Why a target is missed and what would meet it, and search at a million comments: "
              "[performance.md](performance.md)."]
    return [*lines, ""]


if __name__ == "__main__":
    main()
