"""Discussing a paragraph of a source text, from the article page to the thread."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from articles.models import Paragraph
from forum.models import ThemePassage, Thread
from forum.posting import services
from tests.forum.conftest import make_theme

pytestmark = pytest.mark.django_db


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def discuss_url(paragraph):
    return reverse("forum:paragraph_discuss", kwargs={"key": paragraph.key})


def radio_labels(soup):
    return [label.get_text(strip=True) for label in soup.select("input[name=theme] + label")]


class TestDiscussPage:
    def test_it_quotes_the_paragraph_and_links_back_to_it(self, client, theme, source):
        paragraph = source.paragraphs[0]
        soup = page(client.get(discuss_url(paragraph)))
        assert paragraph.text in soup.select_one("main blockquote").get_text()
        assert soup.select_one("main figcaption a")["href"] == paragraph.get_absolute_url()

    def test_it_lists_existing_discussions_to_join(self, client, theme, source, member):
        paragraph = source.paragraphs[0]
        thread = services.start_thread(theme=theme, author=member, title="Joined talk", body="B", paragraph=paragraph)
        soup = page(client.get(discuss_url(paragraph)))
        assert soup.find("a", href=thread.get_absolute_url(), string="Joined talk")

    def test_only_themes_drawing_on_the_paragraph_are_offered(self, member_client, theme, source):
        make_theme("elsewhere", title="Elsewhere", position=5, paragraphs=[source.paragraphs[2]])
        also = make_theme("also", title="Also drawing", position=3)
        ThemePassage.objects.create(theme=also, section=source.sections[0])
        soup = page(member_client.get(discuss_url(source.paragraphs[0])))
        assert radio_labels(soup) == [theme.title, "Also drawing"]

    def test_a_single_theme_is_chosen_already(self, member_client, theme, source):
        soup = page(member_client.get(discuss_url(source.paragraphs[0])))
        assert soup.select_one("input[name=theme]").has_attr("checked")

    def test_every_open_theme_is_offered_when_none_draws_on_it(self, member_client, theme, closed_theme, source):
        make_theme("second-open", title="Second open", position=4)
        soup = page(member_client.get(discuss_url(source.paragraphs[2])))
        assert radio_labels(soup) == [theme.title, "Second open"]
        assert "No open theme quotes this paragraph yet" in soup.get_text()

    def test_anonymous_readers_see_the_discussions_but_no_form(self, client, theme, source):
        soup = page(client.get(discuss_url(source.paragraphs[0])))
        assert not soup.find("textarea")
        assert "sign in" in soup.get_text().lower()

    def test_an_unknown_paragraph_is_not_found(self, client, db):
        assert client.get(reverse("forum:paragraph_discuss", kwargs={"key": "nope"})).status_code == 404


class TestStartingAParagraphDiscussion:
    def post(self, client, paragraph, **data):
        return client.post(discuss_url(paragraph), {"action": "post", "stance": "", **data})

    def test_a_member_starts_a_discussion_anchored_to_the_paragraph(self, member_client, theme, source):
        paragraph = source.paragraphs[1]
        response = self.post(member_client, paragraph, theme=theme.pk, title="About freedom", body="Keep it.")
        thread = Thread.objects.get()
        assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
        assert (thread.theme, thread.anchor_paragraph, thread.anchor_key) == (theme, paragraph, paragraph.key)

    def test_the_thread_shows_the_paragraph_it_discusses(self, client, member, theme, source):
        paragraph = source.paragraphs[1]
        thread = services.start_thread(theme=theme, author=member, title="T", body="B", paragraph=paragraph)
        soup = page(client.get(thread.get_absolute_url()))
        section = soup.find(id="anchor-heading").parent
        assert section.find("strong").get_text() == "more freedom"
        assert section.find("a", href=paragraph.get_absolute_url())
        assert "This passage has changed" not in section.get_text()

    def test_a_changed_paragraph_shows_the_original_words_marked_as_changed(self, client, member, theme, source):
        paragraph = source.paragraphs[1]
        thread = services.start_thread(theme=theme, author=member, title="T", body="B", paragraph=paragraph)
        paragraph.text = "Local teams were given a little more freedom."
        paragraph.save()
        section = page(client.get(thread.get_absolute_url())).find(id="anchor-heading").parent
        assert "This passage has changed" in section.get_text()
        assert "Local teams were given **more freedom** to decide quickly." in section.get_text()

    def test_a_deleted_paragraph_still_shows_the_original_words(self, client, member, theme, source):
        paragraph = source.paragraphs[1]
        thread = services.start_thread(theme=theme, author=member, title="T", body="B", paragraph=paragraph)
        Paragraph.objects.filter(pk=paragraph.pk).delete()
        section = page(client.get(thread.get_absolute_url())).find(id="anchor-heading").parent
        assert "This passage has changed" in section.get_text()
        assert section.find("a", href=paragraph.get_absolute_url())

    def test_a_theme_not_offered_cannot_be_chosen(self, member_client, theme, source):
        elsewhere = make_theme("elsewhere", position=5, paragraphs=[source.paragraphs[2]])
        soup = page(self.post(member_client, source.paragraphs[0], theme=elsewhere.pk, title="T", body="Kept text"))
        assert "Select a valid choice" in soup.select_one(".nhsuk-error-summary").get_text()
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "Kept text"
        assert not Thread.objects.exists()

    def test_missing_theme_and_title_are_explained(self, member_client, theme, source):
        make_theme("another", position=2, paragraphs=[source.paragraphs[0]])
        soup = page(self.post(member_client, source.paragraphs[0], title="", body="Some text"))
        summary = soup.select_one(".nhsuk-error-summary").get_text()
        assert "Choose the theme your discussion belongs to." in summary
        assert "Enter a title for your discussion." in summary

    def test_preview_keeps_everything(self, member_client, theme, source):
        response = member_client.post(
            discuss_url(source.paragraphs[0]),
            {"action": "preview", "theme": theme.pk, "title": "Draft", "body": "*Draft* text"},
        )
        soup = page(response)
        assert soup.select_one("#preview em").get_text() == "Draft"
        assert soup.select_one("input[name=theme]").has_attr("checked")
        assert not Thread.objects.exists()

    def test_an_anonymous_post_is_sent_to_sign_in(self, client, theme, source):
        response = self.post(client, source.paragraphs[0], theme=theme.pk, title="T", body="B")
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


class TestArticlePage:
    def test_every_paragraph_offers_a_discussion_link(self, client, source):
        soup = page(client.get(source.article.get_absolute_url()))
        for paragraph in source.paragraphs:
            block = soup.find(id=paragraph.anchor)
            assert block.find("a", href=discuss_url(paragraph))

    def test_discussed_paragraphs_show_counts_and_groups(self, client, theme, source, member, other_member):
        paragraph = source.paragraphs[0]
        thread = services.start_thread(theme=theme, author=member, title="T", body="B", paragraph=paragraph)
        services.create_comment(thread=thread, author=other_member, body="Reply")
        soup = page(client.get(source.article.get_absolute_url()))
        figures = soup.find(id=paragraph.anchor).select_one(".cg-paragraph-discussion")
        assert "2 comments in 1 discussion" in figures.get_text()
        tags = [t.get_text() for t in figures.select(".nhsuk-tag")]
        assert tags == ["NHS trust or NHS staff", "Social care provider"]
        assert not soup.find(id=source.paragraphs[1].anchor).select_one(".cg-paragraph-discussion")
