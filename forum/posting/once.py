"""Nothing a member types is posted twice, or saved over someone else's change.

- **One-time keys.** Every comment and discussion form carries a random `submission_key`. The
  comment is saved with a `SubmissionKey(user, key)` row in the same transaction; a second POST
  with the same key (a double click, back-and-resubmit, a retry after a timeout) finds the
  comment already made and goes to it. Two POSTs racing each other meet at the unique
  constraint: the second one's INSERT fails inside a savepoint (on PostgreSQL it waits for the
  first transaction to finish) and it reads the comment the first one made.
- **Edit conflicts.** An edit form carries `base_revision`, the newest revision when the form was
  opened. Saving checks it with the comment row locked; a newer revision (a moderator's edit, a
  second tab) refuses the save with `EditConflict` and the page shows both texts.

Drafts and text kept over a sign-in are in `forum.posting.drafts`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from forum import events
from forum.models import Comment, CommentRevision, Draft, SubmissionKey
from forum.posting import services
from forum.posting.drafts import edit_context

KEY_FIELD = "submission_key"
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

def new_submission_key() -> str:
    """A fresh random key for a form being shown (the form field's initial value)."""
    return secrets.token_urlsafe(24)


def _clean_key(key) -> str:
    return key if isinstance(key, str) and _KEY_PATTERN.match(key) else ""


def submitted_comment(user, key) -> Comment | None:
    """The comment this member already posted with this form key, if any (no query without a key)."""
    key = _clean_key(key)
    if not key or user is None or not user.is_authenticated:
        return None
    record = SubmissionKey.objects.filter(user=user, key=key).select_related("comment__thread").first()
    return record.comment if record is not None else None


SUBMISSION_KEY_DAYS = 7  # a form sent again later than this is no longer a retry


def prune_submission_keys(*, older_than_days: int = SUBMISSION_KEY_DAYS, batch_size: int = 5000) -> int:
    """Delete the one-time keys of forms posted more than `older_than_days` ago, in batches (each
    its own short transaction); returns how many went. A repeated POST that old makes a new
    comment instead of finding the first one."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    removed = 0
    while True:
        batch = list(SubmissionKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not batch:
            return removed
        removed += SubmissionKey.objects.filter(pk__in=batch).delete()[0]


@dataclass
class Submission:
    """What became of a posted form: the comment it made (or had already made), or nothing
    because the form was not valid."""

    comment: Comment | None = None
    repeated: bool = False  # the key had been used: `comment` is the earlier one (None if since removed)

    @property
    def invalid(self) -> bool:
        return self.comment is None and not self.repeated


def submit_once(*, user, key, context: str, valid, create) -> Submission:
    """Post a form once per one-time key: claim the key, check the form, create, clear the draft.

    The key is claimed *before* `valid()` (the form's is_valid) runs, inside the transaction that
    then creates the comment: a second POST racing the first waits at the claim until the first
    commits, and finds its comment, instead of being judged on its own (a rate limit could refuse
    it). When `valid()` is False everything is rolled back, the key too, so the re-rendered form
    can be sent again with it. The key, the comment with its counters and the draft's deletion
    stand or fall together.
    """
    key = _clean_key(key)
    with transaction.atomic():
        record = None
        if key:
            try:
                with transaction.atomic():
                    record = SubmissionKey.objects.create(user=user, key=key)
            except IntegrityError:
                return Submission(comment=submitted_comment(user, key), repeated=True)
        if not valid():
            transaction.set_rollback(True)
            return Submission()
        comment = create()
        if record is not None:
            record.comment = comment
            record.save(update_fields=["comment"])
        Draft.objects.filter(user=user, context=context).delete()
        events.reader_changed.send(reader_id=user.pk)
    return Submission(comment=comment)


# --- Edit conflicts --------------------------------------------------------------------------


class EditConflict(Exception):
    """The comment has a newer revision than the one the edit started from."""

    def __init__(self, revision: CommentRevision):
        super().__init__("This comment was changed after you started editing it.")
        self.revision = revision


def latest_revision_id(comment) -> int | None:
    return comment.revisions.order_by("-pk").values_list("pk", flat=True).first()


def edit_if_current(*, comment: Comment, editor, body: str, stance: str | None, base_revision: int | None) -> bool:
    """Save an edit unless the comment changed since revision `base_revision`.

    Locks the comment row first, so a moderator's edit cannot slip in between the check and the
    save. Returns False when the text and stance already are what was sent (a repeated Save),
    True when a revision was added; raises `EditConflict` with the newer revision otherwise.
    Deletes the member's draft for this edit either way.
    """
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        unchanged = locked.body == body and (stance is None or locked.stance == stance)
        latest = locked.revisions.order_by("-pk").first()
        if not unchanged and base_revision is not None and latest is not None and latest.pk != base_revision:
            raise EditConflict(latest)
        Draft.objects.filter(user=editor, context=edit_context(comment)).delete()
        events.reader_changed.send(reader_id=editor.pk)
        if unchanged:
            return False
        services.edit_comment(comment=comment, editor=editor, body=body, stance=stance)
    return True
