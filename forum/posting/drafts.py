"""Nothing a member types is lost: drafts, and text kept over a sign-in.

- **Drafts.** The reply, discussion and edit forms are saved as `Draft` rows as the member types
  (forum.views.drafts and static_src/js/drafts.js), one per member and *context*: `thread:<id>`,
  `theme:<slug>:new`, `paragraph:<key>:new` or `edit:<comment id>`. A form with no submitted data
  starts from the draft; posting deletes it in the posting transaction (`forum.posting.once`).
- **Expired sessions.** A form sent by someone who is no longer signed in keeps its text in the
  server-side session (`PENDING_SESSION_KEY`) and sends them to sign in. Django's `login()` keeps
  session data when it rotates the key, so when the page opens again for the signed-in member the
  text becomes their draft and the form shows it with a notice.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse

from articles.models import Paragraph
from forum import events
from forum.models import COMMENT_MAX_LENGTH, TITLE_MAX_LENGTH, Comment, Draft, Theme, Thread

PENDING_SESSION_KEY = "forum:pending_post"
# Text held over a sign-in is given back only for this long, so a later visitor on a shared
# computer does not find someone else's words in their form.
PENDING_MAX_AGE_SECONDS = 2 * 60 * 60
MAX_DRAFTS_PER_MEMBER = 100
KEPT_NOTICE = "We kept what you wrote while you signed in. Check it and post it when you are ready."

_CONTEXT_PATTERN = re.compile(
    r"^(?:thread:(?P<thread>\d{1,18})|theme:(?P<theme>[-a-zA-Z0-9_]{1,100}):new"
    r"|paragraph:(?P<paragraph>[-a-zA-Z0-9_]{1,32}):new|edit:(?P<edit>\d{1,18})|map:(?P<map>need|offer):new)$"
)


# --- Contexts: which form a draft belongs to -------------------------------------------------


def thread_context(thread) -> str:
    return f"thread:{thread.pk}"


def theme_context(theme) -> str:
    return f"theme:{theme.slug}:new"


def paragraph_context(paragraph) -> str:
    return f"paragraph:{paragraph.key}:new"


def map_context(kind: str) -> str:
    """A new need or offer for the planning map."""
    return f"map:{kind}:new"


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
    if kind == "map":
        return True
    return Comment.objects.filter(pk=int(value), author=user, is_deleted=False).exists()


def context_url(context: str) -> str | None:
    """Where the form for `context` lives (used after discarding a draft without JavaScript)."""
    parsed = parse_context(context)
    if parsed is None:
        return None
    kind, value = parsed
    if kind == "thread":
        thread = Thread.objects.filter(pk=int(value)).only("pk", "slug").first()
        return f"{thread.get_absolute_url()}#reply-form" if thread is not None else None
    if kind == "theme":
        return reverse("forum:start_thread", kwargs={"slug": value})
    if kind == "paragraph":
        return reverse("forum:paragraph_discuss", kwargs={"key": value}) + "#start"
    if kind == "map":
        return reverse("forum:map_new", kwargs={"kind": value})
    return reverse("forum:comment_edit", kwargs={"pk": int(value)})

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
    events.reader_changed.send(reader_id=user.pk)
    return draft


def _posted_text(request) -> dict:
    """The text of a posted form: its body, title and the revision an edit started from."""
    raw_revision = request.POST.get("base_revision", "")
    return {
        "body": request.POST.get("body", ""),
        "title": request.POST.get("title", ""),
        "base_revision": int(raw_revision) if raw_revision.isdigit() else None,
    }


def keep_unposted(request, context: str) -> None:
    """A signed-in member previewed the form or it came back with an error: their text is on
    the page, and now also in their draft (the same as the script would have saved)."""
    if request.user.is_authenticated:
        save_draft(user=request.user, context=context, **_posted_text(request))


def hold_posted_for_sign_in(request, *, context: str, next_url: str):
    """`hold_for_sign_in` with the text of the form just posted."""
    return hold_for_sign_in(request, context=context, next_url=next_url, **_posted_text(request))


def discard_draft(*, user, context: str) -> None:
    Draft.objects.filter(user=user, context=context).delete()
    events.reader_changed.send(reader_id=user.pk)


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
