"""The forum's events: what one part announces and the others react to, declared in one place.

The core (posting, agreeing, reading a page) announces what happened; moderation, notifications
and the page cache react, so the core never imports them. Every event below says what it carries
and when its handlers run:

- **now**: during `send()`, inside the sender's transaction. A handler's error rolls the change
  back with it: moderation sending an edited comment for review must stand or fall with the edit,
  and cached pages must be renewed before the request that made the change renders one.
- **after commit**: once the sender's transaction commits, each handler is queued as a task
  (`deliver`) with the event's values: ids and ISO timestamps, so they survive the queue. Nothing
  runs for a change that was rolled back. A handler that fails is logged and tried again by the
  task worker, up to MAX_ATTEMPTS times with longer waits; it can never undo the change.

Who handles what is wired in `ForumConfig.ready()` (forum/apps.py); docs/architecture.md has the
table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_DELAYS = (60, 300, 1800, 3600)  # seconds before attempts 2, 3, 4 and 5


@dataclass(eq=False)
class Event:
    """Something that happened, with the names of the values it carries."""

    name: str
    carries: tuple[str, ...]
    after_commit: bool
    about: str
    handlers: list[Callable] = field(default_factory=list, repr=False)

    def connect(self, handler: Callable) -> None:
        """Subscribe `handler` (called with the event's values as keywords). After-commit handlers
        are found again by the task worker from their dotted path, so they live at module level."""
        if self.after_commit and ("<locals>" in handler.__qualname__ or handler.__name__ == "<lambda>"):
            raise ValueError(f"{self.name} runs its handlers in the task worker: {handler!r} must be module-level.")
        if handler not in self.handlers:
            self.handlers.append(handler)

    def disconnect(self, handler: Callable) -> None:
        if handler in self.handlers:
            self.handlers.remove(handler)

    def send(self, **values) -> None:
        if set(values) != set(self.carries):
            raise TypeError(f"{self.name} carries {sorted(self.carries)}, not {sorted(values)}.")
        for handler in list(self.handlers):
            if self.after_commit:
                path = f"{handler.__module__}.{handler.__qualname__}"
                transaction.on_commit(partial(_queue, self.name, path, values), robust=True)
            else:
                handler(**values)


def _queue(event: str, handler: str, values: dict) -> None:
    """Queue one handler's run (after the commit). If even that fails, the change stands and the
    failure is logged: the handlers' own catch-up runs (the daily digest run retries unsent emails) remain."""
    try:
        deliver.enqueue(event, handler, values)
    except Exception:
        log.exception("event=%s handler=%s could not be queued", event, handler)


@task()
def deliver(event: str, handler: str, values: dict, attempt: int = 1) -> bool:
    """Run one after-commit handler with the event's values. A failure is logged and, while
    attempts remain and the task backend can run a task later, queued again after a wait.
    Returns whether the handler succeeded."""
    try:
        import_string(handler)(**values)
    except Exception:
        log.exception("event=%s handler=%s attempt=%s failed", event, handler, attempt)
        _retry(event, handler, values, attempt)
        return False
    return True


def run_later(handler: str, values: dict, *, at) -> None:
    """Run a module-level function (its dotted path) with `values` in the task worker at `at`, once;
    with a task backend that cannot run a task later, the caller's own catch-up must do."""
    if not deliver.get_backend().supports_defer:
        log.warning("handler=%s not scheduled: this task backend cannot run a task later", handler)
        return
    deliver.using(run_after=at).enqueue("later", handler, values, MAX_ATTEMPTS)


def _retry(event: str, handler: str, values: dict, attempt: int) -> None:
    if attempt >= MAX_ATTEMPTS:
        log.error("event=%s handler=%s gave up after %s attempts", event, handler, attempt)
        return
    if not deliver.get_backend().supports_defer:
        log.error("event=%s handler=%s not retried: this task backend cannot run a task later", event, handler)
        return
    later = timezone.now() + timedelta(seconds=RETRY_DELAYS[attempt - 1])
    deliver.using(run_after=later).enqueue(event, handler, values, attempt + 1)


# The events --------------------------------------------------------------------------------------

comment_posted = Event(
    "comment_posted", ("comment", "new_thread"), after_commit=False,
    about="A comment was saved in a discussion, public or waiting for a moderator; `new_thread` when it "
    "opened the discussion.",
)
comment_published = Event(
    "comment_published", ("comment_id", "opening"), after_commit=True,
    about="A comment became public: posted by a member nobody needs to check, or approved by a moderator. "
    "`opening` when it opened its discussion, which became public with it.",
)
comment_edited = Event(
    "comment_edited", ("comment", "editor"), after_commit=False,
    about="A comment's text changed (by its author or a moderator); a new revision was saved.",
)
comment_deleted = Event(
    "comment_deleted", ("comment",), after_commit=False,
    about="A comment's text and history were removed; a placeholder keeps its place.",
)
agreement_changed = Event(
    "agreement_changed", ("comment",), after_commit=False,
    about="A member agreed with a comment or took their agreement back; its figures changed.",
)
common_ground_reached = Event(
    "common_ground_reached", ("comment_id",), after_commit=True,
    about="A comment became common ground for the first time.",
)
moderated = Event(
    "moderated", ("target", "action"), after_commit=False,
    about="A moderation action was logged (`action` as the log records it) on a comment, discussion, theme, "
    "member or filter.",
)
member_told = Event(
    "member_told", ("member_id", "message", "comment_id", "thread_id", "actor_id", "at"), after_commit=True,
    about="A member must be told about a moderation decision; `at` (ISO) is the moment of the decision.",
)
theme_responded = Event(
    "theme_responded", ("theme_id", "at"), after_commit=True,
    about="A facilitator posted the official response to a theme at `at` (ISO).",
)
commitment_changed = Event(
    "commitment_changed", ("commitment_id", "status", "at"), after_commit=True,
    about="A facilitator recorded a dated update on a commitment of a theme's response: its `status` from "
    "`at` (ISO) on, with a note (the reason, when it was dropped).",
)
page_read = Event(
    "page_read", ("reader", "thread", "page"), after_commit=False,
    about="A signed-in member is about to be shown a page of a discussion.",
)
forum_changed = Event(
    "forum_changed", ("reason",), after_commit=False,
    about="Something shown on many pages changed outside the flows above: an admin edit, themes or texts "
    "loaded, counters repaired, an account erased, demo data seeded.",
)

comment_coded = Event(
    "comment_coded", ("comment",), after_commit=False,
    about="A facilitator changed the codes applied to a comment.",
)
reader_changed = Event(
    "reader_changed", ("reader_id",), after_commit=False,
    about="A member's own state around the discussions changed: a vote, a follow level, how far they have "
    "read a discussion, a draft.",
)
map_changed = Event(
    "map_changed", ("entry",), after_commit=False,
    about="A need or an offer was placed on the planning map, or an offer was linked to a need or unlinked.",
)

ALL = (comment_posted, comment_published, comment_edited, comment_deleted, agreement_changed, common_ground_reached,
       moderated, member_told, theme_responded, commitment_changed, page_read, forum_changed, map_changed,
       comment_coded, reader_changed)
