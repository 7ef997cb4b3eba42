"""`make bench-compare BENCH_BASE=<git ref>`: the pages of this checkout and of an earlier commit,
measured in one sitting against the same data, pages interleaved, and compared as ratios.

Both are served as `make bench` serves one (gunicorn, DEBUG off, PostgreSQL, Redis): the earlier
commit from a copy made with `git archive` (sharing this checkout's virtualenv and built assets),
each on its own port with its own cache key prefix, both against one database seeded once by this
checkout (so the two must share their migrations), each signed in as the demo member by its own
code, with a session of its own (so neither server's session handling can touch the other's). Each
repetition measures every page on both, in a shuffled order, so a machine that slows down in the
middle slows both alike. A page's ratio is its requests per second over the trivial view's on the
same server in the same repetition; the spread is the range of those ratios over the repetitions
(the larger of the two servers'). Beside it, each page's requests per second now over before,
measured back to back in each repetition, which the machine's drift between two pages cannot sway.
Then each version's pages are timed in-process (bench/inprocess.py), which varies far less than
wrk's figures on a shared machine.

Writes BENCH_OUTPUT (default docs/benchmarks-compare.md). Environment as for `make bench`, plus
BENCH_BASE (the earlier commit, default origin/main or main~1).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import run  # bench/run.py, beside this script
from report import reader_label, versions
from serverenv import production_env

ROOT = run.ROOT
BASE_REF = os.environ.get("BENCH_BASE") or "main~1"
OUT_MD = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "benchmarks-compare.md"))
PORTS = {"new": run.PORT, "old": run.PORT + 1}
ROUNDS = int(os.environ.get("BENCH_INPROCESS_ROUNDS", "5"))
RAW = Path(tempfile.gettempdir()) / "cg-bench-compare.json"  # every measurement, to look at later
SECRET = os.environ.get("BENCH_SECRET_KEY") or "bench-compare-" + os.urandom(16).hex()


def log(message: str) -> None:
    print(f"[compare] {message}", flush=True)


def describe(ref: str) -> str:
    return subprocess.run(["git", "log", "-1", "--format=%h %s", ref], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def export_tree(ref: str) -> Path:
    """The files of `ref`, in a temporary folder, with this checkout's built assets beside them."""
    folder = Path(tempfile.mkdtemp(prefix="cg-bench-base-"))
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    shutil.copytree(ROOT / "static" / "build", folder / "static" / "build")
    return folder


