"""Contested points through concerns: a reply tagged "Concern" from another named group than one
that agrees makes a comment contested, and stops doing so when it goes."""

from __future__ import annotations

import pytest

from accounts.models import StakeholderGroup as G
from forum.agreement import consensus as arithmetic
from forum.agreement import services as votes
from forum.agreement.ranking import contested_comments
from forum.models import Comment
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.posting import services as posting
from tests.conftest import make_member
from tests.forum.conftest import reply
from tests.forum.moderation_support import make_moderator

pytestmark = pytest.mark.django_db


def member_of(group, number=0):
    return make_member(f"{group}{number}@example.org", display_name=f"{group} {number}", stakeholder_group=group)


@pytest.fixture
def agreed(thread, member):
    """A comment members of the ICB group agree with."""
    comment = reply(thread, member, "Pool the waiting lists across providers.")
    votes.agree(comment=comment, member=member_of(G.ICB))
    return comment


def concern(thread, parent, group, number=0):
    return posting.create_comment(thread=thread, author=member_of(group, number), body="This worries us.",
                                  parent=parent, stance="concern")


def test_the_arithmetic_counts_a_concern_from_another_group_as_against():
    assert arithmetic.is_contested({G.ICB: 1}, {}, {G.VCSE: 1})
    assert not arithmetic.is_contested({G.ICB: 1}, {}, {G.ICB: 1})  # the same group: not a split
    assert not arithmetic.is_contested({G.ICB: 1}, {}, {G.OTHER: 3})  # "Other" never counts
    assert not arithmetic.is_contested({}, {}, {G.VCSE: 1})  # nobody agrees


def test_a_concern_reply_from_another_group_makes_the_comment_contested(thread, agreed):
    concern(thread, agreed, G.VCSE)

    fresh = Comment.objects.get(pk=agreed.pk)
    assert fresh.is_contested and fresh.concern_groups == {G.VCSE: 1}
    assert list(contested_comments(thread.theme, None)) == [fresh]


def test_a_concern_from_the_agreeing_group_is_not_a_split(thread, agreed):
    concern(thread, agreed, G.ICB, number=1)

    assert not Comment.objects.get(pk=agreed.pk).is_contested


def test_a_hidden_concern_no_longer_counts(thread, agreed):
    raised = concern(thread, agreed, G.VCSE)
    moderator = make_moderator("mod@example.org", display_name="Mo Derator")

    carry_out(comment_actions.Hide(Comment.objects.get(pk=raised.pk), actor=moderator, reason="Off topic"))

    fresh = Comment.objects.get(pk=agreed.pk)
    assert not fresh.is_contested and fresh.concern_groups == {}


def test_untagging_or_deleting_the_concern_takes_it_back(thread, agreed):
    raised = concern(thread, agreed, G.VCSE)
    posting.edit_comment(comment=raised, editor=raised.author, body="On reflection, fine.", stance="")
    assert not Comment.objects.get(pk=agreed.pk).is_contested

    again = concern(thread, agreed, G.SOCIAL_CARE)
    assert Comment.objects.get(pk=agreed.pk).is_contested
    posting.delete_comment(comment=again, deleted_by=again.author)
    assert not Comment.objects.get(pk=agreed.pk).is_contested


def test_votes_keep_a_concern_in_the_count(thread, agreed):
    concern(thread, agreed, G.VCSE)

    votes.agree(comment=Comment.objects.get(pk=agreed.pk), member=member_of(G.NHS))

    assert Comment.objects.get(pk=agreed.pk).is_contested
