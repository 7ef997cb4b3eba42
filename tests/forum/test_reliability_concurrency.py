"""Many members posting to one discussion at the same moment, through the real views, on PostgreSQL:
the counters stay true, positions stay unique, and a form sent twice at once makes one comment."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from forum.models import Comment, SubmissionKey, Thread
from forum.posting import once
from forum.posting.counter_check import find_drift
from tests.conftest import make_member

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.IS_POSTGRES,
        reason="SQLite writes one transaction at a time, so it cannot show what row locks do under concurrency",
    ),
]

WRITERS = 8


@pytest.fixture
def no_rate_limits():
    with override_settings(FORUM_RATE_LIMITS_ENABLED=False):
        yield
POSTS_EACH = 5


def run_together(work, count: int) -> list:
    """Run `work(i)` in `count` threads released at the same instant; return results or errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # handed back to the test, which fails on it
            results[index] = error
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.usefixtures("no_rate_limits")  # new members may post 3 in 10 minutes; this is about locks
def test_members_posting_at_once_leave_true_counters_and_unique_positions(thread):
    writers = [make_member(f"writer{i}@example.org", display_name=f"Writer {i}") for i in range(WRITERS)]
    clients = [signed_in_client(user) for user in writers]
    url = reverse("forum:reply", kwargs={"pk": thread.pk})

    def post_several(index):
        statuses = []
        for number in range(POSTS_EACH):
            response = clients[index].post(url, {"submission_key": once.new_submission_key(),
                                                 "action": "post", "body": f"Writer {index}, post {number}"})
            statuses.append(response.status_code)
        return statuses

    results = run_together(post_several, WRITERS)

    assert results == [[302] * POSTS_EACH] * WRITERS
    thread = Thread.objects.get(pk=thread.pk)
    positions = list(Comment.objects.filter(thread=thread).order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, WRITERS * POSTS_EACH + 2))
    assert thread.comment_count == Comment.objects.filter(thread=thread).count() == WRITERS * POSTS_EACH + 1
    assert thread.last_position == positions[-1]
    assert find_drift() == []


def test_one_form_sent_several_times_at_once_makes_one_comment(thread, member):
    # Rate limits stay on: the copies wait for the first POST's key and never reach the form checks.
    clients = [signed_in_client(member) for _ in range(WRITERS)]
    key = once.new_submission_key()
    url = reverse("forum:reply", kwargs={"pk": thread.pk})

    def send(index):
        response = clients[index].post(url, {"submission_key": key, "action": "post", "body": "Clicked many times"})
        return response.status_code, response["Location"]

    results = run_together(send, WRITERS)

    comment = Comment.objects.get(body="Clicked many times")
    assert results == [(302, f"{thread.get_absolute_url()}#comment-{comment.pk}")] * WRITERS
    assert SubmissionKey.objects.get(key=key).comment == comment
    assert Thread.objects.get(pk=thread.pk).comment_count == 2
    assert find_drift() == []
