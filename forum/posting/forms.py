"""The posting forms. Each one re-checks the permission rules when it is submitted, so a form that
went stale (a thread locked, a theme closed, a comment deleted while someone was typing) comes back
with a clear message beside the text, and the text is kept. Each screens the text once
(`forum.posting.screening`), and `save()` posts it with what the screening found."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html

from config.text import one_line
from forum import permissions
from forum.models import COMMENT_MAX_LENGTH, TITLE_MAX_LENGTH, Comment, PostedAs, Stance
from forum.posting import ratelimits, screening, services
from forum.posting.once import new_submission_key

BODY_HELP = format_html(
    "Write in Markdown: <code>**bold**</code>, <code>*italic*</code>, <code>- lists</code>, "
    "<code>&gt; quotes</code>, <code>[link text](https://…)</code> and tables. "
    "To mention a member, type <code>@\"Their Name\"</code> or <code>@Their_Name</code>. "
    "HTML is shown as text. Up to {} characters.",
    f"{COMMENT_MAX_LENGTH:,}",
)

STANCE_CHOICES = [("", "No tag"), *Stance.choices]


class OneLineField(forms.CharField):
    """A text box for a title: line breaks and other control characters sent in it become spaces
    (a title goes into headings and email subjects), so what was typed is kept, on one line."""

    def to_python(self, value):
        return one_line(super().to_python(value))

    def bound_data(self, data, initial):
        """What the box shows again (a preview, an error): the title as it will be saved."""
        data = super().bound_data(data, initial)
        return one_line(data) if isinstance(data, str) else data


def _length_message(kind: str, limit: int) -> str:
    return f"{kind} must be {limit:,} characters or fewer (it has %(show_value)s)."


class CommentBodyMixin(forms.Form):
    body = forms.CharField(
        label="Your comment",
        help_text=BODY_HELP,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": "Enter your comment.",
            "max_length": _length_message("Your comment", COMMENT_MAX_LENGTH),
        },
    )
    stance = forms.ChoiceField(
        label="Tag your comment (optional)",
        help_text="A tag tells readers at a glance what kind of comment this is.",
        choices=STANCE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    # The rate-limited action a submitted form counts against (None: not limited, as for edits).
    limited_action: str | None = None

    def screen(self) -> None:
        """Run the rate limits and filters once (from `clean()`, after the form's own checks):
        a refusal goes beside the text; otherwise the filters' replacements are made."""
        self.screening = None
        if self.errors or self.user is None or not self.user.is_authenticated:
            return
        previewing = self.data.get("action") == "preview"
        result = screening.screen(self.user, self.cleaned_data.get("body", ""), action=self.limited_action,
                                  previewing=previewing)
        if result.refusal:
            self.add_error("body", result.refusal)
            return
        self.cleaned_data["body"] = result.body
        self.screening = result

    @property
    def needs_review(self) -> bool | None:
        """Whether the filters send the post for review (None when it was not screened)."""
        return self.screening.needs_review if getattr(self, "screening", None) else None

    def count_on_commit(self) -> None:
        if getattr(self, "screening", None):
            self.screening.count_on_commit()


class SubmissionKeyMixin(forms.Form):
    """A one-time key, new each time the empty form is shown and sent back with it (also through
    a preview or an error), so a repeated POST finds the comment it already made."""

    submission_key = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput, initial=new_submission_key
    )


