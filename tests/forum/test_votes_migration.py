"""The migration that brings in votes, run on a database from before it: earlier agreements become
agree votes, and common ground is counted again over named groups only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import StakeholderGroup as G
from forum.agreement.consensus import consensus
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("forum", "0019_commitments")]
AFTER = [("forum", "0020_votes")]


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """Leave the database as every other test expects it: all migrations applied."""
    yield
    migrate(None)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_common_ground_made_with_other_is_counted_again_and_gets_its_consensus(thread, other_member):
    with_other = reply(thread, other_member, "Two named groups and Other")
    named = reply(thread, other_member, "Three named groups")
    old = migrate(BEFORE)
    Comment = old.get_model("forum", "Comment")
    Comment.objects.filter(pk=with_other.pk).update(
        agree_count=3, agree_groups={G.NHS: 1, G.ICB: 1, G.OTHER: 1}, is_common_ground=True
    )
    Comment.objects.filter(pk=named.pk).update(
        agree_count=4, agree_groups={G.NHS: 2, G.ICB: 1, G.VCSE: 1}, is_common_ground=True
    )

    new = migrate(AFTER)
    Comment = new.get_model("forum", "Comment")
    first, second = Comment.objects.get(pk=with_other.pk), Comment.objects.get(pk=named.pk)
    assert first.is_common_ground is False and second.is_common_ground is True
    assert first.consensus == pytest.approx(consensus({G.NHS: 1, G.ICB: 1}, {}))
    assert second.consensus == pytest.approx(consensus({G.NHS: 2, G.ICB: 1, G.VCSE: 1}, {}))
    assert (first.disagree_count, first.is_contested) == (0, False)
