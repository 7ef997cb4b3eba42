"""Each forum page costs a fixed number of queries, however many threads and comments it shows.

Every test measures a page at two sizes (3 and 40 rows) and requires the same count, within the
budget of 10, for an anonymous reader and for a signed-in member. A theme's pages narrowed to a
region cost what they cost for every region.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Region, StakeholderGroup
from accounts.regions import ensure_register_loaded
from forum import reading, standing
from forum.models import Comment
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db

BUDGET = 10
GROUPS = list(StakeholderGroup.values)


@pytest.fixture
def authors(db):
    return [
        make_member(f"author{i}@example.org", display_name=f"Author {i}", stakeholder_group=GROUPS[i % len(GROUPS)],
                    organisation_name=f"Organisation {i}", affiliation_verified=i % 2 == 0)
        for i in range(4)
    ]


def fill_theme(theme, authors, threads: int, paragraph=None):
    for n in range(threads):
        thread = services.start_thread(
            theme=theme, author=authors[n % len(authors)], title=f"Thread {n}", body="Opening", paragraph=paragraph
        )
        services.create_comment(thread=thread, author=authors[(n + 1) % len(authors)], body="Reply")


def fill_thread(thread, authors, comments: int):
    previous = None
    for n in range(comments):
        previous = services.create_comment(
            thread=thread, author=authors[n % len(authors)], body=f"Comment {n} with @\"Author 1\"",
            parent=previous, stance=["", "support", "concern"][n % 3],
        )
    services.edit_comment(comment=previous, editor=previous.author, body="Edited")


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.fixture(params=["anonymous", "member"])
def reader(request, client, member):
    if request.param == "member":
        client.force_login(member)
        client.get("/about/")  # the session is now stored; later requests read it from the cache
        standing.load(member)  # so is their standing (moderator, facilitator, suspended)
    return client


def test_theme_list(reader, source, authors):
    for n in range(3):
        fill_theme(make_theme(f"theme-{n}", position=n), authors, 1)
    small = count(reader, "/themes/")
    for n in range(3, 40):
        make_theme(f"theme-{n}", position=n)
    large = count(reader, "/themes/")
    assert small == large <= BUDGET


def test_theme_page(reader, theme, source, authors, member):
    fill_theme(theme, authors, 3)
    small = count(reader, theme.get_absolute_url())
    fill_theme(theme, authors, 37, paragraph=source.paragraphs[0])
    for thread in theme.threads.all()[:10]:
        reading.mark_thread_read(user=member, thread=thread, position=1)
    large = count(reader, theme.get_absolute_url())
    assert small == large <= BUDGET


def test_thread_page(reader, theme, source, authors):
    small_thread = services.start_thread(theme=theme, author=authors[0], title="Small", body="B",
                                         paragraph=source.paragraphs[0])
    fill_thread(small_thread, authors, 2)
    big_thread = services.start_thread(theme=theme, author=authors[0], title="Big", body="B",
                                       paragraph=source.paragraphs[1])
    fill_thread(big_thread, authors, 39)
    Comment.objects.filter(thread=big_thread, position=5).update(is_hidden=True)
    small = count(reader, small_thread.get_absolute_url())
    large = count(reader, big_thread.get_absolute_url())
    assert small == large <= BUDGET
    # A second visit only moves the read position on.
    assert count(reader, big_thread.get_page_url(2)) <= BUDGET


def test_thread_page_for_a_moderator(client, moderator, theme, authors):
    thread = services.start_thread(theme=theme, author=authors[0], title="T", body="B")
    fill_thread(thread, authors, 3)
    client.force_login(moderator)
    client.get("/about/")
    standing.load(moderator)
    client.get(thread.get_absolute_url())  # read: from now on each count is of a page with unread comments
    fill_thread(thread, authors, 1)
    small = count(client, thread.get_absolute_url())
    fill_thread(thread, authors, 20)
    thread.refresh_from_db()
    assert count(client, thread.get_absolute_url()) == small <= BUDGET
    assert count(client, thread.get_absolute_url()) <= BUDGET  # all read: the page stored for moderators


def test_article_page(reader, theme, source, authors):
    fill_theme(theme, authors, 3, paragraph=source.paragraphs[0])
    small = count(reader, source.article.get_absolute_url())
    fill_theme(theme, authors, 37, paragraph=source.paragraphs[1])
    fill_theme(theme, authors, 3, paragraph=source.paragraphs[2])
    large = count(reader, source.article.get_absolute_url())
    assert small == large <= BUDGET


def test_paragraph_discuss_page(reader, theme, source, authors):
    fill_theme(theme, authors, 3, paragraph=source.paragraphs[0])
    small = count(reader, f"/paragraphs/{source.paragraphs[0].key}/discuss/")
    fill_theme(theme, authors, 37, paragraph=source.paragraphs[0])
    large = count(reader, f"/paragraphs/{source.paragraphs[0].key}/discuss/")
    assert small == large <= BUDGET


def test_comment_history_page(reader, thread, member):
    comment = thread.comments.get()
    services.edit_comment(comment=comment, editor=member, body="Two")
    small = count(reader, f"/comments/{comment.pk}/history/")
    for n in range(20):
        services.edit_comment(comment=comment, editor=member, body=f"Version {n}")
    assert count(reader, f"/comments/{comment.pk}/history/") == small <= BUDGET


# Narrowed to a region (?region=): the same queries as the page for every region --------------------


def place_authors(authors) -> str:
    """Half the authors in the first region offered, half in the second: the first one's code."""
    ensure_register_loaded()
    first, second = Region.objects.for_choices()[:2]
    for n, author in enumerate(authors):
        author.region = first if n % 2 == 0 else second
        author.save(update_fields=["region"])
    return first.code


def mark_common_ground(theme) -> None:
    Comment.objects.filter(thread__theme=theme).update(is_common_ground=True, agree_count=3)


@pytest.mark.parametrize("page", ["forum:theme", "forum:theme_summary", "forum:common_ground"])
def test_a_theme_page_narrowed_to_a_region(reader, theme, source, authors, page):
    code = place_authors(authors)
    url = reverse(page, args=[theme.slug])
    fill_theme(theme, authors, 3)
    mark_common_ground(theme)
    small = count(reader, f"{url}?region={code}")
    every_region = count(reader, url)
    fill_theme(theme, authors, 37)
    mark_common_ground(theme)
    large = count(reader, f"{url}?region={code}")
    # A signed-in reader's unfiltered theme page is made to be stored for every member
    # (forum.cache.theme_pages), a different path from the filtered one: both within the budget.
    assert small == large <= BUDGET
    assert every_region <= BUDGET
