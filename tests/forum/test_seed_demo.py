"""`manage.py seed_demo`: realistic, consistent, repeatable demo data, and never over real members."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Organisation, Region, StakeholderGroup, User
from forum.demo.plan import DEMO_DOMAIN
from forum.models import (
    Agreement,
    Comment,
    CommentRevision,
    JourneyStage,
    MapEntry,
    MapLink,
    Mention,
    Notification,
    NotificationKind,
    ParagraphDiscussion,
    Stance,
    Theme,
    Thread,
    ThreadFollow,
    ThreadReadState,
)
from forum.rendering import render_comment
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

SMALL = ["--scale", "0.05", "--hot-comments", "150", "--until", "2026-06-30", "--no-progress"]


def seed(*extra: str) -> str:
    out = StringIO()
    call_command("seed_demo", *SMALL, *extra, stdout=out)
    return out.getvalue()


def fingerprint() -> str:
    """A digest of what the demo data says, independent of how the database numbered it."""
    digest = hashlib.sha256()
    for row in User.objects.order_by("email").values_list("email", "display_name", "stakeholder_group",
                                                           "organisation_name", "affiliation_verified"):
        digest.update(repr(row).encode())
    comments = Comment.objects.order_by("thread__title", "thread__created_at", "position").values_list(
        "thread__title", "thread__theme__slug", "position", "author__email", "body", "stance", "parent__position",
        "is_hidden", "is_deleted", "needs_approval", "agree_count", "created_at",
    )
    for row in comments:
        digest.update(repr(row).encode())
    for model in (Agreement, Mention, Notification, ThreadFollow, ThreadReadState, CommentRevision):
        digest.update(f"{model.__name__}:{model.objects.count()}".encode())
    return digest.hexdigest()


def test_it_makes_members_threads_comments_and_everything_around_them():
    output = seed()

    members = User.objects.all()
    assert members.exists()
    assert all(email.endswith("@" + DEMO_DOMAIN) for email in members.values_list("email", flat=True))
    assert set(members.values_list("stakeholder_group", flat=True)) == set(StakeholderGroup.values)
    assert members.exclude(organisation_name="").count() == members.count()
    assert members.filter(affiliation_verified=True).exists()
    assert members.filter(affiliation_verified=False).exists()

    themes_with_threads = Theme.objects.filter(thread_count__gt=0).count()
    assert themes_with_threads == Theme.objects.count() > 0
    hot = Comment.objects.filter(position=150).get().thread
    assert hot.last_position == 150
    assert Comment.objects.filter(parent__isnull=False).exists()
    assert Comment.objects.filter(quoted_comment__isnull=False).exclude(quoted_text="").exists()
    assert Mention.objects.exists()
    assert Agreement.objects.exists()
    assert Comment.objects.filter(is_common_ground=True).exists()
    assert set(Comment.objects.exclude(stance="").values_list("stance", flat=True)) == set(Stance.values)
    assert ThreadFollow.objects.exists() and ThreadReadState.objects.exists()
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {NotificationKind.REPLY, NotificationKind.MENTION, NotificationKind.WATCHED_COMMENT} <= kinds
    assert Notification.objects.filter(read_at__isnull=True).exists()
    assert ParagraphDiscussion.objects.filter(thread_count__gt=0).exists()
    assert "Made" in output


def test_every_counter_matches_the_rows_it_counts():
    seed()

    out = StringIO()
    call_command("check_counters", stdout=out)  # raises CommandError on any drift

    assert "Every counter matches" in out.getvalue()


def test_each_comment_has_its_revisions_and_the_html_the_renderer_would_store():
    seed()

    for comment in Comment.objects.prefetch_related("mentions", "revisions"):
        html, mentioned = render_comment(comment.body)
        assert comment.body_html == html, comment.pk
        assert {m.member_id for m in comment.mentions.all()} == {m.pk for m in mentioned} - {comment.author_id}
        if comment.is_deleted:
            assert comment.body == "" and not comment.revisions.all()
        else:
            assert comment.revisions.all()[0].body == comment.body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search vectors are stored on PostgreSQL only")
def test_search_vectors_are_those_the_search_index_stores():
    seed()

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM forum_comment c JOIN forum_thread t ON t.id = c.thread_id
            WHERE c.search_vector IS DISTINCT FROM (
                CASE WHEN c.position = 1
                THEN setweight(to_tsvector('english'::regconfig, COALESCE(t.title, '')), 'A')
                     || setweight(to_tsvector('english'::regconfig, COALESCE(c.body, '')), 'B')
                ELSE setweight(to_tsvector('english'::regconfig, COALESCE(c.body, '')), 'B') END)
            """
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM forum_thread WHERE search_vector IS NULL")
        assert cursor.fetchone()[0] == 0


