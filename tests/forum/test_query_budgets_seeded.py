"""The forum's query budgets hold on seeded demo data too, not only on a handful of hand-made rows.

`seed_demo` at a tiny scale gives every kind of row a page can meet (replies, quotes, mentions,
agreements, hidden and deleted comments, read positions, notifications); each page must stay within
10 queries for an anonymous reader and for the signed-in demo member, on the first page of the
longest discussion and on its last page alike. The counts are of pages rendered in full: the
caches are empty at the start of every test.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from articles.models import Article
from forum import standing
from forum.demo.plan import DEMO_DOMAIN
from forum.models import Thread

pytestmark = pytest.mark.django_db

BUDGET = 10


@pytest.fixture
def seeded(db):
    call_command(
        "seed_demo", "--scale", "0.02", "--hot-comments", "200", "--until", "2026-06-30", "--no-progress",
        stdout=StringIO(),
    )
    hot = Thread.objects.order_by("-last_position").first()
    return {
        "theme list": "/themes/",
        "theme page": hot.theme.get_absolute_url(),
        "thread page 1": hot.get_absolute_url(),
        "deep page": hot.get_page_url(hot.num_pages),
        "article page": Article.objects.order_by("position").first().get_absolute_url(),
        "search": "/search/?q=waiting+list",
        "search with filters": "/search/?q=care&group=nhs&stance=concern&date_from=2026-01-01",
        "notifications": "/notifications/",
    }


@pytest.fixture(params=["anonymous", "member"])
def reader(request, client):
    if request.param == "member":
        member = User.objects.get(email=f"member@{DEMO_DOMAIN}")
        client.force_login(member)
        client.get("/about/")  # the session is now stored; later requests read it from the cache
        standing.load(member)  # so is their standing (moderator, facilitator, suspended)
    client.reader = request.param
    return client


@pytest.mark.parametrize(
    "page",
    ["theme list", "theme page", "thread page 1", "deep page", "article page", "search", "search with filters",
     "notifications"],
)
def test_each_page_stays_within_its_budget_on_seeded_data(seeded, reader, page):
    url = seeded[page]
    if page == "notifications" and reader.reader == "anonymous":
        pytest.skip("notifications are for signed-in members only")
    with CaptureQueriesContext(connection) as queries:
        response = reader.get(url)

    assert response.status_code == 200, url
    assert len(queries) <= BUDGET, "\n".join(q["sql"][:200] for q in queries.captured_queries)


def test_a_deep_page_costs_what_the_first_page_costs(seeded, reader):
    """The same queries at any depth; a member may differ by the one UPDATE that marks their unread
    notifications about the thread as read, which runs only while they have some there."""
    counts = []
    for url in (seeded["thread page 1"], seeded["deep page"]):
        reader.get(url)  # the first visit records the reading position; compare the visits after
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(url).status_code == 200
        counts.append(len(queries))

    assert counts[1] <= counts[0] <= BUDGET
    assert counts[0] - counts[1] <= (1 if reader.reader == "member" else 0)