def env_for(name: str) -> dict[str, str]:
    base = f"http://127.0.0.1:{PORTS[name]}"
    overrides = {"BENCHMARK_ENDPOINTS": "true", "DISABLE_RATE_LIMITS": "true", "CACHE_KEY_PREFIX": f"cg-{name}",
                 "SECRET_KEY": SECRET}
    return production_env(base_url=base, database_url=run.DATABASE_URL,
                          redis_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"), **overrides)


def measure(wrk: str, targets: list[dict], cookies: dict[str, dict[str, str]]) -> dict[str, dict[str, list[dict]]]:
    results = {name: {t["name"]: [] for t in targets} for name in PORTS}
    rng = random.Random(1)
    for rep in range(run.REPS):
        order = targets[:]
        rng.shuffle(order)
        log(f"repetition {rep + 1}/{run.REPS}")
        for target in order:
            servers = list(PORTS)
            rng.shuffle(servers)
            for name in servers:
                url = f"http://127.0.0.1:{PORTS[name]}{target['path']}"
                results[name][target["name"]].append(
                    run.run_wrk(wrk, url, run.SECONDS, run.cookie_for(target, cookies[name]))
                )
    return results


def in_process(targets: list[dict], trees: dict[str, Path]) -> dict[str, list[dict]]:
    """Each version's in-process times (bench/inprocess.py), in ROUNDS rounds, the two alternating."""
    pages = json.dumps([t for t in targets if t["path"].startswith("/") and not t["path"].startswith("/static")])
    timings = {name: [] for name in trees}
    for _ in range(ROUNDS):
        for name, tree in trees.items():
            env = {**env_for(name), "PYTHONPATH": str(tree)}
            done = subprocess.run([run.PY, str(ROOT / "bench" / "inprocess.py")], cwd=tree, env=env, input=pages,
                                  text=True, capture_output=True)
            if done.returncode:
                sys.exit(f"timing the {name} version failed:\n{done.stderr[-3000:]}")
            timings[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return timings


def signed_in_cookies(name: str, tree: Path, fallback: dict[str, str]) -> dict[str, str]:
    """Session cookies for the demo readers, signed in by the code in `tree` (its bench_targets).
    An earlier checkout's bench_targets may sign in the demo member only; its other readers use
    `fallback`'s sessions (the two servers share the database and the secret key)."""
    done = subprocess.run([run.PY, "manage.py", "bench_targets"], cwd=tree, env=env_for(name), capture_output=True,
                          text=True, check=True)
    info = json.loads(done.stdout.strip().splitlines()[-1])
    return {**fallback, **(info.get("cookies") or {"member": info["cookie"]})}


def ratios(runs: dict[str, list[dict]], page: str) -> list[float]:
    """The page's ratio to the trivial view in each repetition."""
    trivial = runs["Control: trivial view"]
    return [r["rps"] / t["rps"] if t["rps"] else 0.0 for r, t in zip(runs[page], trivial, strict=True)]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    wrk = run.ensure_wrk()
    env = env_for("new")
    run.recreate_database()
    run.manage(env, "migrate", "--no-input", "-v0")
    run.manage(env, "collectstatic", "--no-input", "-v0")  # bench_targets names the hashed stylesheet
    run.manage(env, "import_articles")
    run.manage(env, "load_themes")
    run.manage(env, "load_journey")
    run.manage(env, "seed_demo", "--scale", run.SCALE, "--seed", "1")
    info = json.loads(run.manage(env, "bench_targets", capture=True).strip().splitlines()[-1])
    targets, cookies = info["targets"], {"new": info.get("cookies") or {"member": info["cookie"]}}
    load_before = load_average()
    old_tree = export_tree(BASE_REF)
    log(f"this checkout against {BASE_REF} ({describe(BASE_REF)}), copied to {old_tree}")
    servers = {}
    try:
        subprocess.run([run.PY, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=old_tree, env=env_for("old"),
                       check=True)
        cookies["old"] = signed_in_cookies("old", old_tree, cookies["new"])
        servers = {name: run.start_server(env_for(name), port=PORTS[name], tree=tree)
                   for name, tree in (("new", ROOT), ("old", old_tree))}
        log("warming up")
        for target in targets:
            for name in PORTS:
                run.run_wrk(wrk, f"http://127.0.0.1:{PORTS[name]}{target['path']}", 1,
                            run.cookie_for(target, cookies[name]))
        results = measure(wrk, targets, cookies)
        RAW.write_text(json.dumps({"wrk": results}))
        for process in servers.values():
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        servers = {}
        log("timing the pages in-process")
        timings = in_process(targets, {"new": ROOT, "old": old_tree})
    finally:
        for process in servers.values():
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(old_tree, ignore_errors=True)
    RAW.write_text(json.dumps({"wrk": results, "in_process": timings}))
    write_report(targets, results, timings, info, load_before, load_average())
    log(f"wrote {OUT_MD}")
    errors = [f"{name} {page}" for name, pages in results.items() for page, runs in pages.items()
              if any(r["errors"] or r["non2xx3xx"] for r in runs)]
    if errors:
        sys.exit("Pages that failed: " + ", ".join(errors))


def write_report(targets, results, timings, info, load_before, load_after) -> None:
    lines = [
        "# Benchmark: this layout against the one before",
        "",
        f"Written by `make bench-compare` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: this checkout "
        f"({describe('HEAD')}) against `{BASE_REF}` ({describe(BASE_REF)}), one database seeded with "
        f"`seed_demo --scale {run.SCALE}` ({info.get('counts', {})}), {run.REPS} repetitions of "
        f"{run.SECONDS} s per page and server, pages and servers interleaved, {run.CONNECTIONS} connections, "
        f"wrk. {versions()}; gunicorn with {os.environ.get('WEB_CONCURRENCY', '2')} workers each, DEBUG off, "
        "Redis cache (a key prefix each).",
        "",
        f"Quiet machine: load average {load_before} before the run and {load_after} after it "
        f"({os.cpu_count()} cores). Both servers ran throughout; only the one measured had load.",
        "",
        "Ratio = the page's requests per second ÷ the trivial view's on the same server, in the same "
        "repetition; the table gives the median. Spread = the range of a page's ratios over the "
        "repetitions (the larger of the two servers'). A page is within the spread when its ratio now is "
        "no lower than before by more than that. The last column is the page's requests per second now ÷ "
        "before, measured one right after the other in each repetition: the median, and the lowest and "
        "highest of the repetitions.",
        "",
        "| Page | Signed in | Before: req/s | Before: ratio | Now: req/s | Now: ratio | Change | Spread | Within "
        "| Now ÷ before, back to back |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for target in targets:
        name = target["name"]
        old, new = ratios(results["old"], name), ratios(results["new"], name)
        old_rps = statistics.median(r["rps"] for r in results["old"][name])
        new_rps = statistics.median(r["rps"] for r in results["new"][name])
        spread = max(max(old) - min(old), max(new) - min(new))
        change = statistics.median(new) - statistics.median(old)
        within = "yes" if change >= -spread else "no"
        paired = [n["rps"] / o["rps"] if o["rps"] else 0.0
                  for n, o in zip(results["new"][name], results["old"][name], strict=True)]
        lines.append(
            f"| {name} | {reader_label(target)} | {old_rps:.0f} | {statistics.median(old):.2f} | "
            f"{new_rps:.0f} | {statistics.median(new):.2f} | {change:+.2f} | {spread:.2f} | {within} | "
            f"{statistics.median(paired):.2f} ({min(paired):.2f}–{max(paired):.2f}) |"
        )
    lines += [
        "",
        "## In-process time per request",
        "",
        f"The same pages through Django's test client in each version (`bench/inprocess.py`), no network and no "
        f"load generator, so the machine's noise counts far less: {ROUNDS} rounds, the versions alternating, each "
        "page warmed and then requested "
        f"{os.environ.get('BENCH_INPROCESS_REQUESTS', '60')} times past the settling time after signing in; "
        "the median request, then the median and range over the rounds. Queries: one steady request. Calls: the "
        "Python function calls one request makes (cProfile, the first round), which the machine's load cannot "
        "change: the same count means the same work.",
        "",
        "| Page | Signed in | Before: ms | Now: ms | Now ÷ before | Queries before → now | Calls before → now |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target in targets:
        name = target["name"]
        if name not in timings["old"][0]:
            continue
        old = [round_[name]["ms"] for round_ in timings["old"]]
        new = [round_[name]["ms"] for round_ in timings["new"]]
        lines.append(
            f"| {name} | {reader_label(target)} | {statistics.median(old):.2f} "
            f"({min(old):.2f}–{max(old):.2f}) | {statistics.median(new):.2f} ({min(new):.2f}–{max(new):.2f}) | "
            f"{statistics.median(new) / statistics.median(old):.2f} | "
            f"{timings['old'][0][name]['queries']} → {timings['new'][0][name]['queries']} | "
            f"{timings['old'][0][name]['calls']:,} → {timings['new'][0][name]['calls']:,} |"
        )
    lines += ["", "The single-checkout measurements, with query counts and targets: [benchmarks.md](benchmarks.md).",
              ""]
    OUT_MD.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