def test_the_same_seed_makes_the_same_data_and_another_seed_does_not():
    seed()
    first = fingerprint()

    seed("--replace")
    assert fingerprint() == first

    seed("--replace", "--seed", "2")
    assert fingerprint() != first


def test_demo_organisations_and_most_members_have_regions_from_the_register():
    seed()
    organisations = Organisation.objects.filter(verified_members__email__endswith=DEMO_DOMAIN).distinct()
    assert organisations.exists()
    assert not organisations.filter(regions__isnull=True).exists()
    members = User.objects.filter(email__endswith=DEMO_DOMAIN)
    assert members.filter(region__isnull=False).count() > members.count() // 2
    assert not members.filter(region__isnull=False).exclude(region__in=Region.objects.current()).exists()


def test_the_demo_member_can_take_part():
    seed()

    member = User.objects.get(email="member@" + DEMO_DOMAIN)
    assert member.can_participate
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).exists()


def test_it_refuses_a_database_with_real_members():
    make_member("someone@example.org")

    with pytest.raises(CommandError, match="not demo members"):
        seed()
    assert not Comment.objects.exists()


def test_force_seeds_beside_real_members_and_replace_is_still_refused():
    make_member("someone@example.org")

    seed("--force")
    assert Comment.objects.exists()

    with pytest.raises(CommandError, match="without real members"):
        seed("--force", "--replace")


def test_it_refuses_to_seed_twice_without_replace():
    seed()

    with pytest.raises(CommandError, match="--replace"):
        seed()


def test_a_password_lets_people_sign_in_as_the_named_demo_accounts(client):
    seed("--password", "demo-password-for-tests")

    assert client.login(email="moderator@" + DEMO_DOMAIN, password="demo-password-for-tests")
    assert not User.objects.get(email="member@" + DEMO_DOMAIN).check_password("anything")


def test_it_places_needs_and_offers_on_the_map_in_proportion(planning_theme):
    """With the stages loaded, about one discussion in eight becomes a need or an offer, with "we see
    this too" counted from its agreements and some needs matched; twice the scale, about twice the
    entries."""
    make_stages()
    seed("--scale", "0.5", "--hot-comments", "100")
    small = MapEntry.objects.count()
    threads = Thread.objects.count()

    assert 0.06 * threads <= small <= 0.2 * threads
    assert MapEntry.objects.needs().exists() and MapEntry.objects.offers().exists()
    assert MapEntry.objects.filter(seen_groups__gt=0).exists()
    linked = MapEntry.objects.needs().filter(link_count__gt=0).count()
    assert linked == MapLink.objects.values("need").distinct().count() > 0
    assert not MapEntry.objects.exclude(thread__comments__position=1, opening__position=1).exists()

    seed("--scale", "1", "--hot-comments", "100", "--replace")
    assert 1.5 * small <= MapEntry.objects.count() <= 3 * small


def make_stages():
    for number, slug in enumerate(("diagnostics", "discharge", "workforce"), start=1):
        JourneyStage.objects.create(slug=slug, title=slug.title(), position=number, description="A stage.")
