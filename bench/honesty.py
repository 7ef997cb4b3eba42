"""How quiet the machine was while `make bench` measured: the CPU used by everything else.

The machine is shared, and a page measured while someone else's tests run looks slower than it
is (issue #20: the trivial view varied twofold within one run). So around each wrk run we read
/proc/stat (the whole machine's busy time) and /proc/<pid>/stat for every process, and count as
*ours* the benchmark itself and everything it started (gunicorn's master and workers, wrk, the
management commands, with the time of children they have already reaped), the PostgreSQL server's
own processes and the backends connected to the benchmark's database, and Redis. Everything else
is *other* CPU: other people's programs, and other databases' PostgreSQL backends (their queries
compete with ours for the same cores even though they share our server).

Other CPU = the machine's busy time (user, nice and system) minus our processes' time, given in
percent of one core. Interrupt time is left out on both sides: loopback traffic is mostly ours and
the kernel does not say whose it is. Redis serves everyone from one process, so someone else's
Redis load counts as ours: a disturbance it can miss, never one it invents.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CORES = os.cpu_count() or 1
QUIET_LIMIT = float(os.environ.get("BENCH_QUIET_LIMIT", "10"))  # percent of one core


@dataclass(frozen=True)
class Sample:
    """The machine's busy and total time, and each of our processes' time, at one moment (in
    clock ticks, summed over all cores)."""

    busy: int
    total: int
    ours: dict[int, int]


@dataclass(frozen=True)
class Usage:
    """What happened between two samples."""

    other: float  # other processes' CPU, percent of one core
    ours: float  # our processes' CPU, percent of one core
    seconds: float  # elapsed, from the machine's tick count

    @property
    def quiet(self) -> bool:
        return self.other <= QUIET_LIMIT

    def as_dict(self) -> dict:
        return {"other_cpu": round(self.other, 1), "our_cpu": round(self.ours, 1), "quiet": self.quiet}


def _machine_ticks() -> tuple[int, int]:
    fields = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system, user + nice + system + idle + iowait + irq + softirq + steal


def _processes() -> dict[int, tuple[int, int, int, str]]:
    """pid -> (parent pid, own ticks, reaped children's ticks, command line) for every process
    we may read; processes that end while we look are skipped."""
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        # The command name, in brackets, may hold spaces: the fields start after its last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid, utime, stime, cutime, cstime = int(fields[1]), *(int(fields[i]) for i in (11, 12, 13, 14))
        found[int(entry.name)] = (ppid, utime + stime, cutime + cstime, cmdline or name)
    return found


def _is_ours(pid: int, info: dict, ancestry_ours: set[int], database: str) -> bool:
    cmdline = info[pid][3]
    if pid in ancestry_ours:
        return True
    if cmdline.startswith("redis-server"):
        return True
    if cmdline.startswith("postgres") or "/postgres " in f"{cmdline} ":
        # A backend's title is "postgres: <cluster>: <user> <database> <address> <state>"; the
        # server's own processes (checkpointer, walwriter, autovacuum launcher...) have no address.
        is_backend = "(" in cmdline and ")" in cmdline
        return not is_backend or f" {database} " in cmdline
    return False


def sample(database: str) -> Sample:
    """The machine's time and our processes' time now."""
    busy, total = _machine_ticks()
    info = _processes()
    me = os.getpid()
    children: dict[int, list[int]] = {}
    for pid, (ppid, *_rest) in info.items():
        children.setdefault(ppid, []).append(pid)
    ancestry, stack = set(), [me]
    while stack:
        pid = stack.pop()
        ancestry.add(pid)
        stack.extend(children.get(pid, []))
    ours = {}
    for pid, (_ppid, own, reaped, _cmdline) in info.items():
        if _is_ours(pid, info, ancestry, database):
            # The benchmark's own tree counts the children it has reaped (each wrk, each worker);
            # PostgreSQL's postmaster reaps every database's backends, so only its own time counts.
            ours[pid] = own + (reaped if pid in ancestry else 0)
    return Sample(busy=busy, total=total, ours=ours)


def usage(before: Sample, after: Sample) -> Usage:
    """Other processes' and our processes' CPU between two samples, in percent of one core. A
    process that started in between counts from zero; one that ended (and was not reaped by us)
    is lost to our side, so it counts as other: the check errs towards calling a run disturbed."""
    total = max(1, after.total - before.total)
    busy = max(0, after.busy - before.busy)
    ours = sum(max(0, ticks - before.ours.get(pid, 0)) for pid, ticks in after.ours.items())
    per_core = total / CORES
    return Usage(other=100 * max(0, busy - ours) / per_core, ours=100 * min(ours, busy) / per_core,
                 seconds=per_core / os.sysconf("SC_CLK_TCK"))


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
