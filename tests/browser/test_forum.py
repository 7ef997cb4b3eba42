"""The forum in a real browser: the main journeys work, with and without JavaScript, and every
forum page passes axe (WCAG 2.2 A and AA) with zero violations."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import StakeholderGroup
from articles.models import Paragraph
from forum import reading
from forum.models import Comment, Theme, Thread
from forum.posting import services
from tests.articles.helpers import import_bundled_articles
from tests.browser.axe import assert_accessible
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def content(transactional_db):
    import_bundled_articles()
    call_command("load_themes", stdout=io.StringIO())


@pytest.fixture
def theme(content):
    return Theme.objects.get(slug="clearing-the-backlog")


@pytest.fixture
def writer(transactional_db):
    return make_member("writer@example.org", display_name="Wren Writer", stakeholder_group=StakeholderGroup.ICB,
                       organisation_name="North ICB", affiliation_verified=True)


@pytest.fixture
def reader(transactional_db):
    return make_member("reader@example.org", display_name="Rosa Reader",
                       stakeholder_group=StakeholderGroup.INDEPENDENT_PROVIDER)


@pytest.fixture
def discussion(theme, writer, reader):
    thread = services.start_thread(
        theme=theme, author=writer, title="Sharing theatre capacity across a region",
        body="Could **independent** theatres take a fixed share of the list?\n\n- one\n- two", stance="question",
    )
    opening = thread.comments.get()
    answer = services.create_comment(thread=thread, author=reader, body=f'@"{writer.display_name}" yes, we do this.',
                                     parent=opening, stance="evidence")
    services.edit_comment(comment=answer, editor=reader, body=f'@"{writer.display_name}" yes, we already do this.')
    return thread


def url(live_server, path: str) -> str:
    return live_server.url + path


class TestAccessibility:
    def test_theme_list(self, page, live_server, discussion):
        page.goto(url(live_server, reverse("forum:theme_list")))
        assert page.locator("main table tbody tr").count() == 9  # one row per theme
        assert_accessible(page)

    def test_theme_page_for_a_signed_in_member(self, page, live_server, login, discussion, reader):
        login(page, reader)
        page.goto(url(live_server, discussion.theme.get_absolute_url()))
        assert page.locator("main blockquote").count() == 2
        assert_accessible(page)

    def test_theme_page_for_an_anonymous_reader(self, page, live_server, discussion):
        page.goto(url(live_server, discussion.theme.get_absolute_url()))
        assert_accessible(page)

    def test_thread_page_with_replies_and_an_unread_marker(self, page, live_server, login, discussion, writer,
                                                          reader):
        reading.mark_thread_read(user=writer, thread=discussion, position=1)
        login(page, writer)
        page.goto(url(live_server, discussion.get_absolute_url()))
        assert page.locator("#first-unread").count() == 1
        assert_accessible(page)

    def test_thread_page_with_pages(self, page, live_server, settings, discussion, reader):
        settings.COMMENTS_PER_PAGE = 2
        services.create_comment(thread=discussion, author=reader, body="Third")
        page.goto(url(live_server, discussion.get_page_url(2)))
        assert page.locator(".nhsuk-pagination__item--current").inner_text().strip() == "2"
        assert_accessible(page)

    def test_new_thread_form_with_errors(self, page, live_server, login, theme, writer):
        login(page, writer)
        page.goto(url(live_server, reverse("forum:start_thread", kwargs={"slug": theme.slug})))
        page.get_by_label("Title of your discussion").fill("t" * 151)
        page.get_by_role("button", name="Start discussion").click()
        expect(page.locator(".nhsuk-error-summary")).to_be_visible()  # waits for the response
        assert page.title().startswith("Error: ")
        assert_accessible(page)

    def test_edit_form(self, page, live_server, login, discussion, writer):
        login(page, writer)
        comment = discussion.comments.get(position=1)
        page.goto(url(live_server, reverse("forum:comment_edit", kwargs={"pk": comment.pk})))
        assert_accessible(page)

    def test_delete_confirmation(self, page, live_server, login, discussion, writer):
        login(page, writer)
        comment = discussion.comments.get(position=1)
        page.goto(url(live_server, reverse("forum:comment_delete", kwargs={"pk": comment.pk})))
        assert_accessible(page)

    def test_history_page(self, page, live_server, discussion):
        comment = discussion.comments.get(position=2)
        page.goto(url(live_server, reverse("forum:comment_history", kwargs={"pk": comment.pk})))
        assert page.locator("main section.nhsuk-card").count() == 2
        assert_accessible(page)

    def test_paragraph_discussion_page(self, page, live_server, login, content, reader):
        paragraph = Paragraph.objects.get(text__contains="relationships between the two sectors")
        login(page, reader)
        page.goto(url(live_server, reverse("forum:paragraph_discuss", kwargs={"key": paragraph.key})))
        assert page.locator("input[name=theme]").count() == 2
        assert_accessible(page)

    def test_paragraph_discussion_page_for_an_anonymous_reader(self, page, live_server, content):
        paragraph = Paragraph.objects.get(text__contains="withstand serious events")
        page.goto(url(live_server, reverse("forum:paragraph_discuss", kwargs={"key": paragraph.key})))
        assert_accessible(page)

    def test_article_page_with_discussion_figures(self, page, live_server, content, writer):
        paragraph = Paragraph.objects.get(text__contains="almost 6 million people")
        services.start_thread(theme=Theme.objects.get(slug="clearing-the-backlog"), author=writer, title="T",
                              body="B", paragraph=paragraph)
        page.goto(url(live_server, reverse("articles:detail", kwargs={"slug": "unified-health-service"})))
        assert page.locator(f"#{paragraph.anchor} .cg-paragraph-discussion").inner_text().startswith("1 comment")
        assert_accessible(page)


class TestJourneys:
    def test_a_member_starts_a_thread_then_another_replies_and_quotes(self, browser, page, live_server, login,
                                                                     theme, writer, reader):
        login(page, writer)
        page.goto(url(live_server, theme.get_absolute_url()))
        page.get_by_role("link", name="Start a discussion").click()
        page.get_by_label("Title of your discussion").fill("Shared waiting lists")
        page.get_by_label("Your opening comment").fill("Should lists be **pooled** across providers?")
        page.get_by_label("Question").check()
        page.get_by_role("button", name="Preview").click()
        assert page.locator("#preview strong").inner_text() == "pooled"
        page.get_by_role("button", name="Start discussion").click()
        assert page.locator("h1").inner_text() == "Shared waiting lists"
        assert page.locator("main .cg-prose strong").first.inner_text() == "pooled"

        other = browser.new_context(locale="en-GB").new_page()
        login(other, reader)
        other.goto(page.url)
        other.get_by_role("link", name="Reply to comment 1 by Wren Writer").click()
        assert "You are replying to" in other.locator("main").inner_text()
        other.get_by_label("Your comment").fill("In our area it worked.")
        other.get_by_role("button", name="Post comment").click()
        reply = Comment.objects.get(position=2)
        assert other.url.endswith(f"#comment-{reply.pk}")
        assert "In reply to Wren Writer" in other.locator(f"#comment-{reply.pk}").inner_text()

        other.get_by_role("link", name="Quote comment 1 by Wren Writer").click()
        body = other.get_by_label("Your comment").input_value()
        assert body.startswith('> @"Wren Writer" wrote:')
        other.get_by_label("Your comment").fill(body + "Pooling needs shared data.")
        other.get_by_role("button", name="Post comment").click()
        quoting = Comment.objects.get(position=3)
        assert quoting.quoted_comment.position == 1
        article = other.locator(f"#comment-{quoting.pk}")
        assert article.locator("blockquote").count() == 1
        assert article.get_by_role("link", name="@Wren Writer").count() == 1
        other.context.close()

    def test_a_member_discusses_a_paragraph_from_the_article_page(self, page, live_server, login, content, reader):
        paragraph = Paragraph.objects.get(text__contains="relationships between the two sectors")
        login(page, reader)
        page.goto(url(live_server, reverse("articles:detail", kwargs={"slug": "unified-health-service"})))
        page.locator(f"#{paragraph.anchor}").get_by_role("link", name="Discuss this paragraph").click()
        page.get_by_label("Partnership between the NHS and the independent sector").check()
        page.get_by_label("Title of your discussion").fill("What built the trust?")
        page.get_by_label("Your opening comment").fill("Contracts alone did not.")
        page.get_by_role("button", name="Start discussion").click()
        thread = Thread.objects.get()
        assert (thread.anchor_paragraph, thread.theme.slug) == (paragraph, "nhs-independent-sector-partnership")
        assert "relationships between the two sectors" in page.locator("#anchor-heading + figure").inner_text()
        page.goto(url(live_server, reverse("articles:detail", kwargs={"slug": "unified-health-service"})))
        figures = page.locator(f"#{paragraph.anchor} .cg-paragraph-discussion").inner_text()
        assert figures.startswith("1 comment in 1 discussion") and "Independent sector provider" in figures


def test_a_member_quotes_only_the_words_they_selected(page, live_server, login, discussion, reader):
    login(page, reader)
    page.goto(url(live_server, discussion.get_absolute_url()))
    opening = page.locator("main article").first.locator(".cg-prose p").first
    opening.evaluate(
        """(paragraph) => {
            const text = paragraph.lastChild;  // "theatres take a fixed share of the list?"
            const range = document.createRange();
            range.setStart(text, 1);
            range.setEnd(text, 16);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }"""
    )
    selected = page.evaluate("() => window.getSelection().toString()")
    assert selected == "theatres take a"

    page.get_by_role("link", name="Quote comment 1 by Wren Writer").click()

    body = page.get_by_label("Your comment").input_value()
    assert body.startswith('> @"Wren Writer" wrote:\n>\n> theatres take a\n')
    assert "fixed share" not in body


def test_a_member_posts_and_previews_a_comment_without_javascript(page_no_js, live_server, login, discussion,
                                                                   reader):
    login(page_no_js, reader)
    page_no_js.goto(url(live_server, discussion.get_absolute_url()))
    page_no_js.get_by_label("Your comment").fill("Without scripts, *still* works.")
    page_no_js.get_by_role("button", name="Preview").click()
    assert page_no_js.locator("#preview em").inner_text() == "still"
    assert page_no_js.get_by_role("textbox", name="Your comment").input_value() == "Without scripts, *still* works."
    page_no_js.get_by_role("button", name="Post comment").click()
    posted = Comment.objects.get(body="Without scripts, *still* works.")
    assert page_no_js.url.endswith(f"#comment-{posted.pk}")
    assert page_no_js.locator(f"#comment-{posted.pk} em").inner_text() == "still"


def test_an_empty_comment_without_javascript_is_explained(page_no_js, live_server, login, discussion, reader):
    login(page_no_js, reader)
    page_no_js.goto(url(live_server, discussion.get_absolute_url()))
    page_no_js.get_by_role("button", name="Post comment").click()
    assert "Enter your comment." in page_no_js.locator(".nhsuk-error-summary").inner_text()
    page_no_js.locator(".nhsuk-error-summary a").click()
    assert page_no_js.url.endswith("#id_body")
