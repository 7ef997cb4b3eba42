"""The one start-or-reply flow behind every form that posts: a new discussion (from a theme's or a
paragraph's page) and a reply (on a discussion's page).

- Someone no longer signed in who sends the form keeps their text over a sign-in.
- A form shown afresh starts from the member's draft, or from text kept over a sign-in.
- Preview shows the text as it will be saved, and keeps it as the member's draft.
- Posting checks the form and saves the post once per one-time key (a repeated POST goes to what
  the first one made); a form that comes back with an error keeps its text as the draft too.

The caller renders its own page with what is returned, unless `response` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse

from forum.models import Comment
from forum.posting import drafts, once
from forum.views.common import preview_html, wants_preview


@dataclass
class Composing:
    """A form being written: the bound or initial form, its preview, the text it was restored
    from, or the response to send instead of the page."""

    form: object = None
    preview_html: str | None = None
    restored: drafts.Restored = field(default_factory=drafts.Restored)
    response: HttpResponse | None = None

    def context(self, request, draft_context: str) -> dict:
        """What the form's templates need (forum/includes/form_fields.html and friends)."""
        return {
            "form": self.form,
            "preview_html": self.preview_html,
            "draft_context": draft_context if request.user.is_authenticated else "",
            "restored": self.restored,
        }


def compose(request, *, context: str, make_form, create, done, next_url: str) -> Composing:
    """Run the flow for the form `context` (a draft context, such as `thread:12`).

    `make_form(data, initial)` builds the form; `create(form)` posts a valid one and returns the
    comment it made (a new discussion's opening comment); `done(comment)` is the response after
    posting, given None when a repeated POST's comment has since gone; `next_url` is where a
    member signing in comes back to.
    """
    if request.method == "POST" and not request.user.is_authenticated:
        return Composing(response=drafts.hold_posted_for_sign_in(request, context=context, next_url=next_url))
    if request.method != "POST":
        restored = drafts.restore(request, context)
        initial = {"title": restored.title, "body": restored.body} if restored else None
        return Composing(form=make_form(None, initial), restored=restored)
    form = make_form(request.POST, None)
    if wants_preview(request):
        drafts.keep_unposted(request, context)
        return Composing(form=form, preview_html=preview_html(form))
    submission = once.submit_once(
        user=request.user,
        key=request.POST.get(once.KEY_FIELD),
        context=context,
        valid=form.is_valid,
        create=lambda: create(form),
    )
    if not submission.invalid:
        if submission.comment is not None and submission.comment.needs_approval:
            messages.info(request, waiting_message(submission.comment))
        return Composing(form=form, response=done(submission.comment))
    drafts.keep_unposted(request, context)
    return Composing(form=form)


def waiting_message(comment) -> str:
    """What a member is told when their post waits for a moderator."""
    what = "discussion" if comment.position == 1 else "comment"
    return (
        f"Your {what} is saved. A moderator reads it before others can see it, usually within "
        f"{settings.MODERATION_USUAL_HOURS} hours: new members' first posts, and posts our filters "
        "pick out, are checked this way. Until then only you and the moderators can see it, and we "
        "will tell you when it is published."
    )


def opening_comment(thread) -> Comment:
    """What a new discussion's one-time key records: its opening comment."""
    return Comment.objects.select_related("thread").get(thread=thread, position=1)
