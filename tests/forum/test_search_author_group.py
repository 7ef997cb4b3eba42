"""The group a writer spoke for when posting, kept on each comment: the badge, downloads and search
use it, and a later change of group does not relabel old comments (erasure empties it)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StakeholderGroup, User
from accounts.privacy import delete_account
from forum.models import Comment
from forum.posting import services
from forum.search.indexing import forget_group_of_erased
from tests.forum.conftest import reply, seed_a_little

pytestmark = pytest.mark.django_db


def groups_of(member) -> set[str]:
    return set(Comment.objects.filter(author=member).values_list("author_group", flat=True))


def found_ids(client, **params) -> list[str]:
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


def change_group(client, member, group):
    client.force_login(member)
    response = client.post(
        reverse("accounts:edit_profile"), {"display_name": member.display_name, "stakeholder_group": group}
    )
    assert response.status_code == 302


def test_changing_group_on_the_profile_keeps_each_comments_group_as_posted(client, written, member, other_member):
    before = groups_of(other_member)
    change_group(client, member, StakeholderGroup.VCSE)
    assert groups_of(member) == {StakeholderGroup.NHS}
    assert groups_of(other_member) == before
    reply(written, User.objects.get(pk=member.pk), "Theatres need volunteers.")
    assert groups_of(member) == {StakeholderGroup.NHS, StakeholderGroup.VCSE}


def test_the_badge_and_the_download_show_the_group_and_verification_as_posted(client, written, member):
    User.objects.filter(pk=member.pk).update(affiliation_verified=True)
    member.refresh_from_db()
    reply(written, member, "Posted while verified as NHS.")
    change_group(client, member, StakeholderGroup.VCSE)  # the verification was for the NHS group
    member.refresh_from_db()
    assert not member.affiliation_verified
    reply(written, member, "Posted as a charity member.")

    page = BeautifulSoup(Client().get(written.get_absolute_url()).content, "html.parser")
    badges = {
        " ".join(card.select_one(".nhsuk-card__content").get_text(" ").split())
        for card in page.select("article.nhsuk-card")
        if "Posted " in card.get_text()
    }
    assert any("NHS trust or NHS staff ✓ Verified group" in text and "Posted while verified" in text for text in badges)
    assert any("Voluntary" in text and "Self-declared" in text and "charity member" in text for text in badges)

    response = client.get(reverse("forum:theme_export", args=[written.theme.slug, "json"]))
    rows = json.loads(b"".join(response.streaming_content))
    by_text = {row["text"]: row for row in rows["comments"]}
    assert by_text["Posted while verified as NHS."]["group_code"] == StakeholderGroup.NHS
    assert by_text["Posted while verified as NHS."]["verification"] == "verified group"
    assert by_text["Posted as a charity member."]["group_code"] == StakeholderGroup.VCSE
    assert by_text["Posted as a charity member."]["verification"] == "self-declared"


def test_the_group_filter_finds_comments_by_the_group_they_were_written_for(client, written, member):
    client.force_login(member)
    assert len(found_ids(client, q="theatres", group="nhs")) == 2
    change_group(client, member, StakeholderGroup.VCSE)
    assert len(found_ids(client, q="theatres", group="nhs")) == 2
    assert found_ids(client, q="theatres", group="vcse") == []


def test_an_erased_members_group_is_emptied_in_one_update(written, member):
    User.objects.filter(pk=member.pk).update(deleted_at=timezone.now())
    member.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        assert forget_group_of_erased(member) == 2
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert groups_of(member) == {""}


def test_a_group_changed_in_the_admin_does_not_relabel_the_comments(rf, written, member):
    model_admin = admin.site._registry[User]
    member.stakeholder_group = StakeholderGroup.LOCAL_AUTHORITY
    model_admin.save_model(rf.post("/"), member, SimpleNamespace(changed_data=["stakeholder_group"]), True)
    assert groups_of(member) == {StakeholderGroup.NHS}


def test_a_deleted_account_leaves_no_group_on_its_comments(written, member):
    delete_account(user=member, remove_text=False)
    assert groups_of(member) == {""}


def test_seeded_comments_carry_their_writers_group_and_verification():
    seed_a_little()
    comments = Comment.objects.filter(author__isnull=False)
    assert comments.exists()
    assert not comments.exclude(author_group=F("author__stakeholder_group")).exists()
    assert not comments.exclude(author_group_verified=F("author__affiliation_verified")).exists()
    assert comments.filter(author_group_verified=True).exists()
