"""Votes on comments: the consensus arithmetic (the worked example in docs/forum.md), named groups
only ("Other" never counts), verified and self-declared groups, changing and withdrawing a vote,
contested comments, and the refusals that leave nothing half-saved."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import StakeholderGroup as G
from forum.agreement import consensus as arithmetic
from forum.agreement import services as votes
from forum.agreement.ranking import vote_split
from forum.models import Agreement, Comment, Thread, VoteValue
from tests.conftest import make_member
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db

AGREE, DISAGREE = VoteValue.AGREE, VoteValue.DISAGREE


def voter(number: int, group=G.ICB, *, verified=False):
    return make_member(
        f"voter{number}@example.org", display_name=f"Voter {number}", stakeholder_group=group,
        affiliation_verified=verified,
    )


def fresh(comment) -> Comment:
    return Comment.objects.get(pk=comment.pk)


@pytest.fixture
def comment(thread, other_member):
    return reply(thread, other_member, "Discharge needs social care at the table from day one.")


class TestConsensusArithmetic:
    def test_the_worked_example_in_the_docs_gives_one_hundredth(self):
        # 7 named groups; NHS 3 agree, ICB 2 agree 1 disagree, VCSE 1 agree, patients 2 disagree.
        agrees = {G.NHS: 3, G.ICB: 2, G.VCSE: 1}
        disagrees = {G.ICB: 1, G.PATIENT_PUBLIC: 2}
        assert arithmetic.group_factor(3, 0) == pytest.approx(0.8)
        assert arithmetic.group_factor(2, 1) == pytest.approx(0.6)
        assert arithmetic.group_factor(1, 0) == pytest.approx(2 / 3)
        assert arithmetic.group_factor(0, 2) == pytest.approx(0.25)
        assert arithmetic.group_factor(0, 0) == 0.5  # the three groups that did not vote
        assert arithmetic.consensus(agrees, disagrees) == pytest.approx(0.01)

    def test_a_comment_nobody_voted_on_has_half_for_each_named_group(self):
        assert len(arithmetic.NAMED_GROUPS) == 7
        assert arithmetic.consensus({}, {}) == pytest.approx(0.5**7)
        assert Comment._meta.get_field("consensus").default == pytest.approx(0.5**7)

    def test_one_group_alone_cannot_outrank_three_groups_that_agree(self):
        loud = arithmetic.consensus({G.NHS: 100}, {})
        shared = arithmetic.consensus({G.NHS: 1, G.ICB: 1, G.VCSE: 1}, {})
        assert loud < shared

    def test_other_never_counts_towards_consensus_common_ground_or_contest(self):
        assert arithmetic.consensus({G.OTHER: 50}, {}) == arithmetic.consensus({}, {})
        assert not arithmetic.is_common_ground({G.NHS: 1, G.ICB: 1, G.OTHER: 9})
        assert arithmetic.is_common_ground({G.NHS: 1, G.ICB: 1, G.VCSE: 1})
        assert not arithmetic.is_contested({G.NHS: 2, G.OTHER: 0}, {G.OTHER: 5})

    def test_a_comment_is_contested_when_one_group_leans_agree_and_another_disagree(self):
        assert arithmetic.is_contested({G.NHS: 2}, {G.PATIENT_PUBLIC: 1})
        assert not arithmetic.is_contested({G.NHS: 2, G.ICB: 1}, {G.NHS: 1})  # all lean one way
        assert not arithmetic.is_contested({G.NHS: 1}, {G.NHS: 1, G.ICB: 1})  # a tie is no lean


class TestVoting:
    def test_disagreeing_is_counted_by_group_and_lowers_the_consensus(self, comment):
        votes.vote(comment=comment, member=voter(1, G.ICB), value=DISAGREE)
        saved = fresh(comment)
        assert (saved.agree_count, saved.disagree_count) == (0, 1)
        assert saved.disagree_groups == {G.ICB: 1}
        assert saved.consensus == pytest.approx(arithmetic.consensus({}, {G.ICB: 1}))
        assert saved.consensus < 0.5**7

    def test_voting_the_same_way_twice_changes_nothing(self, comment):
        member = voter(1)
        first = votes.vote(comment=comment, member=member, value=AGREE)
        second = votes.vote(comment=comment, member=member, value=AGREE)
        assert first.pk == second.pk
        assert fresh(comment).agree_count == 1 and Agreement.objects.count() == 1

    def test_the_other_vote_replaces_the_first_and_moves_the_figures(self, comment):
        member = voter(1, G.VCSE)
        votes.vote(comment=comment, member=member, value=AGREE)
        votes.vote(comment=comment, member=member, value=DISAGREE)
        saved = fresh(comment)
        assert (saved.agree_count, saved.disagree_count) == (0, 1)
        assert saved.agree_groups == {} and saved.disagree_groups == {G.VCSE: 1}
        assert Agreement.objects.get().vote == DISAGREE
        assert comment.my_vote == DISAGREE

    def test_withdrawing_takes_back_either_vote(self, comment):
        member = voter(1)
        votes.vote(comment=comment, member=member, value=DISAGREE)
        assert votes.withdraw_vote(comment=comment, member=member) is True
        saved = fresh(comment)
        assert (saved.agree_count, saved.disagree_count, saved.disagree_groups) == (0, 0, {})
        assert saved.consensus == pytest.approx(0.5**7)
        assert votes.withdraw_vote(comment=comment, member=member) is False

    def test_common_ground_counts_named_groups_only(self, comment):
        for number, group in enumerate([G.NHS, G.ICB, G.OTHER]):
            votes.agree(comment=comment, member=voter(number, group))
        assert fresh(comment).is_common_ground is False
        votes.agree(comment=comment, member=voter(9, G.VCSE))
        assert fresh(comment).is_common_ground is True

    def test_verified_and_self_declared_groups_are_told_apart(self, comment):
        votes.agree(comment=comment, member=voter(1, G.NHS, verified=True))
        votes.agree(comment=comment, member=voter(2, G.ICB, verified=True))
        votes.agree(comment=comment, member=voter(3, G.ICB))
        votes.agree(comment=comment, member=voter(4, G.VCSE))
        votes.agree(comment=comment, member=voter(5, G.PATIENT_PUBLIC))
        saved = fresh(comment)
        assert saved.agree_groups_verified == {G.NHS: 1, G.ICB: 1}
        split = vote_split(saved)
        assert (split.agreeing_groups, split.verified_groups, split.self_declared_groups) == (4, 2, 2)
        assert Agreement.objects.filter(group_verified=True).count() == 2

    def test_a_verified_agree_changed_to_disagree_leaves_no_verified_count(self, comment):
        member = voter(1, G.NHS, verified=True)
        votes.agree(comment=comment, member=member)
        votes.vote(comment=comment, member=member, value=DISAGREE)
        assert fresh(comment).agree_groups_verified == {}

    def test_a_comment_one_group_agrees_with_and_another_disagrees_with_is_contested(self, comment):
        votes.agree(comment=comment, member=voter(1, G.NHS))
        votes.vote(comment=comment, member=voter(2, G.PATIENT_PUBLIC), value=DISAGREE)
        assert fresh(comment).is_contested is True
        votes.vote(comment=comment, member=voter(3, G.PATIENT_PUBLIC), value=AGREE)
        votes.vote(comment=comment, member=voter(4, G.PATIENT_PUBLIC), value=AGREE)
        assert fresh(comment).is_contested is False  # patients now lean to agree too

    def test_the_see_too_count_on_the_map_reads_agreeing_votes_only(self, comment):
        votes.vote(comment=comment, member=voter(1, G.NHS), value=DISAGREE)
        assert Agreement.objects.agreeing().count() == 0
        assert Agreement.objects.disagreeing().count() == 1


class TestRefusals:
    def test_nobody_votes_on_their_own_comment(self, comment, other_member):
        with pytest.raises(PermissionDenied, match=r"You cannot disagree with your own comment\."):
            votes.vote(comment=comment, member=other_member, value=DISAGREE)
        assert fresh(comment).disagree_count == 0 and not Agreement.objects.exists()

    def test_nobody_votes_on_a_hidden_comment(self, comment):
        Comment.objects.filter(pk=comment.pk).update(is_hidden=True)
        with pytest.raises(PermissionDenied, match="not published"):
            votes.vote(comment=comment, member=voter(1), value=DISAGREE)
        assert not Agreement.objects.exists()

    def test_votes_do_not_change_after_the_theme_closed(self, comment):
        member = voter(1)
        votes.agree(comment=comment, member=member)
        theme = comment.thread.theme
        theme.status = "closed"
        theme.save()
        with pytest.raises(PermissionDenied, match="no longer open"):
            votes.vote(comment=comment, member=member, value=DISAGREE)
        saved = fresh(comment)
        assert (saved.agree_count, saved.disagree_count) == (1, 0)
        assert Agreement.objects.get().vote == AGREE

    def test_votes_do_not_change_in_a_locked_discussion(self, comment):
        Thread.objects.filter(pk=comment.thread_id).update(is_locked=True)
        with pytest.raises(PermissionDenied, match="locked"):
            votes.vote(comment=comment, member=voter(1), value=DISAGREE)
        assert not Agreement.objects.exists()
