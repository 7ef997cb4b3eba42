"""Querysets for the forum: who may see what lives here, and nowhere else.

A comment is *public* when it is neither hidden by a moderator nor waiting for one. Everyone sees
public comments (a comment deleted by its author stays public as a placeholder, so replies keep
their context). Authors also see their own comments that wait for a moderator; moderators (users
with the `forum.moderate_comment` permission) see everything. Threads follow the same rules.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from forum.models.viewer import known_moderator_status, moderator_exists, suspension_exists

PUBLIC_COMMENT = Q(is_hidden=False, needs_approval=False)
PUBLIC_THREAD = Q(is_hidden=False, needs_approval=False)


class ThemeQuerySet(models.QuerySet):
    def listed(self):
        """Themes in their reading order (every status is listed; closed ones say so)."""
        return self.order_by("position", "title")

    def accepting_posts(self):
        """Themes a member may start a discussion in right now."""
        now = timezone.now()
        return self.filter(status="open").filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))

    def drawing_on(self, paragraph):
        """Themes that quote this paragraph or draw on its whole section."""
        return self.filter(Q(passages__paragraph=paragraph) | Q(passages__section=paragraph.section_id)).distinct()


def _thread_visibility(user) -> Q | None:
    """Which threads `user` may see, as a condition (None: every one)."""
    if user is None or not user.is_authenticated:
        return PUBLIC_THREAD
    own = Q(author=user, is_hidden=False)
    moderator = known_moderator_status(user)
    if moderator:
        return None
    if moderator is None:
        return PUBLIC_THREAD | own | Q(moderator_exists(user))
    return PUBLIC_THREAD | own


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public threads; their own unhidden ones for authors; everything for moderators.

        When it is not yet known whether the reader moderates, the question is asked inside this
        query (an EXISTS), not in a query of its own.
        """
        seen = _thread_visibility(user)
        return self.all() if seen is None else self.filter(seen)

    def unshown_to(self, user):
        """The threads that `visible_to(user).filter(is_hidden=False)` leaves out: hidden ones, and
        ones waiting for a moderator that the reader may not see. Only hidden and waiting threads
        can be, so they are read through the partial index of those (`forum_thread_unlisted_idx`),
        and a comment's thread is checked against this handful as it is read (`NOT IN`), with no
        join to every thread."""
        unlisted = self.filter(Q(is_hidden=True) | Q(needs_approval=True))
        seen = _thread_visibility(user)
        shown = Q(is_hidden=False) if seen is None else seen & Q(is_hidden=False)
        return unlisted.exclude(shown)

    def with_viewer_status(self, user):
        """Annotate `viewer_is_moderator` and `viewer_is_suspended` when they are not yet known, so
        the caller can remember them (`viewer.remember_moderator_status`,
        `remember_suspension_status`) and later checks cost nothing."""
        if user is None or not user.is_authenticated:
            return self
        queryset = self
        if known_moderator_status(user) is None:
            queryset = queryset.annotate(viewer_is_moderator=moderator_exists(user))
        if not hasattr(user, "_forum_suspension"):
            queryset = queryset.annotate(viewer_is_suspended=suspension_exists(user))
        return queryset

    def started_in(self, region):
        """Discussions opened by a member of `region` (the region kept on the opening comment, as
        posted); every discussion when `region` is None. One join on the (thread, position) index:
        each discussion has one opening comment, so no row is repeated."""
        if region is None:
            return self
        return self.filter(comments__position=1, comments__author_region=region)

    def in_theme_order(self):
        """Pinned first, then the most recently active (matches the theme page index)."""
        return self.order_by("-is_pinned", "-last_activity_at", "-pk")

    def with_read_state(self, user):
        """Annotate `last_read_position` (0 when never read, None for anonymous readers).

        A correlated subquery keeps the theme page at one query however many threads it lists.
        """
        if user is None or not user.is_authenticated:
            return self.annotate(last_read_position=Value(None, output_field=models.IntegerField()))
        read = user.forum_read_states.filter(thread=OuterRef("pk")).values("last_read_position")[:1]
        return self.annotate(last_read_position=Coalesce(Subquery(read), Value(0)))

    def with_unread_count(self, user):
        """Annotate `unread_count` for a signed-in reader (positions after the last one read)."""
        qs = self.with_read_state(user)
        if user is None or not user.is_authenticated:
            return qs.annotate(unread_count=Value(None, output_field=models.IntegerField()))
        return qs.annotate(unread_count=Greatest(F("last_position") - F("last_read_position"), Value(0)))


class CommentQuerySet(models.QuerySet):
    def public(self):
        return self.filter(PUBLIC_COMMENT)

    def readable(self):
        """Comments anyone may read: published, not deleted, in published discussions (what
        summaries, downloads, feeds and profiles count)."""
        return self.filter(PUBLIC_COMMENT, is_deleted=False, thread__is_hidden=False, thread__needs_approval=False)

    def readable_unjoined(self):
        """`readable()`, with each comment's discussion checked against the few hidden or waiting
        ones (`ThreadQuerySet.unshown_to`) instead of joined to every discussion: what counting
        many comments wants, read from a partial index alone (the themes' counts)."""
        threads = self.model.thread.field.related_model.objects
        return self.filter(PUBLIC_COMMENT, is_deleted=False).exclude(thread__in=threads.unshown_to(None))

    def written_in(self, region):
        """Comments whose writer was in `region` when posting; every comment when it is None."""
        return self if region is None else self.filter(author_region=region)

    def visible_to(self, user):
        """The one place comment visibility is decided (mirrored by `permissions.can_see_comment`)."""
        if user is None or not user.is_authenticated:
            return self.filter(PUBLIC_COMMENT)
        own_pending = Q(author=user, needs_approval=True, is_hidden=False)
        moderator = known_moderator_status(user)
        if moderator:
            return self.all()
        if moderator is None:
            return self.filter(PUBLIC_COMMENT | own_pending | Q(moderator_exists(user)))
        return self.filter(PUBLIC_COMMENT | own_pending)

    def listed_for(self, user):
        """What a thread page lists: what `visible_to` allows, plus hidden comments as placeholders
        ("Hidden by moderators: <reason>"). Only the thread template shows these, never their text;
        every other use (quotes, search, exports, feeds) keeps to `visible_to`."""
        return self.visible_to(user) | self.filter(is_hidden=True, needs_approval=False)

    def on_page(self, thread, page: int, per_page: int):
        """Comments of one page, found by position range on the (thread, position) index.

        Pages are position ranges, not OFFSETs, so page 3,000 costs what page 1 costs; a page
        may show fewer comments than `per_page` when some in its range are not visible.
        """
        first = (page - 1) * per_page + 1
        # The LIMIT changes nothing (positions are unique, the range holds per_page of them) but
        # the planner needs it: it thinks low positions are everywhere (every thread has a
        # position 1) and would otherwise read the whole thread for page 1 (docs/performance.md).
        return self.filter(thread=thread, position__gte=first, position__lt=first + per_page).order_by("position")[
            :per_page
        ]
