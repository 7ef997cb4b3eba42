"""The discussion's theme copied onto each comment (search filters on the copy, inside its index):
set when a comment is written, filled by the migration, written by seed_demo, and rewritten when
a moderator moves the discussion."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.db import connection
from django.db.models import F
from django.urls import reverse

from forum.models import Comment, Thread
from forum.moderation import threads as thread_actions
from forum.moderation.flow import carry_out
from forum.posting import services
from forum.search import forms as search_forms
from forum.search import query as search
from tests.forum.conftest import index_only_plan, make_theme, reply, seed_a_little

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only")


def found_ids(client, **params) -> list[str]:
    soup = BeautifulSoup(client.get(reverse("forum:search"), params).content, "html.parser")
    return [a["href"] for a in soup.select("main ol.nhsuk-list h3 a")]


def themes_of(thread) -> set[int | None]:
    return set(Comment.objects.filter(thread=thread).values_list("thread_theme_id", flat=True))


@pytest.fixture
def elsewhere(source):
    return make_theme("elective-recovery", title="Elective recovery", position=2)


@pytest.fixture
def discussion(theme, member, other_member):
    thread = services.start_thread(theme=theme, author=member, title="Delayed discharge", body="Beds are blocked.")
    reply(thread, other_member, "Discharge needs care homes.")
    return thread


def test_a_new_discussion_and_its_replies_carry_its_theme(discussion, theme):
    assert themes_of(discussion) == {theme.pk}


def test_moving_a_discussion_moves_its_comments_theme(client, discussion, theme, elsewhere, moderator):
    carry_out(thread_actions.Move(discussion, actor=moderator, theme=elsewhere, reason="A better fit."))

    assert themes_of(discussion) == {elsewhere.pk}
    comments = [c.get_absolute_url() for c in discussion.comments.order_by("-created_at", "-pk")]
    assert found_ids(client, q="discharge", theme=theme.slug) == []
    assert sorted(found_ids(client, q="discharge", theme=elsewhere.slug)) == sorted(comments)


def test_moving_one_discussion_leaves_the_others_alone(discussion, theme, elsewhere, member, moderator):
    other = services.start_thread(theme=theme, author=member, title="Staying", body="Not moving.")
    carry_out(thread_actions.Move(discussion, actor=moderator, theme=elsewhere, reason="A better fit."))
    assert themes_of(other) == {theme.pk}


def test_a_reply_after_a_move_carries_the_new_theme(discussion, elsewhere, member, moderator):
    read_before_the_move = Thread.objects.get(pk=discussion.pk)
    carry_out(thread_actions.Move(discussion, actor=moderator, theme=elsewhere, reason="A better fit."))
    assert reply(read_before_the_move, member).thread_theme_id == elsewhere.pk  # the locked row decides


def test_the_migration_fills_the_copy_from_each_discussion(discussion, theme, elsewhere, member):
    other = services.start_thread(theme=elsewhere, author=member, title="Elsewhere", body="Other words.")
    Comment.objects.update(thread_theme=None)
    migration = importlib.import_module("forum.migrations.0010_comment_thread_theme")

    def execute(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)

    # The migration's own function, given what it uses of a schema editor (SQLite's cannot be
    # opened inside the test's transaction).
    migration.fill_thread_theme(apps, SimpleNamespace(connection=connection, execute=execute))

    assert themes_of(discussion) == {theme.pk}
    assert themes_of(other) == {elsewhere.pk}


def test_seeded_comments_carry_their_discussions_theme():
    seed_a_little()
    comments = Comment.objects.all()
    assert comments.exists()
    assert not comments.exclude(thread_theme=F("thread__theme")).exists()
    assert not comments.filter(thread_theme__isnull=True).exists()


@needs_postgres
def test_the_words_and_theme_are_answered_by_one_index(discussion, theme):
    criteria = search_forms.SearchCriteria(q="discharge", theme=theme, stance="concern")
    plan = index_only_plan(search.matching_comments(None, criteria))
    index_condition = plan.split("forum_comment_search_gin", 1)[1].split("\n", 2)[1]
    assert "thread_theme_id" in index_condition and "search_vector" in index_condition
