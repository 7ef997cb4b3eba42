"""Searching comments and discussion titles: matching, filters, visibility, snippets, pages.

The tests in the first classes run on both databases (SQLite matches words directly; PostgreSQL
uses full-text search). Those in TestPostgresFullText need PostgreSQL's features and skip
elsewhere; run them with DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_signals.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StakeholderGroup
from forum.models import Comment, Thread
from forum.posting import services
from forum.search import forms as search_forms
from forum.search import indexing, snippets, windows
from forum.search import query as search
from tests.forum.conftest import index_only_plan, make_theme, reply

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="full-text ranking, snippets and the GIN index exist only on PostgreSQL",
)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def find(client, **params):
    return client.get(reverse("forum:search"), params)


def result_ids(response) -> list[str]:
    """The comment permalinks listed as results, in order."""
    return [a["href"] for a in page(response).select("main ol.nhsuk-list h3 a")]


@pytest.fixture
def corpus(theme, member, other_member):
    """Two themes; comments about discharge, theatres and a care home."""
    discharge = services.start_thread(
        theme=theme, author=member, title="Delayed discharge from hospital", body="Beds are blocked.", stance="concern"
    )
    reply(discharge, other_member, "Care homes could take people sooner with funding.", stance="support")
    other = make_theme("elective-recovery", title="Elective recovery", position=2)
    theatres = services.start_thread(
        theme=other, author=other_member, title="Sharing theatres", body="Independent theatres have spare capacity."
    )
    return {"discharge": discharge, "theatres": theatres, "other_theme": other}


def link(comment) -> str:
    return comment.get_absolute_url()


class TestMatching:
    def test_it_finds_a_comment_by_a_word_in_its_text(self, client, corpus):
        target = corpus["discharge"].comments.get(position=2)
        assert result_ids(find(client, q="homes")) == [link(target)]

    def test_it_finds_a_discussion_by_its_title(self, client, corpus):
        opening = corpus["discharge"].comments.get(position=1)
        response = find(client, q="delayed")
        assert result_ids(response) == [link(opening)]
        titles = page(response).select("main ul.nhsuk-list--bullet a")
        assert [a["href"] for a in titles] == [corpus["discharge"].get_absolute_url()]

    def test_every_word_must_match(self, client, corpus):
        assert result_ids(find(client, q="theatres spare")) == [link(corpus["theatres"].comments.get())]
        assert result_ids(find(client, q="theatres blocked")) == []

    def test_no_results_says_what_to_try(self, client, corpus):
        soup = page(find(client, q="zebra"))
        assert soup.find("h2", id="results").get_text(strip=True) == "No comments found"
        assert "check the spelling" in soup.get_text()

    def test_an_empty_form_shows_no_results_section(self, client, corpus):
        soup = page(client.get(reverse("forum:search")))
        assert soup.find("h2", id="results") is None
        assert soup.find("title").get_text().startswith("Search the discussions")


class TestVisibility:
    def test_hidden_and_deleted_comments_never_appear_even_to_moderators(self, client, corpus, moderator, other_member):
        hidden = reply(corpus["discharge"], other_member, "Hidden homes remark")
        Comment.objects.filter(pk=hidden.pk).update(is_hidden=True)
        deleted = reply(corpus["discharge"], other_member, "Deleted homes remark")
        services.delete_comment(comment=deleted, deleted_by=other_member)
        for viewer in (None, moderator):
            if viewer:
                client.force_login(viewer)
            found = result_ids(find(client, q="homes"))
            assert link(hidden) not in found and link(deleted) not in found
            assert len(found) == 1

    def test_comments_in_a_hidden_discussion_never_appear(self, client, corpus, moderator):
        Thread.objects.filter(pk=corpus["theatres"].pk).update(is_hidden=True)
        client.force_login(moderator)
        assert result_ids(find(client, q="theatres")) == []

    def test_a_comment_waiting_for_approval_is_found_only_by_its_author(self, client, corpus, member, other_member):
        waiting = reply(corpus["discharge"], other_member, "Pending homes remark", needs_approval=True)
        indexing.index_comment(waiting)
        assert link(waiting) not in result_ids(find(client, q="pending"))
        client.force_login(member)
        assert link(waiting) not in result_ids(find(client, q="pending"))
        client.force_login(other_member)
        assert result_ids(find(client, q="pending")) == [link(waiting)]


class TestFilters:
    def test_by_theme(self, client, corpus):
        response = find(client, q="theatres", theme=corpus["other_theme"].slug)
        assert result_ids(response) == [link(corpus["theatres"].comments.get())]
        assert result_ids(find(client, q="theatres", theme=corpus["discharge"].theme.slug)) == []

    def test_by_the_writers_stakeholder_group(self, client, corpus):
        found = result_ids(find(client, group=StakeholderGroup.SOCIAL_CARE))
        assert len(found) == 2  # Priya's reply and her thread, newest first
        assert found[0] == link(corpus["theatres"].comments.get())

    def test_by_stance(self, client, corpus):
        assert result_ids(find(client, stance="support")) == [link(corpus["discharge"].comments.get(position=2))]

    def test_by_date_range(self, client, corpus):
        old = corpus["discharge"].comments.get(position=1)
        Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
        since = (timezone.localdate() - timedelta(days=10)).isoformat()
        found = result_ids(find(client, date_from=since))
        assert link(old) not in found and len(found) == 2
        until = (timezone.localdate() - timedelta(days=30)).isoformat()
        assert result_ids(find(client, date_to=until)) == [link(old)]

    def test_a_backwards_date_range_is_explained_and_the_form_keeps_what_was_typed(self, client, corpus):
        soup = page(find(client, q="homes", date_from="2025-05-02", date_to="2025-05-01"))
        assert soup.select_one(".nhsuk-error-summary") is not None
        assert "must be the same as or after" in soup.get_text()
        assert soup.find("input", attrs={"name": "q"})["value"] == "homes"
        assert soup.find("input", attrs={"name": "date_from"})["value"] == "2025-05-02"
        assert soup.find("title").get_text().startswith("Error:")

    def test_an_invalid_date_is_explained(self, client, corpus):
        soup = page(find(client, date_from="not-a-date"))
        assert "as a real date" in soup.get_text()

    def test_a_date_typed_the_british_way_is_understood(self, client, corpus):
        today = timezone.localdate()
        assert len(result_ids(find(client, date_from=today.strftime("%d/%m/%Y")))) == 3

    def test_the_date_inputs_are_real_date_fields(self, client):
        soup = page(client.get(reverse("forum:search")))
        assert soup.find("input", attrs={"name": "date_from"})["type"] == "date"
        assert soup.find("label", attrs={"for": "id_date_to"}).get_text(strip=True).startswith("Written on or before")


class TestSnippets:
    def test_matches_are_marked_and_everything_else_is_escaped(self, client, theme, member):
        services.start_thread(
            theme=theme, author=member, title="Escaping", body="<script>alert(1)</script> planning <b>together</b>"
        )
        response = find(client, q="planning")
        assert "<script>alert" not in response.content.decode()
        snippet = page(response).select_one("main ol.nhsuk-list .nhsuk-card__description")
        assert {tag.name for tag in snippet.find_all(True)} == {"mark"}
        assert [m.get_text() for m in snippet.find_all("mark")] == ["planning"]
        assert "<b>together" in snippet.get_text()  # what the member typed shows as text

    def test_highlight_escapes_text_and_balances_marks(self):
        marked = f"a <i>{snippets.START}x{snippets.STOP}</i> {snippets.STOP}{snippets.START}y"
        assert str(snippets.highlight(marked)) == "a &lt;i&gt;<mark>x</mark>&lt;/i&gt; <mark>y</mark>"

    def test_highlight_ignores_a_stray_stop_mark(self):
        assert str(snippets.highlight(f"{snippets.STOP}plain")) == "plain"


class TestPagination:
    def test_results_are_paginated_and_keep_the_filters(self, client, theme, member):
        thread = services.start_thread(theme=theme, author=member, title="Many", body="needle 0")
        for number in range(1, search.RESULTS_PER_PAGE + 5):
            reply(thread, member, f"needle {number}")
        first = page(find(client, q="needle", theme=theme.slug))
        assert len(first.select("main ol.nhsuk-list h3 a")) == search.RESULTS_PER_PAGE
        nav = first.select_one('nav[aria-label="Pages of search results"]')
        next_link = nav.select_one("a.nhsuk-pagination__next")["href"]
        assert "q=needle" in next_link and f"theme={theme.slug}" in next_link and "page=2" in next_link
        second = client.get(next_link)
        assert len(page(second).select("main ol.nhsuk-list h3 a")) == 5
        assert find(client, q="needle", page="3").status_code == 404
        assert find(client, q="needle", page="x").status_code == 404

    def test_only_the_newest_matches_are_ranked_and_the_heading_says_so(self, client, theme, member, monkeypatch):
        monkeypatch.setattr(search, "RESULT_WINDOW", 3)
        thread = services.start_thread(theme=theme, author=member, title="Many", body="needle 0")
        newest = [reply(thread, member, f"needle {number}") for number in range(1, 6)][-3:]

        response = find(client, q="needle")

        assert sorted(result_ids(response)) == sorted(c.get_absolute_url() for c in newest)
        assert "At least 3 comments found: the newest 3, best first" in page(response).select_one("h2#results").text

    @pytest.mark.parametrize("replies", [2, 30])
    def test_it_costs_the_same_whatever_the_size(
        self, client, theme, member, replies, django_assert_max_num_queries
    ):
        thread = services.start_thread(theme=theme, author=member, title="Needle threads", body="needle")
        for number in range(replies):
            reply(thread, member, f"needle {number}")
        client.force_login(member)
        find(client, q="needle")  # the first request also records the session
        with django_assert_max_num_queries(10):
            response = find(client, q="needle", group=StakeholderGroup.NHS)
        assert response.status_code == 200
        with django_assert_max_num_queries(10):
            response = find(client, q="needle")
        assert response.status_code == 200

    def test_only_the_page_shown_is_read_with_its_discussion_and_author(
        self, theme, member, django_assert_num_queries
    ):
        thread = services.start_thread(theme=theme, author=member, title="Needles", body="needle")
        for number in range(search.RESULTS_PER_PAGE + 4):
            reply(thread, member, f"needle {number}")
        window = windows.search_comments(None, search_forms.SearchCriteria(q="needle"))
        assert len(window) == search.RESULTS_PER_PAGE + 5

        with CaptureQueriesContext(connection) as captured:
            shown = window[search.RESULTS_PER_PAGE : 2 * search.RESULTS_PER_PAGE]

        assert [comment.pk for comment in shown] == window.ids[search.RESULTS_PER_PAGE :]
        assert len(captured.captured_queries) == 1
        with django_assert_num_queries(0):
            for comment in shown:  # what a result shows
                assert comment.thread.theme.title and comment.thread.get_absolute_url() and comment.author_name
                assert not comment.author.is_former_member and comment.created_at and comment.position

    @pytest.mark.parametrize("words", ["", "needle"])
    def test_a_page_and_its_snippets_are_read_in_one_query_with_words_or_without(self, theme, member, words):
        thread = services.start_thread(theme=theme, author=member, title="Needles", body="needle")
        for number in range(3):
            reply(thread, member, f"needle {number}")
        criteria = search_forms.SearchCriteria(q=words, theme=theme)
        window = windows.search_comments(None, criteria)

        with CaptureQueriesContext(connection) as captured:
            shown = window[0 : search.RESULTS_PER_PAGE]
            search.decorate(shown, criteria)

        assert len(shown) == 4 and all("needle" in comment.snippet_html for comment in shown)
        assert len(captured.captured_queries) == 1

    def test_it_answers_only_get(self, client):
        assert client.post(reverse("forum:search")).status_code == 405

    def test_the_header_links_to_search(self, client):
        soup = page(client.get(reverse("forum:search")))
        assert soup.find("a", class_="nhsuk-header__navigation-link", string="Search") is not None


@needs_postgres
class TestPostgresFullText:
    def test_a_title_match_ranks_above_a_match_in_the_text(self, client, theme, member, other_member):
        body_match = services.start_thread(theme=theme, author=member, title="Beds", body="Workforce plans matter.")
        title_match = services.start_thread(theme=theme, author=other_member, title="Workforce", body="Staffing.")
        assert result_ids(find(client, q="workforce")) == [
            link(title_match.comments.get()),
            link(body_match.comments.get()),
        ]

    def test_it_matches_word_forms_and_marks_them(self, client, theme, member):
        services.start_thread(theme=theme, author=member, title="Plans", body="We are planning together every week.")
        soup = page(find(client, q="plan"))
        marks = [m.get_text() for m in soup.select("main ol.nhsuk-list .nhsuk-card__description mark")]
        assert marks == ["planning"]

    def test_phrases_and_exclusions_work(self, client, corpus):
        assert len(result_ids(find(client, q='"spare capacity"'))) == 1
        assert result_ids(find(client, q="theatres -spare")) == []

    def test_vectors_follow_edits(self, client, theme, member):
        thread = services.start_thread(theme=theme, author=member, title="Edits", body="Original wording.")
        comment = thread.comments.get()
        services.edit_comment(comment=comment, editor=member, body="Rewritten completely.")
        assert result_ids(find(client, q="original")) == []
        assert result_ids(find(client, q="rewritten")) == [link(comment)]

    def test_erased_words_cannot_be_found(self, client, theme, member):
        from forum.member_data import erase_member_data

        thread = services.start_thread(theme=theme, author=member, title="Erasure", body="Confidential wording.")
        erase_member_data(member, remove_text=True)
        assert result_ids(find(client, q="confidential")) == []
        assert result_ids(find(client, q="erasure")) == [link(thread.comments.get())]

    def test_the_gin_indexes_exist(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('forum_comment', 'forum_thread')"
            )
            indexes = dict(cursor.fetchall())
        # The comments' index also holds the tag, the writer's group and the discussion's theme, so
        # filters combine in it.
        assert (
            "USING gin (search_vector, stance, author_group, thread_theme_id)" in indexes["forum_comment_search_gin"]
        )
        assert "USING gin (search_vector)" in indexes["forum_thread_search_gin"]
        # New rows go into them at once: no pending list for every search to read (docs/performance.md).
        assert "WITH (fastupdate=off)" in indexes["forum_comment_search_gin"]
        assert "WITH (fastupdate=off)" in indexes["forum_thread_search_gin"]

    def test_the_words_tag_and_group_are_answered_by_one_index(self, theme, member):
        services.start_thread(
            theme=theme, author=member, title="Indexed", body="Looking for a needle.", stance="concern"
        )
        criteria = search_forms.SearchCriteria(q="needle", group="nhs", stance="concern")
        plan = index_only_plan(search.matching_comments(None, criteria))
        assert "accounts_user" not in plan
        assert "author_group" in plan.split("forum_comment_search_gin", 1)[1].split("\n", 2)[1]

    def test_the_search_uses_the_gin_index(self, theme, member):
        services.start_thread(theme=theme, author=member, title="Indexed", body="Looking for a needle.")
        plan = index_only_plan(search.matching_comments(None, search_forms.SearchCriteria(q="needle")))
        assert "forum_comment_search_gin" in plan

    def test_rebuild_search_index_refills_every_vector(self, client, corpus):
        Comment.objects.update(search_vector=None)
        Thread.objects.update(search_vector=None)
        assert result_ids(find(client, q="homes")) == []
        out = io.StringIO()
        call_command("rebuild_search_index", "--batch-size", "2", stdout=out)
        assert "Indexed 2 threads and 3 comments." in out.getvalue()
        assert len(result_ids(find(client, q="homes"))) == 1
        assert len(result_ids(find(client, q="delayed"))) == 1


@pytest.mark.skipif(connection.vendor == "postgresql", reason="checks the SQLite message; PostgreSQL rebuilds")
def test_rebuild_search_index_explains_there_is_nothing_to_do_on_sqlite():
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "not PostgreSQL" in out.getvalue()


def test_the_sqlite_snippet_is_cut_around_the_first_match():
    text = "word " * 100 + "needle in the middle " + "word " * 100
    snippet = snippets.python_snippet(text, ["needle"])
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert f"{snippets.START}needle{snippets.STOP}" in snippet
    assert len(snippet) < snippets.SNIPPET_CHARS + 10


def test_queries_keep_only_words_for_the_fallback():
    assert snippets.query_words('"spare capacity" -private or theatres') == ["spare", "capacity", "private", "theatres"]
