"""Digests run by the task worker on a schedule kept in the database (forum.notifications.schedule):
due at DIGEST_HOUR UK time, once per period however many workers or copies of the task reach it,
each run queueing the next. The queue here is the real django-tasks-db table; `run_due_tasks`
does what `db_worker` does with it. Concurrency on PostgreSQL, and two real workers:
tests/forum/test_digest_schedule_concurrency.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from forum.following import levels as following
from forum.models import DigestPeriod, EmailFrequency, FollowLevel, Notification, NotificationPreference
from forum.notifications import fanout, schedule
from tests.conftest import make_member
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DAILY, WEEKLY = EmailFrequency.DAILY.value, EmailFrequency.WEEKLY.value
WEDNESDAY_NOON = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # 13:00 in London (summer time)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def queue():
    """The database task queue, as in production (tests otherwise run tasks at once)."""
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        yield


@pytest.fixture
def clock(monkeypatch):
    """Every `timezone.now()` reads `clock.at`, which a test moves forward (the worker's view of time)."""
    clock = SimpleNamespace(at=WEDNESDAY_NOON)
    monkeypatch.setattr(timezone, "now", lambda: clock.at)
    return clock


def run_due_tasks(worker: str = "test-worker") -> list[DBTaskResult]:
    """What `db_worker` does: take each task that is due, run it, record how it went."""
    ran = []
    while (result := DBTaskResult.objects.ready().get_locked()) is not None:
        result.claim(worker)
        try:
            value = result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        except Exception as error:
            result.set_failed(error)
        else:
            result.set_successful(value)
        ran.append(result)
    return ran


def prefer(user, frequency):
    NotificationPreference.objects.update_or_create(user=user, defaults={"email_frequency": frequency})


def something_new_for(watchers, thread, author, clock, body="Something new.") -> None:
    """A reply the watchers are told about, not yet emailed (its after-commit tasks do not run here)."""
    comment = reply(thread, author, body=body)
    fanout.fan_out_comment(comment.pk)
    Notification.objects.filter(comment=comment).update(created_at=clock.at)
    assert Notification.objects.filter(comment=comment, recipient__in=watchers).count() == len(watchers)


def emails_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


def waiting(frequency) -> DigestPeriod:
    return DigestPeriod.objects.get(frequency=frequency, claimed_at__isnull=True)


def queued() -> list[tuple[str, datetime]]:
    """The digest tasks still to run: (frequency, run after)."""
    rows = DBTaskResult.objects.filter(task_path=schedule.send_scheduled_digests.module_path, status="READY")
    return sorted((row.args_kwargs["args"][0], row.run_after) for row in rows)


@pytest.fixture
def daily_reader(theme, recipient):
    following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
    prefer(recipient, EmailFrequency.DAILY)
    return recipient


# When digests are due ------------------------------------------------------------------------------

def test_the_daily_digest_is_due_at_the_digest_hour_uk_time_in_winter_and_in_summer():
    assert schedule.next_due(DAILY, utc(2026, 1, 14, 12)) == utc(2026, 1, 15, 7)  # GMT
    assert schedule.latest_due(DAILY, utc(2026, 1, 14, 12)) == utc(2026, 1, 14, 7)
    assert schedule.next_due(DAILY, utc(2026, 7, 1, 6, 30)) == utc(2026, 7, 2, 6)  # 07:00 BST
    assert schedule.latest_due(DAILY, utc(2026, 7, 1, 6, 30)) == utc(2026, 7, 1, 6)
    # At the moment itself it is the latest, and the next is a day later.
    assert schedule.latest_due(DAILY, utc(2026, 7, 1, 6)) == utc(2026, 7, 1, 6)
    assert schedule.next_due(DAILY, utc(2026, 7, 1, 6)) == utc(2026, 7, 2, 6)
    # Across the nights the clocks change, the hour stays 07:00 in London.
    assert schedule.next_due(DAILY, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 6)
    assert schedule.next_due(DAILY, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 7)


def test_the_weekly_digest_is_due_on_the_digest_weekday():
    wednesday = utc(2026, 7, 1, 12)
    assert schedule.next_due(WEEKLY, wednesday) == utc(2026, 7, 6, 6)  # Monday 07:00 BST
    assert schedule.latest_due(WEEKLY, wednesday) == utc(2026, 6, 29, 6)
    with override_settings(DIGEST_WEEKDAY=6, DIGEST_HOUR=18):  # Sundays at 18:00
        assert schedule.next_due(WEEKLY, wednesday) == utc(2026, 7, 5, 17)
        assert schedule.latest_due(WEEKLY, wednesday) == utc(2026, 6, 28, 17)


# Keeping the chain -------------------------------------------------------------------------------

@pytest.mark.usefixtures("queue")
def test_running_the_scheduling_step_twice_leaves_one_pending_run(clock):
    out = StringIO()
    call_command("schedule_digests", stdout=out)
    call_command("schedule_digests", stdout=out)
    assert DigestPeriod.objects.count() == 2
    assert waiting(DAILY).due_at == utc(2026, 6, 11, 6)  # a new site: the next boundary, not at once
    assert waiting(WEEKLY).due_at == utc(2026, 6, 15, 6)
    assert queued() == [(DAILY, utc(2026, 6, 11, 6)), (WEEKLY, utc(2026, 6, 15, 6))]
    assert "Daily digest: next run 2026-06-11 07:00 BST." in out.getvalue()


@pytest.mark.usefixtures("queue")
def test_the_chain_reschedules_itself_for_the_next_boundary(clock, thread, daily_reader, other_member):
    schedule.ensure_scheduled()
    something_new_for([daily_reader], thread, other_member, clock)
    clock.at = utc(2026, 6, 11, 5, 59, 59)
    assert run_due_tasks() == []  # nothing yet: the task runs from its moment, 07:00 in London
    clock.at = utc(2026, 6, 11, 6, 0, 2)

    (ran,) = run_due_tasks()
    ran.refresh_from_db()
    assert ran.status == "SUCCESSFUL" and ran.return_value["emails"] == 1
    assert len(emails_to(daily_reader)) == 1 and "daily summary" in emails_to(daily_reader)[0].subject
    sent = DigestPeriod.objects.get(frequency=DAILY, due_at=utc(2026, 6, 11, 6))
    assert (sent.emails, sent.items, sent.members, sent.failures) == (1, 1, 1, 0)
    assert sent.claimed_at == clock.at and sent.finished_at is not None and sent.claimed_by
    # The next run waits for the next morning; the weekly one is untouched.
    assert waiting(DAILY).due_at == utc(2026, 6, 12, 6)
    assert queued() == [(DAILY, utc(2026, 6, 12, 6)), (WEEKLY, utc(2026, 6, 15, 6))]

    # And the next morning the chain goes on by itself.
    something_new_for([daily_reader], thread, other_member, clock, body="The next day.")
    clock.at = utc(2026, 6, 12, 6, 0, 5)
    assert len(run_due_tasks()) == 1
    assert len(emails_to(daily_reader)) == 2
    assert waiting(DAILY).due_at == utc(2026, 6, 13, 6)


@pytest.mark.usefixtures("queue")
def test_a_period_already_sent_is_not_sent_again(clock, thread, daily_reader, other_member):
    schedule.ensure_scheduled()
    something_new_for([daily_reader], thread, other_member, clock)
    due = waiting(DAILY).due_at
    clock.at = due + timedelta(minutes=1)
    run_due_tasks()
    assert len(emails_to(daily_reader)) == 1

    # A second copy of the task for that period (another worker, a task queued twice) sends
    # nothing, though there is something new to send: the period is claimed.
    something_new_for([daily_reader], thread, other_member, clock, body="Arrived after the run.")
    clock.at += timedelta(minutes=1)
    assert schedule.send_scheduled_digests.call(DAILY, due.isoformat()) is None
    assert schedule.run_due(DAILY, due) is None
    assert len(emails_to(daily_reader)) == 1
    assert DigestPeriod.objects.filter(frequency=DAILY).count() == 2  # the one sent, the next waiting
    assert queued() == [(DAILY, utc(2026, 6, 12, 6)), (WEEKLY, utc(2026, 6, 15, 6))]


@pytest.mark.usefixtures("queue")
def test_the_daily_run_still_retries_unsent_immediate_emails(clock, theme, thread, member, other_member):
    at_once = make_member("at-once@example.org", display_name="Ada Atonce")
    following.set_theme_follow_level(at_once, theme, FollowLevel.WATCHING)
    something_new_for([at_once], thread, other_member, clock)  # its email never went (the queue was down)
    waiting_for_retry = Notification.objects.get(recipient=at_once)
    Notification.objects.filter(pk=waiting_for_retry.pk).update(email_attempts=1,
                                                               email_retry_at=clock.at + timedelta(days=1))
    schedule.ensure_scheduled()

    # Monday morning, the worker back after days away: the daily run (caught up once) sends the
    # immediate email without waiting for its retry; the weekly run, due at the same moment, does not.
    clock.at = waiting(WEEKLY).due_at + timedelta(seconds=1)
    ran = run_due_tasks()
    assert sorted(result.args_kwargs["args"][0] for result in ran) == [DAILY, WEEKLY]
    assert len(emails_to(at_once)) == 1
    assert Notification.objects.get(pk=waiting_for_retry.pk).emailed_at is not None
    # Ada's, and the discussion starter's (who follows their discussion and wants emails at once).
    assert emails_to(member) and DigestPeriod.objects.get(frequency=DAILY, claimed_at__isnull=False).retried == 2
    assert DigestPeriod.objects.get(frequency=WEEKLY, claimed_at__isnull=False).retried is None


@pytest.mark.usefixtures("queue")
def test_a_worker_down_over_several_boundaries_catches_up_once(clock, thread, daily_reader, other_member):
    schedule.ensure_scheduled()
    something_new_for([daily_reader], thread, other_member, clock)
    clock.at = utc(2026, 6, 13, 9, 30)  # Saturday: Thursday's, Friday's and Saturday's runs were missed

    ran = run_due_tasks()
    assert [result.args_kwargs["args"][0] for result in ran] == [DAILY]  # one run, not three
    assert len(emails_to(daily_reader)) == 1
    assert DigestPeriod.objects.get(frequency=DAILY, claimed_at__isnull=False).due_at == utc(2026, 6, 11, 6)
    assert waiting(DAILY).due_at == utc(2026, 6, 14, 6)  # the next boundary after the catch-up
    assert run_due_tasks() == []


@pytest.mark.usefixtures("queue")
def test_a_broken_chain_catches_up_once_when_the_worker_starts(clock, thread, daily_reader, other_member):
    # The last daily run was on Monday; nothing has waited since (the task table was emptied).
    DigestPeriod.objects.create(frequency=DAILY, due_at=utc(2026, 6, 8, 6), claimed_at=utc(2026, 6, 8, 6),
                                finished_at=utc(2026, 6, 8, 6, 1))
    something_new_for([daily_reader], thread, other_member, clock)

    call_command("schedule_digests", stdout=StringIO())
    assert waiting(DAILY).due_at == utc(2026, 6, 10, 6)  # this morning's, due already: runs at once
    call_command("schedule_digests", stdout=StringIO())
    assert DigestPeriod.objects.filter(frequency=DAILY, claimed_at__isnull=True).count() == 1

    assert len(run_due_tasks()) == 1
    assert len(emails_to(daily_reader)) == 1
    assert waiting(DAILY).due_at == utc(2026, 6, 11, 6)
    call_command("schedule_digests", stdout=StringIO())  # after a run, a start changes nothing
    assert waiting(DAILY).due_at == utc(2026, 6, 11, 6)
    assert run_due_tasks() == []


@pytest.mark.usefixtures("queue")
@pytest.mark.parametrize("left", [{"status": "FAILED"}, "deleted",
                                  {"status": "RUNNING", "started_at": WEDNESDAY_NOON - timedelta(hours=2)}],
                         ids=["failed", "deleted", "left running by a killed worker"])
def test_a_waiting_run_whose_task_is_gone_is_queued_again(clock, left):
    schedule.ensure_scheduled()
    first = waiting(DAILY)
    task = DBTaskResult.objects.filter(pk=first.task_id)
    if left == "deleted":
        task.delete()
    else:
        task.update(**left)
    schedule.ensure_scheduled()
    again = waiting(DAILY)
    assert again.pk == first.pk and again.task_id != first.task_id
    assert queued() == [(DAILY, utc(2026, 6, 11, 6)), (WEEKLY, utc(2026, 6, 15, 6))]


@pytest.mark.usefixtures("queue")
def test_a_waiting_run_whose_task_has_just_started_is_left_alone(clock):
    schedule.ensure_scheduled()
    first = waiting(DAILY)
    DBTaskResult.objects.filter(pk=first.task_id).update(status="RUNNING", started_at=clock.at)
    schedule.ensure_scheduled()
    assert waiting(DAILY).task_id == first.task_id


@pytest.mark.usefixtures("queue")
def test_a_run_that_fails_records_why_and_the_next_run_is_still_queued(clock, monkeypatch, thread, daily_reader,
                                                                       other_member):
    schedule.ensure_scheduled()
    something_new_for([daily_reader], thread, other_member, clock)

    def mail_server_gone(frequency, **kwargs):
        raise ConnectionRefusedError("mail server gone")

    monkeypatch.setattr(schedule, "send_digests", mail_server_gone)
    clock.at = waiting(DAILY).due_at + timedelta(seconds=1)
    (ran,) = run_due_tasks()
    ran.refresh_from_db()
    assert ran.status == "FAILED"
    failed = DigestPeriod.objects.get(frequency=DAILY, claimed_at__isnull=False)
    assert failed.error == "ConnectionRefusedError: mail server gone" and failed.finished_at
    assert waiting(DAILY).due_at == utc(2026, 6, 12, 6)
    assert Notification.objects.get(recipient=daily_reader).emailed_at is None  # waits for the next run


def test_without_a_queue_that_can_run_later_schedule_digests_says_so_and_schedules_nothing():
    out = StringIO()
    call_command("schedule_digests", stdout=out)  # the immediate backend of development and tests
    assert "cannot run a task later" in out.getvalue() and "send_digests" in out.getvalue()
    assert not DigestPeriod.objects.exists()


def test_every_way_of_starting_the_worker_schedules_the_digests_first():
    procfile = {line.split(":", 1)[0]: line.split(":", 1)[1].strip()
                for line in (ROOT / "Procfile").read_text().splitlines() if line and not line.startswith("#")}
    assert procfile["worker"].startswith("python manage.py schedule_digests && ")
    assert procfile["worker"].endswith("manage.py db_worker --queue-name '*'")
    assert "digest" not in procfile  # no separate scheduler to keep running
    serve = (ROOT / "Makefile").read_text().split("\nserve:", 1)[1].split("\nclean:", 1)[0]
    assert serve.index("manage.py schedule_digests") < serve.index("manage.py db_worker")
