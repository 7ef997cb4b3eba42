"""Each theme's counts of common ground and contested points (home and the theme list): the
readable comments, counted without joining every discussion (CommentQuerySet.readable_unjoined)."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection

from forum.agreement.summary import with_common_ground_counts
from forum.models import Comment, Theme, Thread
from forum.posting import services
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db

# (comment hidden, comment waiting, comment deleted) × (discussion hidden, discussion waiting)
STATES = list(itertools.product([False, True], [False, True], [False, True], [False, True], [False, True]))


@pytest.fixture
def comments_in_every_state(theme, member, other_member):
    """A marked comment (common ground and contested) in each state, in its own discussion."""
    other_theme = make_theme("other-theme", title="Another theme", position=5)
    for n, (hidden, waiting, deleted, thread_hidden, thread_waiting) in enumerate(STATES):
        thread = services.start_thread(theme=theme if n % 3 else other_theme, author=member, title=f"State {n}",
                                       body="Opening.")
        comment = reply(thread, other_member, f"Reply {n}.")
        Comment.objects.filter(pk=comment.pk).update(
            is_hidden=hidden, needs_approval=waiting, is_deleted=deleted, is_common_ground=True, is_contested=n % 2 == 0
        )
        Thread.objects.filter(pk=thread.pk).update(is_hidden=thread_hidden, needs_approval=thread_waiting)


def test_comments_read_unjoined_are_exactly_the_readable_ones(comments_in_every_state):
    readable = set(Comment.objects.readable().values_list("pk", flat=True))

    assert set(Comment.objects.readable_unjoined().values_list("pk", flat=True)) == readable
    assert 0 < len(readable) < Comment.objects.count()


def test_each_themes_counts_are_its_readable_marked_comments(comments_in_every_state):
    themes = list(with_common_ground_counts(Theme.objects.all()))

    for theme in themes:
        readable = Comment.objects.readable().filter(thread_theme=theme)
        assert theme.common_ground_count == readable.filter(is_common_ground=True).count()
        assert theme.contested_count == readable.filter(is_contested=True).count()
    assert sum(theme.common_ground_count for theme in themes) > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the partial indexes are PostgreSQL's")
def test_the_counts_are_read_from_the_partial_indexes_alone(comments_in_every_state):
    # (plain scans off: on a test-sized table the planner prefers them to any index)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = with_common_ground_counts(Theme.objects.all()).explain()
        finally:
            cursor.execute("RESET enable_seqscan")

    assert "Index Only Scan using forum_comment_cg_count_idx" in plan
    assert "Index Only Scan using forum_comment_ct_count_idx" in plan
