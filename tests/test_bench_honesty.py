"""bench/honesty.py and bench/report.py: `make bench` tells a quiet machine from a busy one."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _script(name: str):
    """One of bench/'s scripts as a module (they are not a package, and their plain names such as
    `report` must not shadow anything else for the rest of the test run)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while they are made
    spec.loader.exec_module(module)
    return module


honesty = _script("honesty")
report = _script("report")


def test_other_cpu_is_the_machine_busy_time_less_our_processes():
    before = honesty.Sample(busy=1_000, total=10_000, ours={1: 100, 2: 50})
    after = honesty.Sample(busy=1_000 + 60, total=10_000 + 200 * honesty.CORES, ours={1: 130, 2: 60, 3: 5})
    usage = honesty.usage(before, after)
    assert usage.ours == pytest.approx(100 * 45 / 200)  # a process that started in between counts from zero
    assert usage.other == pytest.approx(100 * 15 / 200)


def test_a_run_is_quiet_only_below_the_limit():
    assert honesty.Usage(other=honesty.QUIET_LIMIT, ours=90, seconds=1).quiet
    assert not honesty.Usage(other=honesty.QUIET_LIMIT + 1, ours=90, seconds=1).quiet


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux's /proc")
def test_a_child_that_the_benchmark_waited_for_counts_as_its_own():
    before = honesty.sample("no_such_database")
    subprocess.run([sys.executable, "-c", "sum(range(20_000_000))"], check=True)
    after = honesty.sample("no_such_database")
    assert honesty.usage(before, after).ours > 10
    assert os.getpid() in after.ours


def _summary(*, disturbed: int) -> dict:
    page = {"runs": 1 + disturbed, "disturbed": disturbed, "kept": 1, "quiet_kept": int(disturbed == 0)}
    return {report.TRIVIAL: dict(page), "Home": dict(page)}


def test_the_report_says_the_machine_was_quiet_when_no_run_was_disturbed():
    quiet = {when: {"load": "0.1", "other_cpu": 1, "our_cpu": 1, "quiet": True} for when in ("before", "during",
                                                                                             "after")}
    text = "\n".join(report.quiet_section(_summary(disturbed=0), quiet, {"quiet_limit": 10, "cores": 2,
                                                                          "retries": 2}))
    assert "The machine was quiet" in text


def test_the_report_counts_the_disturbed_runs():
    quiet = {when: {"load": "3", "other_cpu": 90, "our_cpu": 1, "quiet": when == "during"} for when in
             ("before", "during", "after")}
    text = "\n".join(report.quiet_section(_summary(disturbed=2), quiet, {"quiet_limit": 10, "cores": 2,
                                                                          "retries": 2}))
    assert "not quiet during 2 of 3 runs" in text


def test_worker_memory_growth_is_measured_from_after_the_warm_up():
    rss = {"start": {1: 50_000}, "warm": {1: 100_000}, "end": {1: 110_000}}
    growth = report.rss_growth(rss)
    assert growth["share"] == pytest.approx(0.10)
    assert growth["mib"] == pytest.approx(10_000 / 1024)
