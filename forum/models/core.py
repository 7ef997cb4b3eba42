"""Themes, threads, comments and what hangs off them.

Counters (comment and thread counts, last activity, the stakeholder groups that took part) are
denormalised onto Theme and Thread so list pages cost one query whatever their size. Only
`forum.posting.counters` changes them, with F() expressions inside a transaction.

Comments are numbered 1..n within their thread (`position`), allocated under a row lock on the
thread. Pages are position ranges, which makes deep pages and permalinks cheap.
"""

from __future__ import annotations

import math
from functools import lru_cache

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify

from accounts.models import FORMER_MEMBER_NAME, Region, StakeholderGroup
from config.markdown import RENDERER_VERSION, render_markdown
from config.text import one_line
from forum.models.querysets import CommentQuerySet, ThemeQuerySet, ThreadQuerySet
from forum.rendering import render_comment

# A comment nobody has voted on: 0.5 for each named group (every group but "Other"), the default of
# `Comment.consensus` (forum.agreement.consensus says why).
NO_VOTES_CONSENSUS = 0.5 ** sum(1 for group in StakeholderGroup if group != StakeholderGroup.OTHER)

FORMER_MEMBER = FORMER_MEMBER_NAME
DELETED_PLACEHOLDER = "This comment was deleted by its author."
ERASED_PLACEHOLDER = "This comment was removed at its author’s request."
COMMENT_MAX_LENGTH = 20_000
TITLE_MAX_LENGTH = 150

_GROUP_LABELS = dict(StakeholderGroup.choices)
_GROUP_ORDER = [value for value, _label in StakeholderGroup.choices]


def group_labels(codes) -> list[str]:
    """Stakeholder group codes to their labels, in the order the choices are declared."""
    return [_GROUP_LABELS[code] for code in sorted(codes or [], key=_group_sort_key) if code in _GROUP_LABELS]


def _group_sort_key(code: str) -> int:
    return _GROUP_ORDER.index(code) if code in _GROUP_ORDER else len(_GROUP_ORDER)


def page_for_position(position: int, per_page: int | None = None) -> int:
    per_page = per_page or settings.COMMENTS_PER_PAGE
    return max(1, math.ceil(position / per_page))


class ThemeStatus(models.TextChoices):
    OPEN = "open", "Open for discussion"
    UNDER_REVIEW = "under_review", "Under review"
    RESPONDED = "responded", "Responded to"
    CLOSED = "closed", "Closed"


class Theme(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.TextField(help_text="Markdown. Our own neutral summary, ending with a question.")
    summary_html = models.TextField(editable=False, blank=True)
    renderer_version = models.CharField(max_length=40, editable=False, blank=True)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=ThemeStatus.choices, default=ThemeStatus.OPEN)
    status_reason = models.CharField(max_length=300, blank=True, help_text="Why it was closed or put under review.")
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Optional. After this moment the theme takes no new comments."
    )
    # What the theme draws on: paragraphs it quotes and (optionally) whole sections, both kept as
    # ThemePassage rows so the theme page loads them in one query.
    paragraphs = models.ManyToManyField(
        "articles.Paragraph", through="ThemePassage", related_name="themes", blank=True
    )
    # Denormalised by forum.posting.counters.
    thread_count = models.PositiveIntegerField(default=0, editable=False)
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)
    participant_groups = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ThemeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        self.title = one_line(self.title)
        if update_fields is None or "summary" in update_fields:
            self.summary_html = render_markdown(self.summary)
            self.renderer_version = RENDERER_VERSION
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "summary_html", "renderer_version"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("forum:theme", kwargs={"slug": self.slug})

    @property
    def is_accepting_posts(self) -> bool:
        if self.status != ThemeStatus.OPEN:
            return False
        return self.closes_at is None or self.closes_at > timezone.now()

    @property
    def participant_group_labels(self) -> list[str]:
        return group_labels(self.participant_groups)


