"""Fixtures for the forum tests: a small source text, themes that quote it, members."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import StakeholderGroup
from articles.models import Article, Paragraph, Section
from config import versions
from forum.models import Theme, ThemePassage, ThemeStatus
from forum.posting import services
from tests.conftest import make_member


@pytest.fixture
def source(db) -> SimpleNamespace:
    """One article with two sections and three paragraphs."""
    article = Article.objects.create(
        title="Working together after the pandemic",
        slug="working-together",
        author_name="A. Writer",
        published_in="Test Journal",
        published_when="Spring 2021",
    )
    opening = Section.objects.create(article=article, position=1, anchor="introduction", body="")
    later = Section.objects.create(
        article=article, position=2, heading="Looking ahead", anchor="looking-ahead", body=""
    )
    first = Paragraph.objects.create(
        section=opening, position=1, text="Waiting lists grew during the pandemic and must now come down."
    )
    second = Paragraph.objects.create(
        section=opening, position=2, text="Local teams were given **more freedom** to decide quickly."
    )
    third = Paragraph.objects.create(section=later, position=1, text="Social care should be part of planning.")
    return SimpleNamespace(article=article, sections=[opening, later], paragraphs=[first, second, third])


def make_theme(slug="waiting-lists", *, title=None, position=1, paragraphs=(), status=ThemeStatus.OPEN, **extra):
    theme = Theme.objects.create(
        slug=slug,
        title=title or slug.replace("-", " ").capitalize(),
        position=position,
        summary="A short neutral summary. **What** should happen next?",
        status=status,
        **extra,
    )
    for number, paragraph in enumerate(paragraphs, start=1):
        ThemePassage.objects.create(theme=theme, paragraph=paragraph, position=number)
    return theme


@pytest.fixture
def theme(source) -> Theme:
    return make_theme(paragraphs=source.paragraphs[:2])


@pytest.fixture
def closed_theme(source) -> Theme:
    return make_theme("closed-theme", title="A closed theme", position=2, status=ThemeStatus.CLOSED)


@pytest.fixture
def other_member(db):
    return make_member(
        "priya@example.org", display_name="Priya Shah", stakeholder_group=StakeholderGroup.SOCIAL_CARE
    )


@pytest.fixture
def moderator(db):
    user = make_member(
        "moderator@example.org", display_name="Morgan Reviewer", stakeholder_group=StakeholderGroup.OTHER
    )
    group = Group.objects.create(name="Forum moderators for tests")
    group.permissions.add(Permission.objects.get(codename="moderate_comment", content_type__app_label="forum"))
    user.groups.add(group)
    return user


@pytest.fixture
def thread(theme, member):
    return services.start_thread(
        theme=theme, author=member, title="How do we bring waiting lists down?", body="Opening comment."
    )


def reply(thread, author, body="A reply.", **kwargs):
    return services.create_comment(thread=thread, author=author, body=body, **kwargs)


def seed_a_little() -> None:
    """A small, dated `seed_demo` (about 200 comments), quietly."""
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", "--scale", "0.02", "--hot-comments", "60", "--until", "2026-06-30", "--no-progress",
                 stdout=StringIO())


def index_only_plan(queryset) -> str:
    """EXPLAIN of `queryset` with plain scans switched off: on a test-sized table the planner
    prefers them, so this shows which conditions the indexes (the search GIN index) can answer."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        try:
            return queryset.explain()
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")


@pytest.fixture
def recipient(db):
    """A member who is told about things (notifications and email tests)."""
    return make_member("rita@example.org", display_name="Rita Recipient")


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run what the code queues for after commit (the immediate backend then runs the tasks)."""

    def _run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return _run


# The planning map's fixtures (tests/forum/planning_support.py), for every test here.
from tests.forum.planning_support import (  # noqa: E402, F401
    planner,
    planning_theme,
    provider,
    stage,
    third_member,
)


@pytest.fixture
def settled_at_once(monkeypatch):
    """Cached pages may be stored straight after a change (the settling time is tested on its own)."""
    monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)
