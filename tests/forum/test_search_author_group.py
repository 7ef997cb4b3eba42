"""The writer's stakeholder group copied onto each comment (search filters on the copy): it is set
when a comment is written and follows the member whenever their group is saved."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import StakeholderGroup, User
from accounts.privacy import delete_account
from forum.models import Comment
from forum.posting import services
from forum.search.indexing import copy_group_to_comments
from tests.forum.conftest import reply, seed_a_little

pytestmark = pytest.mark.django_db


def groups_of(member) -> set[str]:
    return set(Comment.objects.filter(author=member).values_list("author_group", flat=True))


def found_ids(client, **params) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get(reverse("forum:search"), params).content, "html.parser")
    return [a["href"] for a in soup.select("main ol.nhsuk-list h3 a")]


@pytest.fixture
def written(theme, member, other_member):
    """Two comments by `member` (NHS) and one by `other_member`."""
    thread = services.start_thread(theme=theme, author=member, title="Theatre lists", body="Theatres run late.")
    reply(thread, member, "Theatres need porters.")
    reply(thread, other_member, "Theatres need beds too.")
    return thread


def test_a_new_comment_carries_its_writers_group(written, member, other_member):
    assert groups_of(member) == {StakeholderGroup.NHS}
    assert groups_of(other_member) == {other_member.stakeholder_group}


def test_changing_group_on_the_profile_moves_every_comment_of_the_member(client, written, member, other_member):
    before = groups_of(other_member)
    client.force_login(member)
    response = client.post(
        reverse("accounts:edit_profile"),
        {"display_name": member.display_name, "stakeholder_group": StakeholderGroup.VCSE},
    )
    assert response.status_code == 302
    assert groups_of(member) == {StakeholderGroup.VCSE}
    assert groups_of(other_member) == before


def test_the_group_filter_follows_the_change(client, written, member):
    client.force_login(member)
    assert len(found_ids(client, q="theatres", group="nhs")) == 2
    client.post(
        reverse("accounts:edit_profile"),
        {"display_name": member.display_name, "stakeholder_group": StakeholderGroup.VCSE},
    )
    assert found_ids(client, q="theatres", group="nhs") == []
    assert len(found_ids(client, q="theatres", group="vcse")) == 2


def test_the_copy_is_brought_up_to_date_in_one_update(written, member):
    User.objects.filter(pk=member.pk).update(stakeholder_group=StakeholderGroup.ICB)
    member.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        assert copy_group_to_comments(member) == 2
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert groups_of(member) == {StakeholderGroup.ICB}


def test_a_group_changed_in_the_admin_reaches_the_comments(rf, written, member):
    model_admin = admin.site._registry[User]
    member.stakeholder_group = StakeholderGroup.LOCAL_AUTHORITY
    model_admin.save_model(rf.post("/"), member, SimpleNamespace(changed_data=["stakeholder_group"]), True)
    assert groups_of(member) == {StakeholderGroup.LOCAL_AUTHORITY}


def test_a_deleted_account_leaves_no_group_on_its_comments(written, member):
    delete_account(user=member, remove_text=False)
    assert groups_of(member) == {""}


def test_seeded_comments_carry_their_writers_current_group():
    seed_a_little()
    comments = Comment.objects.filter(author__isnull=False)
    assert comments.exists()
    assert not comments.exclude(author_group=F("author__stakeholder_group")).exists()
    assert comments.exclude(author_group="").exists()
