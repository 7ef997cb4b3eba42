"""A thread's pages, replying, quoting, permalinks and unread tracking."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.test import override_settings
from django.urls import reverse

from forum.models import Comment, Thread, ThreadReadState
from forum.posting import quoting, services
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def reply_url(thread):
    return reverse("forum:reply", kwargs={"pk": thread.pk})


def post_reply(client, thread, body="My reply", **extra):
    return client.post(reply_url(thread), {"action": "post", "body": body, "stance": "", **extra})


class TestThreadPage:
    def test_it_shows_each_comment_with_author_time_and_permalink(self, client, thread, member):
        comment = thread.comments.get()
        soup = page(client.get(thread.get_absolute_url()))
        article = soup.find(id=comment.anchor)
        assert "Opening comment." in article.get_text()
        assert member.display_name in article.get_text()
        # To the second: HTML allows at most three digits of a fraction of a second.
        assert article.find("time")["datetime"] == comment.created_at.replace(microsecond=0).isoformat()
        assert article.find("a", href=comment.get_absolute_url())

    def test_a_wrong_slug_redirects_to_the_right_address(self, client, thread):
        url = reverse("forum:thread", kwargs={"pk": thread.pk, "slug": "old-title"}) + "?page=1"
        response = client.get(url)
        assert response.status_code == 301
        assert response["Location"] == thread.get_absolute_url() + "?page=1"

    def test_pages_that_do_not_exist_are_not_found(self, client, thread):
        for query in ("?page=2", "?page=0", "?page=abc"):
            assert client.get(thread.get_absolute_url() + query).status_code == 404

    @override_settings(COMMENTS_PER_PAGE=3)
    def test_pages_are_ranges_of_positions(self, client, thread, other_member):
        for n in range(6):
            reply(thread, other_member, body=f"Reply {n}")
        thread.refresh_from_db()
        response = client.get(thread.get_page_url(2))
        assert [c.position for c in response.context["comments"]] == [4, 5, 6]
        assert response.context["num_pages"] == 3
        soup = page(response)
        current = soup.select_one(".nhsuk-pagination__item--current a")
        assert current.get_text(strip=True) == "2" and current["aria-current"] == "page"
        assert soup.find("title").get_text().startswith(f"{thread.title} (page 2 of 3)")

    @override_settings(COMMENTS_PER_PAGE=3)
    def test_a_permalink_goes_to_the_page_holding_the_comment(self, client, thread, other_member):
        comments = [reply(thread, other_member) for _ in range(5)]
        response = client.get(comments[3].get_absolute_url())  # position 5 → page 2
        assert response.status_code == 302
        assert response["Location"] == f"{thread.get_absolute_url()}?page=2#comment-{comments[3].pk}"
        first = client.get(thread.comments.get(position=1).get_absolute_url())
        assert first["Location"] == f"{thread.get_absolute_url()}#comment-{thread.comments.get(position=1).pk}"

    def test_hidden_comments_are_not_found_by_their_permalink(self, client, member_client, thread, other_member,
                                                              moderator):
        hidden = reply(thread, other_member)
        Comment.objects.filter(pk=hidden.pk).update(is_hidden=True)
        assert client.get(hidden.get_absolute_url()).status_code == 404
        assert member_client.get(hidden.get_absolute_url()).status_code == 404
        client.force_login(moderator)
        assert client.get(hidden.get_absolute_url()).status_code == 302

    def test_moderators_see_hidden_comments_marked_as_hidden(self, client, thread, other_member, moderator):
        hidden = reply(thread, other_member, body="Rude words")
        Comment.objects.filter(pk=hidden.pk).update(is_hidden=True)
        assert "Rude words" not in client.get(thread.get_absolute_url()).content.decode()
        client.force_login(moderator)
        article = page(client.get(thread.get_absolute_url())).find(id=hidden.anchor)
        assert "Hidden by a moderator" in article.get_text()

    def test_authors_see_their_pending_comment_marked_as_waiting(self, client, thread, other_member, member_client):
        pending = reply(thread, other_member, body="Awaiting review", needs_approval=True)
        assert "Awaiting review" not in member_client.get(thread.get_absolute_url()).content.decode()
        client.force_login(other_member)
        article = page(client.get(thread.get_absolute_url())).find(id=pending.anchor)
        assert "Waiting for a moderator" in article.get_text()

    def test_a_thread_waiting_for_approval_is_not_found_by_others(self, client, theme, other_member, member_client):
        pending = services.start_thread(theme=theme, author=other_member, title="T", body="B", needs_approval=True)
        assert member_client.get(pending.get_absolute_url()).status_code == 404
        assert client.get(pending.get_absolute_url()).status_code == 404

    def test_the_edited_marker_links_to_the_history(self, client, thread, member):
        comment = thread.comments.get()
        services.edit_comment(comment=comment, editor=member, body="Changed")
        article = page(client.get(thread.get_absolute_url())).find(id=comment.anchor)
        assert article.find("a", href=reverse("forum:comment_history", kwargs={"pk": comment.pk}))

    def test_the_stance_is_shown_as_a_tag(self, client, thread, other_member):
        comment = reply(thread, other_member, stance="evidence")
        article = page(client.get(thread.get_absolute_url())).find(id=comment.anchor)
        assert article.select_one(".nhsuk-tag--purple").get_text(strip=True) == "Evidence"

    def test_anonymous_readers_are_told_how_to_join_in(self, client, thread):
        soup = page(client.get(thread.get_absolute_url()))
        assert not soup.find("textarea")
        assert "sign in" in soup.select_one("#reply-form").find_next("div").get_text().lower()

    def test_a_locked_thread_says_why_instead_of_offering_the_form(self, member_client, thread):
        Thread.objects.filter(pk=thread.pk).update(is_locked=True, lock_reason="Answered in full.")
        soup = page(member_client.get(thread.get_absolute_url()))
        assert not soup.find("textarea")
        assert "Answered in full." in soup.get_text()


class TestReplying:
    def test_a_member_replies_and_lands_on_their_comment(self, client, thread, other_member):
        client.force_login(other_member)
        response = post_reply(client, thread, "Our *trust* agrees", stance="support")
        comment = thread.comments.get(position=2)
        assert response.status_code == 302
        assert response["Location"] == f"{thread.get_absolute_url()}#comment-{comment.pk}"
        assert comment.body_html == "<p>Our <em>trust</em> agrees</p>\n" and comment.stance == "support"

    def test_reply_to_prefills_and_shows_what_is_being_answered(self, client, thread, other_member):
        opening = thread.comments.get()
        client.force_login(other_member)
        soup = page(client.get(f"{thread.get_absolute_url()}?reply_to={opening.pk}"))
        assert soup.find("input", attrs={"name": "parent"})["value"] == str(opening.pk)
        assert "You are replying to" in soup.select_one("#reply-form").find_next("div").get_text()

    def test_a_reply_shows_in_reply_to_with_a_link_and_a_short_quote(self, client, thread, other_member):
        opening = thread.comments.get()
        client.force_login(other_member)
        post_reply(client, thread, "Answering you", parent=opening.pk)
        answer = thread.comments.get(position=2)
        assert answer.parent == opening
        article = page(client.get(thread.get_absolute_url())).find(id=answer.anchor)
        assert "In reply to" in article.get_text() and "“Opening comment.”" in article.get_text()
        assert article.find("a", href=opening.get_absolute_url())

    def test_quote_prefills_a_blockquote_and_records_the_quoted_comment(self, client, thread, other_member):
        opening = thread.comments.get()
        client.force_login(other_member)
        soup = page(client.get(f"{thread.get_absolute_url()}?quote={opening.pk}"))
        body = soup.find("textarea", attrs={"name": "body"}).get_text().lstrip("\n")
        assert body.startswith(f'> @"{opening.author_name}" wrote:') and "> Opening comment." in body
        assert soup.find("input", attrs={"name": "quoted_comment"})["value"] == str(opening.pk)
        post_reply(client, thread, body + "I disagree.", quoted_comment=opening.pk, parent=opening.pk)
        quoting = thread.comments.get(position=2)
        assert quoting.quoted_comment == opening and quoting.quoted_text == "Opening comment."
        assert "<blockquote>" in quoting.body_html

    def test_replying_to_a_deleted_comment_is_explained_and_the_text_kept(self, client, thread, member,
                                                                         other_member):
        opening = thread.comments.get()
        services.delete_comment(comment=opening, deleted_by=member)
        client.force_login(other_member)
        response = post_reply(client, thread, "Too late?", parent=opening.pk)
        soup = page(response)
        assert "its author has deleted it" in soup.select_one(".nhsuk-error-summary").get_text()
        assert "its author has deleted it" in soup.select_one("#id_body-error").get_text()
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "Too late?"
        assert thread.comments.count() == 1

    def test_a_thread_locked_while_writing_keeps_the_text(self, client, thread, other_member):
        client.force_login(other_member)
        client.get(thread.get_absolute_url())
        Thread.objects.filter(pk=thread.pk).update(is_locked=True)
        soup = page(post_reply(client, thread, "Words I do not want to lose"))
        assert "has been locked" in soup.select_one("#id_body-error").get_text()
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "Words I do not want to lose"
        assert thread.comments.count() == 1

    @pytest.mark.parametrize("body", ["", "   ", "x" * 20_001])
    def test_empty_or_overlong_replies_are_refused(self, member_client, thread, body):
        soup = page(post_reply(member_client, thread, body))
        assert soup.select_one(".nhsuk-error-summary a")["href"] == "#id_body"
        assert thread.comments.count() == 1

    def test_preview_renders_without_posting(self, member_client, thread):
        soup = page(member_client.post(reply_url(thread), {"action": "preview", "body": "A ~~draft~~"}))
        assert soup.select_one("#preview s, #preview del").get_text() == "draft"
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "A ~~draft~~"
        assert thread.comments.count() == 1

    def test_an_anonymous_reply_is_sent_to_sign_in(self, client, thread):
        response = post_reply(client, thread)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]

    def test_an_unverified_member_cannot_reply(self, client, thread, unverified_member):
        client.force_login(unverified_member)
        soup = page(post_reply(client, thread))
        assert "Confirm your email address" in soup.select_one("#id_body-error").get_text()
        assert thread.comments.count() == 1

    def test_reply_accepts_only_post(self, member_client, thread):
        assert member_client.get(reply_url(thread)).status_code == 405

    def test_mentions_in_a_reply_link_and_are_stored(self, member_client, thread, other_member):
        post_reply(member_client, thread, "What does @Priya_Shah think?")
        comment = thread.comments.get(position=2)
        assert other_member.get_absolute_url() in comment.body_html
        assert list(comment.mentions.values_list("member", flat=True)) == [other_member.pk]


class TestUnread:
    def test_viewing_a_page_records_how_far_the_member_has_read(self, member_client, member, thread, other_member):
        reply(thread, other_member)
        member_client.get(thread.get_absolute_url())
        assert ThreadReadState.objects.get(user=member, thread=thread).last_read_position == 2

    def test_the_first_unread_comment_is_marked_and_linked(self, member_client, member, thread, other_member):
        member_client.get(thread.get_absolute_url())
        new = reply(thread, other_member, body="Something new")
        soup = page(member_client.get(thread.get_absolute_url()))
        assert soup.find(id="first-unread").find_parent("article")["id"] == new.anchor
        assert soup.find("a", href="#first-unread")

    @override_settings(COMMENTS_PER_PAGE=2)
    def test_the_jump_link_goes_to_the_page_of_the_first_unread(self, member_client, thread, other_member):
        reply(thread, other_member)
        member_client.get(thread.get_absolute_url())  # reads positions 1 and 2
        for _ in range(3):
            reply(thread, other_member)  # positions 3, 4 and 5
        soup = page(member_client.get(thread.get_absolute_url()))
        link = soup.find("a", string="Go to the first comment you have not read")
        assert link["href"] == thread.get_page_url(2) + "#first-unread"
        soup = page(member_client.get(thread.get_page_url(2)))
        assert soup.find(id="first-unread").find_parent("article")["id"] == thread.comments.get(position=3).anchor




class TestQuotingPartOfAComment:
    BODY = "First point about **waiting lists**.\n\nSecond point about transport & parking."

    def reply_box(self, client, thread, **params):
        return page(client.get(thread.get_absolute_url(), params)).select_one("textarea[name=body]").get_text()

    def test_the_selected_words_are_quoted_when_they_are_the_comments(self, client, thread, member, other_member):
        quoted = reply(thread, other_member, self.BODY)
        client.force_login(member)

        box = self.reply_box(client, thread, quote=quoted.pk, part="about waiting lists.\n\nSecond point")

        assert box.strip().startswith(f'> @"{other_member.display_name}" wrote:')
        assert "> about waiting lists. Second point" in box
        assert "transport" not in box

    def test_words_not_in_the_comment_quote_the_whole_comment(self, client, thread, member, other_member):
        quoted = reply(thread, other_member, self.BODY)
        client.force_login(member)

        box = self.reply_box(client, thread, quote=quoted.pk, part="words nobody wrote")

        assert "words nobody wrote" not in box
        assert "**waiting lists**" in box and "transport & parking" in box

    def test_an_entity_in_the_comment_matches_its_character(self, thread, other_member):
        quoted = reply(thread, other_member, self.BODY)
        assert quoting.quoted_part(quoted, "transport & parking") == "transport & parking"
        assert quoting.quoted_part(quoted, "x") is None
