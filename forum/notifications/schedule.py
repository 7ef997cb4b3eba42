"""Digests on a schedule that lives in the database and runs in the task worker: no cron to remember.

The daily digest is due every day at settings.DIGEST_HOUR o'clock UK time (TIME_ZONE, so it moves
with summer time), the weekly one at that hour on settings.DIGEST_WEEKDAY. Each due digest is a
`DigestPeriod` row, written in one transaction with the task that will send it
(`send_scheduled_digests`, queued with `run_after` at the moment it is due):

1. `ensure_scheduled()` makes sure each frequency has its next run waiting. The worker's start
   path runs it (`manage.py schedule_digests`, called by `make serve` and the Procfile before
   `db_worker`), and so does every run. Running it twice, or in two processes at once, leaves
   one waiting run: the unique constraints (one row per frequency and moment, one unclaimed row
   per frequency) make the second insert fail, and the task is queued in the same transaction
   as its row. A waiting row whose task is gone (failed, deleted, or left running by a worker
   killed before its claim) gets a new task.
2. The task claims its row with a conditional UPDATE (`... WHERE claimed_at IS NULL`), so two
   copies of the task, on two workers, send the period once; in the same transaction it queues
   the next run at the next boundary. Then it sends (the daily run first sends the immediate
   emails still waiting for a retry, as `send_digests` does) and records what it sent.

A run that was due while no worker ran (the worker down over the boundary) runs as soon as a
worker starts, once, and the next is queued at the next boundary after that moment: missed
periods are not sent one by one, their items are all in that one digest. If the chain was broken
(no waiting run) and a boundary passed since the last run, `ensure_scheduled()` queues one run
at once, for the same reason. On a brand-new site the first run is the next boundary.

Each notification is still claimed before its email goes (forum.notifications.sending), so even
a period sent twice could not email anything twice; the claim keeps members from getting two
digests in one period.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.exceptions import TaskResultDoesNotExist

from forum.models import DigestPeriod, EmailFrequency
from forum.notifications.sending import retry_unsent, send_digests

log = logging.getLogger(__name__)

FREQUENCIES = (EmailFrequency.DAILY.value, EmailFrequency.WEEKLY.value)
# A task still marked running this long after it started, while its row is unclaimed, belonged to
# a worker killed before its claim committed (the claim is the task's first step): queue it again.
STUCK_AFTER = timedelta(hours=1)


class CannotSchedule(Exception):
    """The task backend cannot run a task later (the immediate backend of development and tests)."""


# When digests are due ------------------------------------------------------------------------------

def _due_on(day: date) -> datetime:
    """DIGEST_HOUR o'clock on `day`, UK time, as a UTC moment (computed in UTC so comparisons
    never meet the wall-clock ambiguity of the night the clocks change)."""
    local = datetime.combine(day, time(settings.DIGEST_HOUR), tzinfo=ZoneInfo(settings.TIME_ZONE))
    return local.astimezone(UTC)


def _is_due_day(frequency: str, day: date) -> bool:
    return frequency == EmailFrequency.DAILY or day.weekday() == settings.DIGEST_WEEKDAY


def _check(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise ValueError(f"Digests are daily or weekly, not {frequency!r}.")
    return str(frequency)


def latest_due(frequency: str, now: datetime) -> datetime:
    """The last moment at or before `now` when this digest was due."""
    _check(frequency)
    today = now.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    for back in range(9):
        day = today - timedelta(days=back)
        if _is_due_day(frequency, day) and (moment := _due_on(day)) <= now:
            return moment
    raise AssertionError("a digest is due at least once a week")


def next_due(frequency: str, now: datetime) -> datetime:
    """The first moment after `now` when this digest is due."""
    _check(frequency)
    today = now.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    for ahead in range(9):
        day = today + timedelta(days=ahead)
        if _is_due_day(frequency, day) and (moment := _due_on(day)) > now:
            return moment
    raise AssertionError("a digest is due at least once a week")


# Keeping the chain -------------------------------------------------------------------------------

def can_schedule() -> bool:
    return send_scheduled_digests.get_backend().supports_defer


def _queue(frequency: str, due_at: datetime) -> str:
    result = send_scheduled_digests.using(run_after=due_at).enqueue(frequency, due_at.isoformat())
    return str(result.id)


def _alive(task_id: str, now: datetime) -> bool:
    """Whether the queued task that should run a waiting row is still to run (or running)."""
    if not task_id:
        return False
    try:
        result = send_scheduled_digests.get_result(task_id)
    except TaskResultDoesNotExist:
        return False
    if result.status == TaskResultStatus.RUNNING:
        return result.started_at is None or result.started_at > now - STUCK_AFTER
    return result.status == TaskResultStatus.READY


def ensure_scheduled(*, now: datetime | None = None) -> dict[str, DigestPeriod]:
    """Make sure the daily and the weekly digest each have their next run waiting, with its task
    queued; change nothing that is already in place. Returns the waiting row of each frequency.
    Safe to run any number of times, in any number of processes at once."""
    if not can_schedule():
        raise CannotSchedule("This task backend cannot run a task later, so digests cannot be scheduled.")
    now = now or timezone.now()
    return {frequency: _ensure(frequency, now) for frequency in FREQUENCIES}


def _ensure(frequency: str, now: datetime) -> DigestPeriod:
    with transaction.atomic():
        waiting = DigestPeriod.objects.select_for_update().filter(frequency=frequency, claimed_at__isnull=True).first()
        if waiting is not None:
            if not _alive(waiting.task_id, now):
                # Its task failed, was deleted or was left running by a killed worker: queue it
                # again (at once if it is already due).
                waiting.task_id = _queue(frequency, waiting.due_at)
                waiting.save(update_fields=["task_id"])
                log.warning("%s digest due %s had no task; queued again", frequency, waiting.due_at.isoformat())
            return waiting
        due_at = next_due(frequency, now)
        missed = latest_due(frequency, now)
        earlier = DigestPeriod.objects.filter(frequency=frequency)
        if earlier.exists() and not earlier.filter(Q(due_at__gte=missed) | Q(claimed_at__gte=missed)).exists():
            due_at = missed  # a boundary passed with no run since: catch up once, now
        try:
            with transaction.atomic():
                row = DigestPeriod.objects.create(frequency=frequency, due_at=due_at)
        except IntegrityError:
            # Another process queued the next run at the same moment: that one stands.
            stands = DigestPeriod.objects.filter(frequency=frequency, claimed_at__isnull=True).first()
            return stands or DigestPeriod.objects.get(frequency=frequency, due_at=due_at)
        row.task_id = _queue(frequency, due_at)
        row.save(update_fields=["task_id"])
        log.info("%s digest queued for %s", frequency, due_at.isoformat())
        return row


# Running one period ------------------------------------------------------------------------------

def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def claim(frequency: str, due_at: datetime, *, now: datetime | None = None) -> bool:
    """Take the run due at `due_at` for this worker; False when another has it (or it was sent)."""
    now = now or timezone.now()
    return bool(
        DigestPeriod.objects.filter(frequency=_check(frequency), due_at=due_at, claimed_at__isnull=True).update(
            claimed_at=now, claimed_by=worker_name()
        )
    )


def run_due(frequency: str, due_at: datetime, *, now: datetime | None = None) -> DigestPeriod | None:
    """Send the digest due at `due_at` unless another run claimed it first; queue the next run.
    Returns the row with what was sent, or None when this call did not claim it."""
    now = now or timezone.now()
    with transaction.atomic():
        if not claim(frequency, due_at, now=now):
            log.info("%s digest due %s already claimed; nothing to do", frequency, due_at.isoformat())
            return None
        # In the claim's transaction: the next run is queued if and only if this one is taken.
        if can_schedule():
            ensure_scheduled(now=now)
    period = DigestPeriod.objects.get(frequency=frequency, due_at=due_at)
    try:
        if frequency == EmailFrequency.DAILY:
            # Emails that should have gone at once but met a mail server that was down.
            try:
                period.retried = retry_unsent()
            except Exception as error:  # reported; the emails wait for the next run or their retry
                log.exception("Retrying unsent emails failed; they wait")
                period.error = f"Retrying unsent emails: {type(error).__name__}: {error}"[:300]
        run = send_digests(frequency)
    except Exception as error:
        # What was claimed but not sent stays unsent (sending releases it) for the next run.
        period.error = f"{type(error).__name__}: {error}"[:300]
        period.finished_at = timezone.now()
        period.save(update_fields=["retried", "error", "finished_at"])
        raise
    period.members, period.emails, period.items, period.failures = run.members, run.emails, run.items, run.failures
    period.finished_at = timezone.now()
    period.save(update_fields=["retried", "error", "finished_at", "members", "emails", "items", "failures"])
    log.info("%s digest due %s: %s sent (%s items), %s failed", frequency, due_at.isoformat(), run.emails,
             run.items, run.failures)
    return period


@task()
def send_scheduled_digests(frequency: str, due_at: str) -> dict | None:
    """The task queued for each due digest (ISO `due_at`, so it survives the queue)."""
    period = run_due(frequency, datetime.fromisoformat(due_at))
    if period is None:
        return None
    return {"emails": period.emails, "items": period.items, "failures": period.failures, "retried": period.retried}
