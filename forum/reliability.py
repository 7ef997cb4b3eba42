"""Nothing a member types is lost: one-time form keys, edit conflicts, drafts and text kept over a sign-in.

- **One-time keys.** Every comment and discussion form carries a random `submission_key`. The
  comment is saved with a `SubmissionKey(user, key)` row in the same transaction; a second POST
  with the same key (a double click, back-and-resubmit, a retry after a timeout) finds the
  comment already made and goes to it. Two POSTs racing each other meet at the unique
  constraint: the second one's INSERT fails inside a savepoint (on PostgreSQL it waits for the
  first transaction to finish) and it reads the comment the first one made.
- **Edit conflicts.** An edit form carries `base_revision`, the newest revision when the form was
  opened. Saving checks it with the comment row locked; a newer revision (a moderator's edit, a
  second tab) refuses the save with `EditConflict` and the page shows both texts.
- **Drafts.** The reply, discussion and edit forms are saved as `Draft` rows as the member types
  (forum.views.drafts and static_src/js/drafts.js), one per member and *context*: `thread:<id>`,
  `theme:<slug>:new`, `paragraph:<key>:new` or `edit:<comment id>`. A form with no submitted data
  starts from the draft; posting deletes it in the posting transaction.
- **Expired sessions.** A form sent by someone who is no longer signed in keeps its text in the
  server-side session (`PENDING_SESSION_KEY`) and sends them to sign in. Django's `login()` keeps
  session data when it rotates the key, so when the page opens again for the signed-in member the
  text becomes their draft and the form shows it with a notice.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from forum.models import COMMENT_MAX_LENGTH, TITLE_MAX_LENGTH, Comment, CommentRevision, Draft, SubmissionKey

__all__ = [
    "KEPT_NOTICE",
    "KEY_FIELD",
    "PENDING_SESSION_KEY",
    "EditConflict",
    "Restored",
    "Submission",
    "context_url",
    "discard_draft",
    "edit_context",
    "edit_if_current",
    "hold_for_sign_in",
    "keep_unposted",
    "latest_revision_id",
    "new_submission_key",
    "paragraph_context",
    "restore",
    "save_draft",
    "start_thread_once",
    "submit_once",
    "submitted_comment",
    "theme_context",
    "thread_context",
    "with_thread_draft",
]

KEY_FIELD = "submission_key"
PENDING_SESSION_KEY = "forum:pending_post"
# Text held over a sign-in is given back only for this long, so a later visitor on a shared
# computer does not find someone else's words in their form.
PENDING_MAX_AGE_SECONDS = 2 * 60 * 60
MAX_DRAFTS_PER_MEMBER = 100
KEPT_NOTICE = "We kept what you wrote while you signed in. Check it and post it when you are ready."

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CONTEXT_PATTERN = re.compile(
    r"^(?:thread:(?P<thread>\d{1,18})|theme:(?P<theme>[-a-zA-Z0-9_]{1,100}):new"
    r"|paragraph:(?P<paragraph>[-a-zA-Z0-9_]{1,32}):new|edit:(?P<edit>\d{1,18}))$"
)


# --- Contexts: which form a draft belongs to -------------------------------------------------


def thread_context(thread) -> str:
    return f"thread:{thread.pk}"


def theme_context(theme) -> str:
    return f"theme:{theme.slug}:new"


def paragraph_context(paragraph) -> str:
    return f"paragraph:{paragraph.key}:new"


def edit_context(comment) -> str:
    return f"edit:{comment.pk}"


def parse_context(context: str) -> tuple[str, str] | None:
    """("thread", "12") for "thread:12"; None for anything that is not a draft context."""
    match = _CONTEXT_PATTERN.match(context or "")
    if match is None:
        return None
    kind, value = next((k, v) for k, v in match.groupdict().items() if v is not None)
    return kind, value


def context_target_exists(user, context: str) -> bool:
    """The form a draft context names exists and is one `user` may write in (one query)."""
    from articles.models import Paragraph
    from forum.models import Theme, Thread

    parsed = parse_context(context)
    if parsed is None:
        return False
    kind, value = parsed
    if kind == "thread":
        return Thread.objects.visible_to(user).filter(pk=int(value)).exists()
    if kind == "theme":
        return Theme.objects.filter(slug=value).exists()
    if kind == "paragraph":
        return Paragraph.objects.filter(key=value).exists()
    return Comment.objects.filter(pk=int(value), author=user, is_deleted=False).exists()


def context_url(context: str) -> str | None:
    """Where the form for `context` lives (used after discarding a draft without JavaScript)."""
    parsed = parse_context(context)
    if parsed is None:
        return None
    kind, value = parsed
    if kind == "thread":
        from forum.models import Thread

        thread = Thread.objects.filter(pk=int(value)).only("pk", "slug").first()
        return f"{thread.get_absolute_url()}#reply-form" if thread is not None else None
    if kind == "theme":
        return reverse("forum:start_thread", kwargs={"slug": value})
    if kind == "paragraph":
        return reverse("forum:paragraph_discuss", kwargs={"key": value}) + "#start"
    return reverse("forum:comment_edit", kwargs={"pk": int(value)})


# --- One-time keys ---------------------------------------------------------------------------


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
    return Submission(comment=comment)


def start_thread_once(*, user, key, context: str, valid, start) -> Submission:
    """`submit_once` for a new discussion: `start()` returns the thread; the key records its
    opening comment (whose `thread` the caller redirects to)."""

    def create():
        thread = start()
        return Comment.objects.select_related("thread").get(thread=thread, position=1)

    return submit_once(user=user, key=key, context=context, valid=valid, create=create)


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
    from forum import services

    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        unchanged = locked.body == body and (stance is None or locked.stance == stance)
        latest = locked.revisions.order_by("-pk").first()
        if not unchanged and base_revision is not None and latest is not None and latest.pk != base_revision:
            raise EditConflict(latest)
        Draft.objects.filter(user=editor, context=edit_context(comment)).delete()
        if unchanged:
            return False
        services.edit_comment(comment=comment, editor=editor, body=body, stance=stance)
    return True


# --- Drafts ----------------------------------------------------------------------------------


def save_draft(*, user, context: str, body: str, title: str = "", base_revision: int | None = None) -> Draft | None:
    """Keep what `user` is writing in the form `context`; empty text removes the draft.

    A member keeps at most MAX_DRAFTS_PER_MEMBER drafts: a new one beyond that replaces the
    oldest, so an endless stream of contexts cannot fill the table.
    """
    # NUL characters can't be stored (PostgreSQL refuses them) and the form will refuse them on
    # posting anyway; the rest of the text is kept.
    body = (body or "").replace("\x00", "")[:COMMENT_MAX_LENGTH]
    title = (title or "").replace("\x00", "")[:TITLE_MAX_LENGTH]
    if not body.strip() and not title.strip():
        discard_draft(user=user, context=context)
        return None
    fields = {"body": body, "title": title, "base_revision": base_revision}
    with transaction.atomic():
        try:
            with transaction.atomic():
                draft, created = Draft.objects.update_or_create(user=user, context=context, defaults=fields)
        except IntegrityError:
            # Another request made the row and a post deleted it in between: write it once more.
            draft, created = Draft.objects.update_or_create(user=user, context=context, defaults=fields)
        if created:
            surplus = Draft.objects.filter(user=user).order_by("-updated_at", "-pk").values_list("pk", flat=True)[
                MAX_DRAFTS_PER_MEMBER:
            ]
            if surplus_ids := list(surplus):
                Draft.objects.filter(pk__in=surplus_ids).delete()
    return draft


def keep_unposted(request, context: str) -> None:
    """A signed-in member previewed the form or it came back with an error: their text is on
    the page, and now also in their draft (the same as the script would have saved)."""
    if not request.user.is_authenticated:
        return
    raw_revision = request.POST.get("base_revision", "")
    save_draft(
        user=request.user,
        context=context,
        body=request.POST.get("body", ""),
        title=request.POST.get("title", ""),
        base_revision=int(raw_revision) if raw_revision.isdigit() else None,
    )


def discard_draft(*, user, context: str) -> None:
    Draft.objects.filter(user=user, context=context).delete()


def with_thread_draft(queryset, user):
    """Annotate threads with `draft_body`: the reader's reply draft, inside the thread's own query."""
    if user is None or not user.is_authenticated:
        return queryset
    context = Concat(Value("thread:"), Cast(OuterRef("pk"), CharField()), output_field=CharField())
    drafts = Draft.objects.filter(user=user, context=context).values("body")[:1]
    return queryset.annotate(draft_body=Subquery(drafts))


@dataclass
class Restored:
    """Text to start a form from, and why it is there."""

    body: str = ""
    title: str = ""
    base_revision: int | None = None
    kept_over_sign_in: bool = False  # show KEPT_NOTICE
    from_draft: bool = False  # show "this is your draft" with a way to discard it

    def __bool__(self) -> bool:
        return self.from_draft or self.kept_over_sign_in


def hold_for_sign_in(request, *, context: str, next_url: str, title: str = "", body: str = "",
                     base_revision: int | None = None):
    """Someone not (or no longer) signed in sent a form: keep its text in their session and send
    them to sign in, then back to `next_url` (a path, never carrying the text)."""
    body = (body or "")[:COMMENT_MAX_LENGTH]
    title = (title or "")[:TITLE_MAX_LENGTH]
    if (body.strip() or title.strip()) and parse_context(context) is not None:
        request.session[PENDING_SESSION_KEY] = {
            "context": context,
            "title": title,
            "body": body,
            "base_revision": base_revision,
            "at": time.time(),
        }
    return redirect_to_login(next_url)


def _take_pending(request, context: str) -> dict | None:
    session = getattr(request, "session", None)
    if session is None or PENDING_SESSION_KEY not in session:
        return None
    pending = session.get(PENDING_SESSION_KEY) or {}
    if time.time() - float(pending.get("at", 0)) > PENDING_MAX_AGE_SECONDS:
        del session[PENDING_SESSION_KEY]
        return None
    if pending.get("context") != context:
        return None
    del session[PENDING_SESSION_KEY]
    return pending


def restore(request, context: str, *, draft: Draft | None = None, look_up: bool = True) -> Restored:
    """What the form `context` should start with for this reader, when it has no submitted data.

    Text held over a sign-in comes first: it is moved into the member's draft (so it also
    reaches their other devices) and flagged for the notice. Otherwise the member's draft, passed
    in when the caller already has it, else looked up (one query) unless `look_up` is False.
    """
    user = request.user
    if not user.is_authenticated:
        return Restored()
    pending = _take_pending(request, context)
    if pending is not None:
        base_revision = pending.get("base_revision")
        save_draft(user=user, context=context, body=pending.get("body", ""), title=pending.get("title", ""),
                   base_revision=base_revision)
        return Restored(body=pending.get("body", ""), title=pending.get("title", ""), base_revision=base_revision,
                        kept_over_sign_in=True, from_draft=True)
    if draft is None and look_up:
        draft = Draft.objects.filter(user=user, context=context).first()
    if draft is None:
        return Restored()
    return Restored(body=draft.body, title=draft.title, base_revision=draft.base_revision, from_draft=True)
