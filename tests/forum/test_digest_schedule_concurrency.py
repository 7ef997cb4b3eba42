"""The digest schedule under real concurrency, on PostgreSQL: two claims of one period at the same
instant send it once, two schedulers starting together leave one waiting run, and two real
`db_worker` processes, each started the way the Procfile starts it, send a due digest once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from forum.following import levels as following
from forum.models import DigestPeriod, EmailFrequency, FollowLevel, NotificationPreference
from forum.notifications import fanout, schedule
from tests.conftest import make_member
from tests.forum.conftest import reply
from tests.forum.test_reliability_concurrency import run_together
from tests.test_two_instances import _database_url, _free_port, _start, _stop

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.IS_POSTGRES,
        reason="SQLite writes one transaction at a time, and cannot be shared by worker processes, so it cannot "
        "show two workers claiming one period at once",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
DAILY, WEEKLY = EmailFrequency.DAILY.value, EmailFrequency.WEEKLY.value
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def daily_reader(theme):
    reader = make_member("daily@example.org", display_name="Dara Daily")
    following.set_theme_follow_level(reader, theme, FollowLevel.WATCHING)
    NotificationPreference.objects.create(user=reader, email_frequency=EmailFrequency.DAILY)
    return reader


def something_new(thread, author, body) -> None:
    fanout.fan_out_comment(reply(thread, author, body=body).pk)


def digests_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email] and "daily summary" in m.subject]


@override_settings(TASKS=DATABASE_QUEUE)
def test_two_workers_claiming_one_period_at_the_same_instant_send_it_once(thread, daily_reader, other_member):
    schedule.ensure_scheduled()
    for round_ in range(1, 4):
        something_new(thread, other_member, f"News for round {round_}.")
        period = DigestPeriod.objects.get(frequency=DAILY, claimed_at__isnull=True)
        due = period.due_at
        results = run_together(lambda _index, due=due: schedule.run_due(DAILY, due, now=due), 2)
        assert not any(isinstance(result, Exception) for result in results), results
        assert sorted(result is None for result in results) == [False, True], f"round {round_}: {results}"
        assert len(digests_to(daily_reader)) == round_  # one digest per period, never two
        # The winner queued the next run; only one waits.
        (waiting,) = DigestPeriod.objects.filter(frequency=DAILY, claimed_at__isnull=True)
        assert waiting.due_at == schedule.next_due(DAILY, due)


@override_settings(TASKS=DATABASE_QUEUE)
def test_two_schedulers_starting_at_the_same_instant_leave_one_waiting_run_each():
    results = run_together(lambda _index: schedule.ensure_scheduled(), 6)
    assert not any(isinstance(result, Exception) for result in results), results
    assert DigestPeriod.objects.count() == 2
    assert DBTaskResult.objects.filter(status="READY").count() == 2
    for frequency in (DAILY, WEEKLY):
        row = DigestPeriod.objects.get(frequency=frequency)
        assert row.claimed_at is None and DBTaskResult.objects.get(pk=row.task_id).run_after == row.due_at


class Inbox:
    def __init__(self):
        self.delivered: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        subject = next((line for line in envelope.content.decode(errors="replace").splitlines()
                        if line.startswith("Subject:")), "")
        self.delivered.extend((to, subject) for to in envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def _workers(tmp_path, port: int) -> list[subprocess.Popen]:
    """Two workers started as the Procfile starts them: schedule the digests, then poll the queue."""
    env = dict(os.environ)
    env.update({"TESTING": "true", "DEBUG": "false", "DATABASE_URL": _database_url(),
                "TASKS_BACKEND": "django_tasks_db.DatabaseBackend", "EMAIL_URL": f"smtp://127.0.0.1:{port}",
                "LOG_LEVEL": "INFO", "DB_CONN_MAX_AGE": "0"})
    python = sys.executable
    command = (f"{python} manage.py schedule_digests && exec {python} manage.py db_worker --queue-name '*' "
               "--interval 0.1 --no-startup-delay --no-reload --worker-id {name}")
    return [_start(["/bin/sh", "-c", command.format(name=f"worker-{n}")], env, tmp_path / f"worker{n}.log")
            for n in range(2)]


def _wait_for(condition, what: str, processes, tmp_path, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        for n, process in enumerate(processes):
            if process.poll() is not None:
                raise AssertionError(f"worker {n} stopped:\n{(tmp_path / f'worker{n}.log').read_text()[-3000:]}")
        time.sleep(0.1)
    logs = "\n".join((tmp_path / f"worker{n}.log").read_text()[-2000:] for n in range(len(processes)))
    raise AssertionError(f"timed out waiting for {what}:\n{logs}")


@override_settings(TASKS=DATABASE_QUEUE)
def test_two_real_workers_send_a_due_digest_once(tmp_path, smtp, thread, daily_reader, other_member):
    inbox, port = smtp
    # The last daily run was two days ago and nothing waits: the next worker start catches up at once.
    two_days_ago = schedule.latest_due(DAILY, timezone.now()) - timedelta(days=2)
    DigestPeriod.objects.create(frequency=DAILY, due_at=two_days_ago, claimed_at=two_days_ago,
                                finished_at=two_days_ago)
    something_new(thread, other_member, "For the catch-up digest.")
    processes = _workers(tmp_path, port)
    try:
        # Both workers ran the scheduling step at the same moment: one catch-up run, sent by one of them.
        catch_up = schedule.latest_due(DAILY, timezone.now())
        sent = _wait_for(lambda: DigestPeriod.objects.filter(frequency=DAILY, due_at=catch_up,
                                                             finished_at__isnull=False).first(),
                         "the catch-up digest", processes, tmp_path)
        assert (sent.emails, sent.error) == (1, "")
        assert DigestPeriod.objects.filter(frequency=DAILY, claimed_at__isnull=True).count() == 1
        assert DigestPeriod.objects.filter(frequency=WEEKLY).count() == 1

        # Now the waiting run falls due with its task queued twice (two instances queued it), while
        # both workers poll: each may take a copy, one period is sent.
        something_new(thread, other_member, "For the next digest.")
        now = timezone.now()
        period = DigestPeriod.objects.get(frequency=DAILY, claimed_at__isnull=True)
        with transaction.atomic():  # the workers see it all at once
            DigestPeriod.objects.filter(pk=period.pk).update(due_at=now)
            DBTaskResult.objects.filter(pk=period.task_id).update(
                run_after=now, args_kwargs={"args": [DAILY, now.isoformat()], "kwargs": {}}
            )
            copy = schedule.send_scheduled_digests.using(run_after=now).enqueue(DAILY, now.isoformat())
        copies = DBTaskResult.objects.filter(pk__in=[period.task_id, copy.id])
        _wait_for(lambda: copies.filter(status="SUCCESSFUL").count() == 2, "both copies of the task", processes,
                  tmp_path)
        assert sorted(row.return_value is None for row in copies) == [False, True]
        assert DigestPeriod.objects.get(pk=period.pk).emails == 1

        digests = [subject for to, subject in inbox.delivered if to == daily_reader.email]
        assert len(digests) == 2, inbox.delivered  # one per period, never twice
        claimed_by = set(DigestPeriod.objects.filter(claimed_by__gt="", finished_at__gt=now - timedelta(minutes=5))
                         .values_list("claimed_by", flat=True))
        assert claimed_by and all(":" in name for name in claimed_by)
        assert DigestPeriod.objects.filter(frequency=DAILY, claimed_at__isnull=True).count() == 1
        assert all(process.poll() is None for process in processes), "a worker stopped during the test"
    finally:
        _stop(processes)
