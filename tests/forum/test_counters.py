"""`manage.py check_counters`: stored counters against the rows they count, reported and repaired."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import StakeholderGroup, User
from forum.agreement import services as agreements
from forum.models import Comment, ParagraphDiscussion, Theme, Thread
from forum.moderation import comments as comment_actions
from forum.moderation import threads as thread_actions
from forum.moderation.flow import carry_out
from forum.posting import services
from forum.posting.counter_check import find_drift
from tests.conftest import make_member
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str]:
    """The command's exit status and output, as a shell would see them."""
    out = StringIO()
    try:
        call_command("check_counters", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.fixture
def busy_forum(theme, source, member, other_member, moderator):
    """Threads with replies, an anchored thread, agreements reaching common ground, a hidden, a
    deleted and a waiting comment: everything the counters have to account for."""
    plain = services.start_thread(theme=theme, author=member, title="Plain", body="Opening")
    first = reply(plain, other_member)
    reply(plain, member)
    anchored = services.start_thread(
        theme=theme, author=other_member, title="Anchored", body="About this", paragraph=source.paragraphs[0]
    )
    reply(anchored, member)
    for number, group in enumerate([StakeholderGroup.ICB, StakeholderGroup.VCSE, StakeholderGroup.NHS]):
        agreer = make_member(f"agreer{number}@example.org", display_name=f"Agreer {number}", stakeholder_group=group)
        agreements.agree(comment=first, member=agreer)
    carry_out(comment_actions.Hide(reply(plain, other_member, body="Rude"), actor=moderator, reason="Rude"))
    doomed = reply(anchored, other_member, body="Withdrawn later")
    services.delete_comment(comment=doomed, deleted_by=other_member)
    reply(plain, member, body="Waiting", needs_approval=True)
    return {"plain": plain, "anchored": anchored, "first": first}


def test_a_consistent_forum_reports_nothing_and_exits_0(busy_forum):
    status, output = run()
    assert status == 0
    assert "Every counter matches" in output
    assert Comment.objects.get(pk=busy_forum["first"].pk).is_common_ground  # the fixture really reached it


def test_normal_moderation_and_deletion_leave_no_drift(busy_forum, moderator, other_member):
    plain = busy_forum["plain"]
    carry_out(comment_actions.Hide(busy_forum["first"], actor=moderator, reason="Off topic"))
    services.delete_comment(comment=plain.comments.get(position=3), deleted_by=plain.comments.get(position=3).author)
    assert find_drift() == []


def test_drift_is_reported_with_status_1_repaired_and_then_gone(busy_forum, theme, source):
    plain, anchored, first = busy_forum["plain"], busy_forum["anchored"], busy_forum["first"]
    before = {
        "thread": Thread.objects.values("comment_count", "last_position", "participant_groups").get(pk=plain.pk),
        "theme": Theme.objects.values("thread_count", "comment_count", "participant_groups",
                                      "last_activity_at").get(pk=theme.pk),
        "comment": Comment.objects.values("agree_count", "agree_groups", "is_common_ground").get(pk=first.pk),
        "paragraph": ParagraphDiscussion.objects.values("thread_count", "comment_count").get(
            pk=source.paragraphs[0].pk),
    }
    Thread.objects.filter(pk=plain.pk).update(comment_count=40, last_position=1, participant_groups=[])
    Theme.objects.filter(pk=theme.pk).update(
        thread_count=9, comment_count=0, participant_groups=["other"],
        last_activity_at=timezone.now() - timedelta(days=30),
    )
    Comment.objects.filter(pk=first.pk).update(agree_count=7, agree_groups={"icb": 7}, is_common_ground=False)
    ParagraphDiscussion.objects.filter(pk=source.paragraphs[0].pk).update(thread_count=0, comment_count=12)

    status, output = run()
    assert status == 1
    for expected in [
        f"thread {plain.pk} (Plain): comment_count is 40, should be 3",
        f"thread {plain.pk} (Plain): last_position is 1, should be 5",
        f"theme {theme.pk}",
        "thread_count is 9, should be 2",
        f"comment {first.pk} (in thread {plain.pk}): agree_count is 7, should be 3",
        "is_common_ground is False, should be True",
        f"paragraph {source.paragraphs[0].pk}",
        "comment_count is 12, should be 2",
        "counters out of step",
    ]:
        assert expected in output
    assert f"thread {anchored.pk}" not in output  # only what drifted is named

    status, output = run("--repair")
    assert status == 0
    assert "Repaired 4 objects" in output
    assert Thread.objects.values("comment_count", "last_position", "participant_groups").get(
        pk=plain.pk) == before["thread"]
    assert Theme.objects.values("thread_count", "comment_count", "participant_groups",
                                "last_activity_at").get(pk=theme.pk) == before["theme"]
    assert Comment.objects.values("agree_count", "agree_groups", "is_common_ground").get(
        pk=first.pk) == before["comment"]
    assert ParagraphDiscussion.objects.values("thread_count", "comment_count").get(
        pk=source.paragraphs[0].pk) == before["paragraph"]

    assert run() == (0, "Every counter matches the rows it counts.\n")


def test_a_missing_paragraph_row_is_reported_and_created(busy_forum, source):
    ParagraphDiscussion.objects.filter(pk=source.paragraphs[0].pk).delete()
    status, output = run()
    assert status == 1 and "(no figures row)" in output
    assert run("--repair")[0] == 0
    stats = ParagraphDiscussion.objects.get(pk=source.paragraphs[0].pk)
    assert (stats.thread_count, stats.comment_count) == (1, 2)


def test_a_last_activity_older_than_the_newest_comment_is_moved_forward(busy_forum):
    plain = busy_forum["plain"]
    newest = plain.comments.filter(is_hidden=False, needs_approval=False).latest("created_at").created_at
    Thread.objects.filter(pk=plain.pk).update(last_activity_at=newest - timedelta(hours=1))
    assert [str(d.field) for d in find_drift() if d.kind == "thread"] == ["last_activity_at"]
    assert run("--repair")[0] == 0
    assert Thread.objects.get(pk=plain.pk).last_activity_at == newest


def test_a_moderators_reply_in_a_hidden_discussion_leaves_the_theme_true(theme, member, moderator):
    thread = services.start_thread(theme=theme, author=member, title="Soon hidden", body="Opening")
    carry_out(thread_actions.Hide(thread, actor=moderator, reason="Under review"))
    thread.refresh_from_db()
    reply(thread, moderator, body="A note from the moderators")
    assert find_drift() == []


def test_a_comment_whose_search_copies_differ_is_reported_and_repaired(busy_forum, source, other_member):
    comment = Comment.objects.filter(author=other_member).first()
    elsewhere = Theme.objects.create(slug="elsewhere", title="Elsewhere", summary="S", position=9)
    Comment.objects.filter(pk=comment.pk).update(thread_theme=elsewhere)
    # An erased writer whose comment still names the group (as if the erasure's update was lost).
    User.objects.filter(pk=other_member.pk).update(deleted_at=timezone.now())

    status, output = run()

    assert status == 1
    assert f"copy {comment.pk}" in output and "thread_theme_id" in output and "author_group" in output
    assert run("--repair")[0] == 0
    comment.refresh_from_db()
    assert comment.thread_theme_id == comment.thread.theme_id
    assert comment.author_group == "" and not comment.author_group_verified
    assert not find_drift()


def test_a_group_as_posted_that_differs_from_the_writers_group_today_is_not_drift(busy_forum, other_member):
    User.objects.filter(pk=other_member.pk).update(stakeholder_group="icb")
    assert not find_drift()
