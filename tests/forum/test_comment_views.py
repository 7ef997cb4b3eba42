"""Editing, deleting and the revision history of a comment."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from forum.models import Comment, CommentRevision, Thread
from forum.posting import services
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def url(name, comment):
    return reverse(f"forum:{name}", kwargs={"pk": comment.pk})


@pytest.fixture
def opening(thread):
    return thread.comments.get()


class TestEdit:
    def test_the_author_sees_the_form_filled_with_their_text(self, member_client, opening):
        soup = page(member_client.get(url("comment_edit", opening)))
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "Opening comment."

    def test_saving_keeps_the_earlier_version_and_marks_the_comment_edited(self, member_client, opening, thread):
        response = member_client.post(url("comment_edit", opening), {"action": "post", "body": "Better words",
                                                                      "stance": "concern"})
        assert response.status_code == 302
        assert response["Location"] == f"{thread.get_absolute_url()}#{opening.anchor}"
        opening.refresh_from_db()
        assert opening.body == "Better words" and opening.stance == "concern" and opening.is_edited
        assert opening.revisions.count() == 2

    def test_preview_does_not_save(self, member_client, opening):
        soup = page(member_client.post(url("comment_edit", opening), {"action": "preview", "body": "**New**"}))
        assert soup.select_one("#preview strong").get_text() == "New"
        opening.refresh_from_db()
        assert opening.body == "Opening comment."

    def test_an_empty_edit_is_refused_and_explained(self, member_client, opening):
        soup = page(member_client.post(url("comment_edit", opening), {"action": "post", "body": "  "}))
        assert "Enter your comment." in soup.select_one(".nhsuk-error-summary").get_text()

    def test_another_member_is_refused_with_a_reason(self, client, other_member, opening):
        client.force_login(other_member)
        response = client.get(url("comment_edit", opening))
        assert response.status_code == 403
        assert "You can only edit your own comments." in response.content.decode()
        response = client.post(url("comment_edit", opening), {"action": "post", "body": "Hijack"})
        assert response.status_code == 403

    def test_a_moderator_who_is_not_the_author_cannot_edit(self, client, moderator, opening):
        client.force_login(moderator)
        assert client.get(url("comment_edit", opening)).status_code == 403

    def test_anonymous_readers_are_sent_to_sign_in(self, client, opening):
        response = client.get(url("comment_edit", opening))
        assert response.status_code == 302 and reverse("account_login") in response["Location"]

    def test_a_thread_locked_while_editing_keeps_the_new_text(self, member_client, opening, thread):
        member_client.get(url("comment_edit", opening))
        Thread.objects.filter(pk=thread.pk).update(is_locked=True)
        soup = page(member_client.post(url("comment_edit", opening), {"action": "post", "body": "Unsaved change"}))
        assert "locked" in soup.select_one("#id_body-error").get_text()
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "Unsaved change"
        opening.refresh_from_db()
        assert opening.body == "Opening comment."

    def test_opening_the_form_in_a_locked_thread_is_refused(self, member_client, opening, thread):
        Thread.objects.filter(pk=thread.pk).update(is_locked=True)
        response = member_client.get(url("comment_edit", opening))
        assert response.status_code == 403 and "locked" in response.content.decode()

    def test_a_hidden_comment_is_not_found_for_its_author(self, member_client, opening):
        Comment.objects.filter(pk=opening.pk).update(is_hidden=True)
        assert member_client.get(url("comment_edit", opening)).status_code == 404

    def test_it_refuses_other_methods(self, member_client, opening):
        assert member_client.delete(url("comment_edit", opening)).status_code == 405


class TestDelete:
    def test_the_author_is_asked_to_confirm(self, member_client, opening):
        soup = page(member_client.get(url("comment_delete", opening)))
        assert soup.find("button", string="Delete comment")
        opening.refresh_from_db()
        assert not opening.is_deleted

    def test_deleting_leaves_a_placeholder_that_replies_still_point_to(self, member_client, client, opening,
                                                                      thread, other_member):
        answer = reply(thread, other_member, body="I was answering that", parent=opening)
        response = member_client.post(url("comment_delete", opening))
        assert response.status_code == 302
        soup = page(client.get(thread.get_absolute_url()))
        assert "This comment was deleted by its author." in soup.find(id=opening.anchor).get_text()
        assert "Opening comment." not in soup.get_text()
        assert "In reply to a comment deleted by its author." in soup.find(id=answer.anchor).get_text()

    def test_another_member_cannot_delete(self, client, other_member, opening):
        client.force_login(other_member)
        response = client.post(url("comment_delete", opening))
        assert response.status_code == 403 and "only delete your own" in response.content.decode()
        opening.refresh_from_db()
        assert not opening.is_deleted

    def test_a_deleted_comment_cannot_be_deleted_twice(self, member_client, member, opening):
        services.delete_comment(comment=opening, deleted_by=member)
        assert member_client.post(url("comment_delete", opening)).status_code == 403

    def test_anonymous_readers_are_sent_to_sign_in(self, client, opening):
        assert client.post(url("comment_delete", opening)).status_code == 302
        opening.refresh_from_db()
        assert not opening.is_deleted


class TestHistory:
    def test_everyone_can_read_every_version(self, client, member, opening):
        services.edit_comment(comment=opening, editor=member, body="Second *version*")
        soup = page(client.get(url("comment_history", opening)))
        cards = soup.select("main section.nhsuk-card")
        assert [c.find("h2").get_text(" ", strip=True).split(",")[0] for c in cards] == [
            "Current version",
            "Original version",
        ]
        assert cards[0].find("em").get_text() == "version"
        assert "Opening comment." in cards[1].get_text()

    def test_a_deleted_comment_has_no_history(self, client, member, opening):
        services.delete_comment(comment=opening, deleted_by=member)
        assert client.get(url("comment_history", opening)).status_code == 404
        assert not CommentRevision.objects.filter(comment=opening).exists()

    def test_a_hidden_comment_has_no_public_history(self, client, opening):
        Comment.objects.filter(pk=opening.pk).update(is_hidden=True)
        assert client.get(url("comment_history", opening)).status_code == 404

    def test_it_answers_only_get(self, client, opening):
        assert client.post(url("comment_history", opening)).status_code == 405


def test_a_permalink_to_an_unknown_comment_is_not_found(client, db):
    assert client.get(reverse("forum:comment", kwargs={"pk": 999})).status_code == 404
