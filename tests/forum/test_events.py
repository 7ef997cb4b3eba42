"""The forum's events: what runs inside the change's transaction, what waits for its commit, and
what becomes of a handler that fails after the commit."""

from __future__ import annotations

import logging

import pytest

from forum import events
from forum.models import Comment
from forum.posting import services
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db

HEARD: list[dict] = []


def remember(**values) -> None:
    """An after-commit handler (module-level, as the task worker finds it by its path)."""
    HEARD.append(values)


def break_down(**values) -> None:
    raise RuntimeError("the mail server is down")


@pytest.fixture(autouse=True)
def _nothing_heard():
    HEARD.clear()
    yield
    HEARD.clear()


@pytest.fixture
def listening(monkeypatch):
    """Subscribe a handler to an event for this test only."""

    def listen(event, handler):
        monkeypatch.setattr(event, "handlers", [*event.handlers, handler])

    return listen


def test_an_event_refuses_values_it_does_not_carry():
    with pytest.raises(TypeError, match="carries"):
        events.comment_published.send(comment_id=1)
    with pytest.raises(TypeError, match="carries"):
        events.forum_changed.send(reason="x", extra=1)


def test_every_event_says_what_it_is_about_and_when_its_handlers_run():
    for event in events.ALL:
        assert event.about and event.carries
        assert isinstance(event.after_commit, bool)


def test_a_handler_that_runs_after_the_commit_must_be_findable_by_the_worker():
    with pytest.raises(ValueError, match="module-level"):
        events.comment_published.connect(lambda **values: None)


def test_after_commit_handlers_hear_nothing_until_the_commit(thread, other_member, listening,
                                                              django_capture_on_commit_callbacks):
    listening(events.comment_published, remember)
    with django_capture_on_commit_callbacks() as callbacks:
        comment = reply(thread, other_member, "Heard after the commit")
    assert HEARD == []
    for callback in callbacks:
        callback()
    assert {"comment_id": comment.pk, "opening": False} in HEARD


def test_a_rolled_back_post_announces_nothing(thread, other_member, listening, django_capture_on_commit_callbacks):
    listening(events.comment_published, remember)
    listening(events.comment_posted, break_down)  # a handler inside the transaction fails
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        reply(thread, other_member, "Never posted")
    assert not Comment.objects.filter(body="Never posted").exists()
    assert HEARD == []


def test_a_handler_failing_after_the_commit_is_logged_and_never_undoes_the_post(
    thread, other_member, listening, caplog, django_capture_on_commit_callbacks
):
    listening(events.comment_published, break_down)
    with caplog.at_level(logging.ERROR, logger="forum.events"), django_capture_on_commit_callbacks(execute=True):
        comment = services.create_comment(thread=thread, author=other_member, body="Still here", needs_approval=False)
    assert Comment.objects.filter(pk=comment.pk, body="Still here").exists()
    failures = [record for record in caplog.records if "failed" in record.getMessage()]
    assert failures and "comment_published" in failures[0].getMessage()


def test_a_failed_handler_is_queued_again_for_later_where_the_worker_can_wait(settings, caplog):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = events.deliver.get_backend()
    backend.clear()
    path = f"{__name__}.break_down"

    with caplog.at_level(logging.ERROR, logger="forum.events"):
        assert events.deliver.call("comment_published", path, {"comment_id": 1, "opening": False}) is False

    (retry,) = backend.results
    assert retry.task.func is events.deliver.func
    assert retry.task.run_after is not None
    assert retry.args == ["comment_published", path, {"comment_id": 1, "opening": False}, 2]


def test_a_handler_is_given_up_after_its_last_attempt(settings, caplog):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = events.deliver.get_backend()
    backend.clear()

    with caplog.at_level(logging.ERROR, logger="forum.events"):
        events.deliver.call("forum_changed", f"{__name__}.break_down", {"reason": "x"}, events.MAX_ATTEMPTS)

    assert backend.results == []
    assert any("gave up" in record.getMessage() for record in caplog.records)


def test_without_a_worker_that_can_wait_the_failure_is_said_not_retried(caplog):
    with caplog.at_level(logging.ERROR, logger="forum.events"):
        events.deliver.call("forum_changed", f"{__name__}.break_down", {"reason": "x"})
    assert any("not retried" in record.getMessage() for record in caplog.records)


def test_a_handler_that_succeeds_runs_with_the_events_values():
    assert events.deliver.call("forum_changed", f"{__name__}.remember", {"reason": "texts loaded"}) is True
    assert HEARD == [{"reason": "texts loaded"}]