class ThreadForm(SubmissionKeyMixin, CommentBodyMixin):
    """Start a discussion: a title and the opening comment, saved together."""

    title = OneLineField(
        label="Title of your discussion",
        help_text="Say what you want to discuss in a few words.",
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": "Enter a title for your discussion.",
            "max_length": _length_message("The title", TITLE_MAX_LENGTH),
        },
    )
    field_order = ["title", "body", "stance"]
    limited_action = ratelimits.THREAD

    def __init__(self, *args, user, theme=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Not `self.theme`: templates read `form.theme` as the theme field of ParagraphThreadForm.
        self.target_theme = theme
        self.fields["body"].label = "Your opening comment"

    def clean(self):
        cleaned = super().clean()
        theme = self.get_theme(cleaned)
        if theme is not None and (reason := permissions.start_thread_refusal(self.user, theme)):
            self.add_error("body", reason)
        self.screen()
        return cleaned

    def get_theme(self, cleaned):
        return self.target_theme

    def save(self, *, paragraph=None):
        """Start the discussion (a valid form only), counting it against the rate limits once it
        commits."""
        data = self.cleaned_data
        thread = services.start_thread(
            theme=self.get_theme(data), author=self.user, title=data["title"], body=data["body"],
            stance=data["stance"], paragraph=paragraph, needs_review=self.needs_review,
        )
        self.count_on_commit()
        return thread


class ParagraphThreadForm(ThreadForm):
    """Start a discussion about one paragraph, in a theme the member picks from those offered."""

    theme = forms.ChoiceField(
        label="Which theme does this belong to?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the theme your discussion belongs to."},
    )
    field_order = ["theme", "title", "body", "stance"]

    def __init__(self, *args, themes, **kwargs):
        super().__init__(*args, **kwargs)
        self.themes = {str(theme.pk): theme for theme in themes}
        self.fields["theme"].choices = [(key, theme.title) for key, theme in self.themes.items()]
        if len(self.themes) == 1:
            self.fields["theme"].initial = next(iter(self.themes))

    def get_theme(self, cleaned):
        return self.themes.get(cleaned.get("theme"))


class CommentForm(SubmissionKeyMixin, CommentBodyMixin):
    """A reply in a thread, optionally to one comment and quoting it."""

    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    quoted_comment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    limited_action = ratelimits.COMMENT

    def __init__(self, *args, user, thread, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.thread = thread
        self.parent_comment: Comment | None = None
        self.quoted: Comment | None = None
        roles = [(PostedAs.MEMBER, "As a member")]
        if permissions.can_post_as_moderator(user):
            roles.append((PostedAs.MODERATOR, "As a moderator (shown with a Moderator tag)"))
        if permissions.can_respond_to_theme(user):
            roles.append((PostedAs.FACILITATOR, "As a facilitator (shown with a Facilitator tag)"))
        if len(roles) > 1:
            self.fields["posted_as"] = forms.ChoiceField(
                label="Post this comment", choices=roles, initial=PostedAs.MEMBER, required=False,
                widget=forms.RadioSelect,
            )

    def _thread_comment(self, pk):
        if not pk:
            return None
        return (
            Comment.objects.visible_to(self.user)
            .select_related("thread__theme")
            .filter(thread=self.thread, pk=pk)
            .first()
        )

    def clean(self):
        cleaned = super().clean()
        reason = permissions.comment_refusal(self.user, self.thread)
        if not reason and cleaned.get("parent"):
            self.parent_comment = self._thread_comment(cleaned["parent"])
            if self.parent_comment is None:
                reason = "The comment you are replying to is no longer available."
            else:
                reason = permissions.reply_refusal(self.user, self.parent_comment)
        if not reason and cleaned.get("quoted_comment"):
            self.quoted = self._thread_comment(cleaned["quoted_comment"])
            if self.quoted is None or self.quoted.is_deleted:
                reason = "The comment you are quoting has been deleted. Remove the quote and post again."
        if reason:
            self.add_error("body", reason)
        self.screen()
        return cleaned

    @property
    def posted_as_choice(self) -> str:
        return (self.cleaned_data.get("posted_as") if "posted_as" in self.fields else "") or PostedAs.MEMBER

    def save(self) -> Comment:
        """Post the reply (a valid form only), counting it against the rate limits once it commits."""
        data = self.cleaned_data
        comment = services.create_comment(
            thread=self.thread, author=self.user, body=data["body"], parent=self.parent_comment,
            quoted_comment=self.quoted, stance=data["stance"], posted_as=self.posted_as_choice,
            needs_review=self.needs_review,
        )
        self.count_on_commit()
        return comment


class EditCommentForm(CommentBodyMixin):
    # The newest revision when the form was opened: saving over a newer one is refused.
    base_revision = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user, comment, **kwargs):
        kwargs.setdefault("initial", {"body": comment.body, "stance": comment.stance})
        super().__init__(*args, **kwargs)
        self.user = user
        self.comment = comment
        self.fields["body"].label = "Your comment"

    def clean(self):
        cleaned = super().clean()
        if reason := permissions.edit_refusal(self.user, self.comment):
            self.add_error("body", reason)
        self.screen()
        return cleaned
