"""Theme list, theme page and starting a discussion."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from forum import reading
from forum.models import Comment, Thread
from forum.posting import services
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def start_url(theme):
    return reverse("forum:start_thread", kwargs={"slug": theme.slug})


class TestThemeList:
    @pytest.mark.parametrize("name", ["forum:theme_list", "home"])
    def test_it_lists_each_theme_in_a_table_with_its_activity_and_common_ground(
        self, client, name, theme, thread, other_member
    ):
        reply(thread, other_member)
        Comment.objects.filter(thread=thread, position=1).update(is_common_ground=True)
        response = client.get(reverse(name))
        assert response.status_code == 200
        row = page(response).find("a", string=theme.title).find_parent("tr")
        cells = [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        assert cells[1:4] == ["Discussions 1", "Comments 2", "Common ground 1"]

    def test_the_header_links_to_the_themes(self, client, theme):
        response = client.get(reverse("home"))
        link = page(response).find("a", string="Themes")
        assert link["href"] == reverse("forum:theme_list")

    def test_it_answers_only_get(self, client):
        assert client.post(reverse("forum:theme_list")).status_code == 405


class TestThemePage:
    def test_it_quotes_the_passages_with_links_to_the_paragraphs(self, client, theme, source):
        response = client.get(theme.get_absolute_url())
        soup = page(response)
        quotes = soup.select("main blockquote")
        assert len(quotes) == 2
        assert "Waiting lists grew" in quotes[0].get_text()
        assert quotes[1].find("strong").get_text() == "more freedom"
        hrefs = {a["href"] for a in soup.select("main figcaption a")}
        assert source.paragraphs[0].get_absolute_url() in hrefs
        assert reverse("forum:paragraph_discuss", kwargs={"key": source.paragraphs[0].key}) in hrefs

    def test_threads_are_listed_pinned_first_then_most_recent(self, client, theme, member):
        older = services.start_thread(theme=theme, author=member, title="Older", body="B")
        newer = services.start_thread(theme=theme, author=member, title="Newer", body="B")
        pinned = services.start_thread(theme=theme, author=member, title="Pinned one", body="B")
        Thread.objects.filter(pk=pinned.pk).update(is_pinned=True, last_activity_at=older.last_activity_at)
        response = client.get(theme.get_absolute_url())
        assert [t.pk for t in response.context["threads"]] == [pinned.pk, newer.pk, older.pk]

    def test_a_signed_in_reader_sees_unread_counts(self, member_client, theme, thread, member, other_member):
        reading.mark_thread_read(user=member, thread=thread, position=1)
        reply(thread, other_member)
        reply(thread, other_member)
        response = member_client.get(theme.get_absolute_url())
        links = [a for a in page(response).select("main a") if "2 unread" in a.get_text()]
        assert [a["href"] for a in links] == [thread.get_absolute_url() + "#first-unread"]

    def test_a_member_is_offered_the_start_button(self, member_client, theme):
        soup = page(member_client.get(theme.get_absolute_url()))
        assert soup.find("a", href=start_url(theme))

    def test_an_anonymous_reader_is_told_how_to_take_part(self, client, theme):
        soup = page(client.get(theme.get_absolute_url()))
        assert not soup.find("a", href=start_url(theme))
        assert soup.find("a", string="sign in") or "Sign in" in soup.get_text()

    def test_a_closed_theme_says_so_and_offers_no_button(self, member_client, closed_theme):
        soup = page(member_client.get(closed_theme.get_absolute_url()))
        assert "not taking new comments" in soup.get_text()
        assert not soup.find("a", href=start_url(closed_theme))

    def test_an_unknown_theme_is_not_found(self, client, db):
        assert client.get(reverse("forum:theme", kwargs={"slug": "nope"})).status_code == 404

    def test_a_page_past_the_end_is_not_found(self, client, theme, thread):
        assert client.get(theme.get_absolute_url() + "?page=2").status_code == 404
        assert client.get(theme.get_absolute_url() + "?page=x").status_code == 404


class TestStartThread:
    def post(self, client, theme, **data):
        return client.post(start_url(theme), {"action": "post", "stance": "", **data})

    def test_a_member_starts_a_thread_and_lands_on_it(self, member_client, theme, member):
        response = self.post(member_client, theme, title="Sharing theatre lists", body="Could we *share* lists?",
                             stance="question")
        thread = Thread.objects.get()
        assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
        comment = thread.comments.get()
        assert (thread.author, comment.author, comment.stance) == (member, member, "question")
        assert comment.body_html == "<p>Could we <em>share</em> lists?</p>\n"

    def test_preview_shows_the_rendered_text_and_keeps_what_was_typed(self, member_client, theme):
        response = member_client.post(
            start_url(theme), {"action": "preview", "title": "My title", "body": "Some **bold** words"}
        )
        soup = page(response)
        assert response.status_code == 200
        assert soup.select_one("#preview strong").get_text() == "bold"
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "Some **bold** words"
        assert soup.find("input", attrs={"name": "title"})["value"] == "My title"
        assert not Thread.objects.exists()

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"title": "A title", "body": ""}, "body", "Enter your comment."),
            ({"title": "A title", "body": "   \n\t "}, "body", "Enter your comment."),
            ({"title": "A title", "body": "x" * 20_001}, "body", "Your comment must be 20,000 characters or fewer"),
            ({"title": "t" * 151, "body": "Fine"}, "title", "The title must be 150 characters or fewer (it has 151)."),
            ({"title": "", "body": "Fine"}, "title", "Enter a title for your discussion."),
        ],
    )
    def test_bad_input_is_explained_and_the_text_kept(self, member_client, theme, data, field, message):
        response = self.post(member_client, theme, **data)
        soup = page(response)
        assert response.status_code == 200
        assert message in soup.select_one(".nhsuk-error-summary").get_text()
        assert message in soup.select_one(f"#id_{field}-error").get_text()
        assert soup.title.get_text().startswith("Error: ")
        if data["title"]:
            assert soup.find("input", attrs={"name": "title"})["value"] == data["title"]
        if data["body"].strip():
            assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == data["body"]
        assert not Thread.objects.exists()

    def test_a_theme_closed_while_writing_keeps_the_text(self, member_client, theme):
        theme.status = "closed"
        theme.save()
        response = self.post(member_client, theme, title="Late thought", body="My late thought")
        soup = page(response)
        assert "not taking new comments" in soup.select_one("#id_body-error").get_text()
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "My late thought"
        assert not Thread.objects.exists()

    def test_an_unverified_member_cannot_post(self, client, unverified_member, theme):
        client.force_login(unverified_member)
        response = self.post(client, theme, title="T", body="B")
        assert "Confirm your email address" in page(response).select_one("#id_body-error").get_text()
        assert not Thread.objects.exists()

    def test_an_anonymous_post_is_sent_to_sign_in(self, client, theme):
        response = self.post(client, theme, title="T", body="B")
        assert response.status_code == 302 and reverse("account_login") in response["Location"]
        assert not Thread.objects.exists()

    def test_the_form_page_explains_participation_to_anonymous_readers(self, client, theme):
        soup = page(client.get(start_url(theme)))
        assert not soup.find("textarea")
        assert "sign in" in soup.get_text().lower()

    def test_it_refuses_other_methods(self, member_client, theme):
        assert member_client.put(start_url(theme)).status_code == 405

    def test_the_form_documents_markdown_and_mentions(self, member_client, theme):
        text = page(member_client.get(start_url(theme))).get_text()
        assert '@"Their Name"' in text and "@Their_Name" in text


def test_several_themes_are_listed_in_order(client, source):
    make_theme("second", position=2)
    make_theme("first", position=1)
    response = client.get(reverse("forum:theme_list"))
    assert [t.slug for t in response.context["themes"]] == ["first", "second"]


def test_the_home_page_starts_a_visitor_at_sign_up_and_a_member_at_the_themes(client, member, theme):
    start = page(client.get(reverse("home"))).find("a", class_="nhsuk-button")
    assert start["href"] == reverse("account_signup") and "take part" in start.get_text()
    client.force_login(member)
    start = page(client.get(reverse("home"))).find("a", class_="nhsuk-button")
    assert start["href"] == reverse("forum:theme_list") and start.get_text(strip=True) == "Start here: choose a theme"