class ThemePassage(models.Model):
    """Part of a source text a theme draws on, in the order the theme page shows it: a paragraph
    it quotes or, less often, a whole section it points to (exactly one of the two)."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="passages")
    paragraph = models.ForeignKey(
        "articles.Paragraph", on_delete=models.CASCADE, null=True, blank=True, related_name="theme_passages"
    )
    section = models.ForeignKey(
        "articles.Section", on_delete=models.CASCADE, null=True, blank=True, related_name="theme_passages"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["theme", "position"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "paragraph"], name="forum_themepassage_unique"),
            models.UniqueConstraint(fields=["theme", "section"], name="forum_themepassage_section_unique"),
            models.CheckConstraint(
                condition=models.Q(paragraph__isnull=False, section__isnull=True)
                | models.Q(paragraph__isnull=True, section__isnull=False),
                name="forum_themepassage_paragraph_or_section",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.theme}: {self.paragraph.anchor if self.paragraph_id else self.section.anchor}"


@lru_cache(maxsize=8192)
def _thread_url(prefix: str, pk: int, slug: str) -> str:
    """A discussion's address. Lists link to many discussions and `reverse` is slow, so each
    address is worked out once per process (the prefix is part of the key, as `reverse` uses it)."""
    return reverse("forum:thread", kwargs={"pk": pk, "slug": slug})


class Thread(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    slug = models.SlugField(max_length=TITLE_MAX_LENGTH, allow_unicode=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="forum_threads"
    )
    author_name = models.CharField(max_length=100, help_text="Copied when the thread starts; survives the account.")
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    # Denormalised by forum.posting.counters. `last_position` is the highest position handed out (every
    # comment, whatever its state); `comment_count` counts public comments not deleted.
    last_position = models.PositiveIntegerField(default=0, editable=False)
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    participant_groups = models.JSONField(default=list, blank=True, editable=False)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    lock_reason = models.CharField(max_length=300, blank=True)
    pin_reason = models.CharField(max_length=300, blank=True)
    moved_from = models.CharField(max_length=200, blank=True, help_text="The theme it was last moved from.")
    move_reason = models.CharField(max_length=300, blank=True)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    # Moderation-ready: a hidden thread, or one whose opening comment waits for approval,
    # is seen only by its author and moderators.
    is_hidden = models.BooleanField(default=False)
    needs_approval = models.BooleanField(default=False)
    # Anchor to a paragraph of a source text. The key, quote and link are copied so the thread
    # still shows what it was about when the paragraph changes or disappears.
    anchor_paragraph = models.ForeignKey(
        "articles.Paragraph", on_delete=models.SET_NULL, null=True, blank=True, related_name="threads"
    )
    anchor_key = models.CharField(max_length=32, blank=True, db_index=True)
    anchor_text = models.TextField(blank=True, help_text="The paragraph as it read when the discussion started.")
    anchor_source = models.CharField(max_length=300, blank=True, help_text="The article the paragraph is from.")
    anchor_url = models.CharField(max_length=300, blank=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["theme", "-is_pinned", "-last_activity_at"], name="forum_thread_theme_order_idx"),
            # The few hidden and waiting threads, which lists and search leave out (`unshown_to`).
            models.Index(fields=["id"], condition=Q(is_hidden=True) | Q(needs_approval=True),
                         name="forum_thread_unlisted_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.title = one_line(self.title)  # a title goes into email subjects: never a line break
        if not self.slug:
            self.slug = slugify(self.title)[:TITLE_MAX_LENGTH].strip("-") or "discussion"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return _thread_url(get_script_prefix(), self.pk, self.slug)

    def get_page_url(self, page: int) -> str:
        url = self.get_absolute_url()
        return url if page <= 1 else f"{url}?page={page}"

    @property
    def is_public(self) -> bool:
        return not self.is_hidden and not self.needs_approval

    @property
    def num_pages(self) -> int:
        return page_for_position(self.last_position) if self.last_position else 1

    @property
    def reply_count(self) -> int:
        return max(self.comment_count - 1, 0)

    @property
    def participant_group_labels(self) -> list[str]:
        return group_labels(self.participant_groups)

    def first_unread_url(self, last_read_position: int | None) -> str | None:
        """Link to the first comment after `last_read_position`, or None when all are read."""
        if last_read_position is None or last_read_position >= self.last_position:
            return None
        return self.get_page_url(page_for_position(last_read_position + 1)) + "#first-unread"

    @property
    def has_anchor(self) -> bool:
        return bool(self.anchor_key)

    @cached_property
    def anchor_changed(self) -> bool:
        """True when the paragraph this thread discusses has gone or no longer reads as quoted."""
        if not self.has_anchor:
            return False
        paragraph = self.anchor_paragraph
        return paragraph is None or " ".join(paragraph.text.split()) != " ".join(self.anchor_text.split())


class ParagraphDiscussion(models.Model):
    """Discussion figures for one paragraph of a source text, kept by forum.posting.counters.

    A row per paragraph that has ever had a discussion anchored to it, so the article page can
    show every paragraph's figures by joining this table to the paragraphs it already loads.
    Counts cover public threads and comments only, like the theme's.
    """

    paragraph = models.OneToOneField(
        "articles.Paragraph", on_delete=models.CASCADE, primary_key=True, related_name="forum_stats"
    )
    thread_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    participant_groups = models.JSONField(default=list, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Discussion of paragraph {self.paragraph_id}"

    @property
    def group_labels(self) -> list[str]:
        return group_labels(self.participant_groups)


class PostedAs(models.TextChoices):
    MEMBER = "member", "Member"
    MODERATOR = "moderator", "Moderator"
    FACILITATOR = "facilitator", "Facilitator"


class Stance(models.TextChoices):
    SUPPORT = "support", "Support"
    CONCERN = "concern", "Concern"
    QUESTION = "question", "Question"
    EVIDENCE = "evidence", "Evidence"


STANCE_TAG_COLOURS = {
    Stance.SUPPORT: "nhsuk-tag--green",
    Stance.CONCERN: "nhsuk-tag--orange",
    Stance.QUESTION: "nhsuk-tag--blue",
    Stance.EVIDENCE: "nhsuk-tag--purple",
}


class Comment(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    position = models.PositiveIntegerField(help_text="1 for the opening comment, then 2, 3… within the thread.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="forum_comments"
    )
    author_name = models.CharField(max_length=100, help_text="Copied when posted; survives the account.")
    # The group the writer spoke for when posting, and whether it was verified then: the badge,
    # downloads and search use these, so a later change of group does not relabel old comments.
    # Emptied when the account is erased (forum.search.indexing).
    author_group = models.CharField(
        max_length=32, blank=True, default="", editable=False, help_text="The author's group when posting."
    )
    author_group_verified = models.BooleanField(
        default=False, editable=False, help_text="Whether that group was verified when posting."
    )
    # The writer's region when posting, like the group: the theme pages, the summary, common ground
    # and the downloads filter by it, so a member who moves keeps their earlier words where they
    # wrote them. Emptied when the account is erased (forum.search.indexing). Regions are never
    # deleted, so SET_NULL only guards against a hand-made change.
    author_region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, editable=False, db_index=False,
        related_name="+", help_text="The author's region when posting.",
    )
    # Copied from the discussion so search filters by theme inside the same index as the words
    # (forum.search); moving a discussion (forum.moderation) rewrites it. The
    # search GIN index also answers "this theme's comments", so the column has no index of its own.
    thread_theme = models.ForeignKey(
        Theme, on_delete=models.CASCADE, null=True, blank=True, editable=False, db_index=False, related_name="+",
        help_text="The theme of the comment's discussion, copied for search.",
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH, help_text="Markdown.")
    body_html = models.TextField(editable=False, blank=True)
    renderer_version = models.CharField(max_length=40, editable=False, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies",
        help_text="The comment this one replies to.",
    )
    quoted_comment = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="quoted_by",
    )
    quoted_text = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    stance = models.CharField(max_length=20, choices=Stance.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Moderation-ready fields; the moderation tools set them, visibility reads them.
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_automatically = models.BooleanField(default=False)
    needs_approval = models.BooleanField(default=False, help_text="Waiting in the moderation queue.")
    # Who the author spoke as: a moderator's or facilitator's comment carries a distinct tag.
    posted_as = models.CharField(max_length=12, choices=PostedAs.choices, default=PostedAs.MEMBER)
    # Common-ground figures, denormalised by forum.agreement with F() expressions.
    agree_count = models.PositiveIntegerField(default=0, editable=False)
    agree_groups = models.JSONField(default=dict, blank=True, editable=False, help_text="{group code: count}")
    agree_groups_verified = models.JSONField(
        default=dict, blank=True, editable=False, help_text="{group code: agrees by members whose group was verified}"
    )
    disagree_count = models.PositiveIntegerField(default=0, editable=False)
    disagree_groups = models.JSONField(default=dict, blank=True, editable=False, help_text="{group code: count}")
    # Group-informed consensus (forum.agreement.consensus); with no votes, 0.5 for each named group.
    consensus = models.FloatField(default=NO_VOTES_CONSENSUS, editable=False)
    is_common_ground = models.BooleanField(default=False, editable=False)
    is_contested = models.BooleanField(default=False, editable=False)
    # Published replies tagged as a concern, by the named group they were posted for: a concern
    # from another group than one that agrees makes the comment contested (forum.agreement.concerns).
    concern_groups = models.JSONField(default=dict, blank=True, editable=False, help_text="{group code: replies}")
    common_ground_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The codes facilitators applied ({"id", "label", "by"} each), copied by forum.coding.services.
    codes = models.JSONField(default=list, blank=True, editable=False)
    # Filled on PostgreSQL by the search service; unused on SQLite.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        permissions = [("moderate_comment", "Can moderate comments: see, hide and approve them")]
        constraints = [
            models.UniqueConstraint(fields=["thread", "position"], name="forum_comment_thread_position_unique"),
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="forum_comment_author_idx"),
            models.Index(
                fields=["thread", "position"],
                condition=models.Q(is_common_ground=True),
                name="forum_comment_cground_idx",
            ),
            models.Index(
                fields=["created_at"], condition=models.Q(needs_approval=True), name="forum_comment_pending_idx"
            ),
            # A theme's common ground, best consensus first; its contested points (forum.agreement).
            models.Index(
                fields=["thread_theme", "-consensus"],
                condition=models.Q(is_common_ground=True),
                name="forum_comment_consensus_idx",
            ),
            models.Index(
                fields=["thread_theme", "-consensus"],
                condition=models.Q(is_contested=True),
                name="forum_comment_contested_idx",
            ),
            # Each theme's readable common ground and contested points, counted from these alone
            # (forum.agreement.summary.with_common_ground_counts; CommentQuerySet.readable_unjoined).
            models.Index(
                fields=["thread_theme", "thread"],
                condition=models.Q(is_common_ground=True, is_hidden=False, needs_approval=False, is_deleted=False),
                name="forum_comment_cg_count_idx",
            ),
            models.Index(
                fields=["thread_theme", "thread"],
                condition=models.Q(is_contested=True, is_hidden=False, needs_approval=False, is_deleted=False),
                name="forum_comment_ct_count_idx",
            ),
            # Newest first: search takes its newest matches by walking this backwards (forum.search.query).
            models.Index(fields=["-created_at", "-id"], name="forum_comment_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.position} by {self.author_name} in thread {self.thread_id}"

    def save(self, *args, **kwargs):
        """Render the body on save (never per request) and keep the mentions it produced."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "body" in update_fields:
            self.body_html, self.mentioned_members = render_comment(self.body)
            self.renderer_version = RENDERER_VERSION
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "body_html", "renderer_version"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The permalink: redirects to the right page of the thread at this comment's anchor."""
        return reverse("forum:comment", kwargs={"pk": self.pk})

    def get_thread_url(self) -> str:
        """Where the permalink leads: the page of the thread that shows it, at its anchor."""
        return f"{self.thread.get_page_url(self.page)}#{self.anchor}"

    @property
    def author_group_label(self) -> str:
        """The label of the group the writer spoke for when posting ("" when none)."""
        return _GROUP_LABELS.get(self.author_group, "")

    @property
    def anchor(self) -> str:
        return f"comment-{self.pk}"

    @property
    def page(self) -> int:
        return page_for_position(self.position)

    @property
    def is_public(self) -> bool:
        return not self.is_hidden and not self.needs_approval

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None

    @property
    def stance_tag_class(self) -> str:
        return STANCE_TAG_COLOURS.get(self.stance, "nhsuk-tag--grey")


class CommentRevision(models.Model):
    """Every version of a comment, the first one included; shown on its public history page.

    A moderator's edit or hide withholds the versions before it: readers see that they were taken
    out of view and why, moderators still read them, until a moderator removes their words for good
    (`purged_at`: the text is emptied, the row stays to say so)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    body_html = models.TextField(blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True, help_text="Why a moderator made this version (empty for the author's).")
    withheld_at = models.DateTimeField(null=True, blank=True, help_text="When moderators took it out of view.")
    withheld_reason = models.TextField(blank=True)
    purged_at = models.DateTimeField(null=True, blank=True, help_text="When moderators removed its words for good.")

    class Meta:
        ordering = ["comment", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Revision of comment {self.comment_id} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_withheld(self) -> bool:
        return self.withheld_at is not None


class Mention(models.Model):
    """A member named in a comment with @; read by the notifications feature."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_mentions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "member"], name="forum_mention_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member} in comment {self.comment_id}"


class ThreadReadState(models.Model):
    """How far a member has read a thread, as the highest comment position they have seen."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_read_states")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    last_read_position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="forum_threadreadstate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.thread_id} to {self.last_read_position}"
