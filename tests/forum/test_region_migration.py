"""Migration forum.0018 gives the comments written before it their writer's region of today."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Region, User
from accounts.regions import ensure_register_loaded
from forum.models import Comment
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("forum", "0017_codebook")]
AFTER = [("forum", "0018_comment_author_region")]


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """Leave the database as every other test expects it: all migrations applied."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_earlier_comments_get_their_writers_region_and_erased_writers_none():
    ensure_register_loaded()
    cheshire = Region.objects.get(code="E54000008")
    placed = make_member("placed@example.org", display_name="Placed Writer", region=cheshire)
    nowhere = make_member("nowhere@example.org", display_name="No Region")
    erased = make_member("erased@example.org", display_name="Erased Writer", region=cheshire)
    thread = services.start_thread(theme=make_theme(), author=placed, title="Before regions", body="Opening.")
    reply(thread, nowhere)
    reply(thread, erased)
    User.objects.filter(pk=erased.pk).update(deleted_at=timezone.now())  # erased before the region was cleared
    migrate(BEFORE)
    migrate(AFTER)
    regions = dict(Comment.objects.values_list("author__email", "author_region__code"))
    assert regions == {"placed@example.org": "E54000008", "nowhere@example.org": None, "erased@example.org": None}
