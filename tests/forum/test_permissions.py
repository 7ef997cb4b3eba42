"""Who may do what: forum/permissions.py and the visibility querysets agree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from forum import permissions, standing
from forum.models import Comment, Thread, viewer
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous():
    return AnonymousUser()


class TestStartingAndCommenting:
    def test_a_verified_member_with_a_profile_may_start_a_thread(self, member, theme):
        assert permissions.can_start_thread(member, theme)

    def test_anonymous_readers_are_asked_to_sign_in(self, anonymous, theme):
        assert permissions.start_thread_refusal(anonymous, theme) == "Sign in to take part in the discussion."

    def test_an_unverified_member_is_asked_to_confirm_their_email(self, unverified_member, theme):
        assert "Confirm your email address" in permissions.start_thread_refusal(unverified_member, theme)

    def test_an_incomplete_profile_is_refused(self, theme):
        incomplete = make_member("new@example.org", display_name="", stakeholder_group="")
        assert "display name and stakeholder group" in permissions.start_thread_refusal(incomplete, theme)

    def test_a_closed_theme_takes_no_new_threads(self, member, closed_theme):
        assert "is closed and not taking new comments" in permissions.start_thread_refusal(member, closed_theme)

    def test_a_theme_past_its_closing_date_takes_no_new_threads(self, member, theme):
        theme.closes_at = timezone.now() - timedelta(minutes=1)
        assert "closed to new comments on its closing date" in permissions.start_thread_refusal(member, theme)

    def test_a_locked_thread_refuses_comments_and_says_why(self, member, thread):
        thread.is_locked = True
        thread.lock_reason = "The question has been answered."
        reason = permissions.comment_refusal(member, thread)
        assert "locked" in reason and "The question has been answered." in reason

    def test_a_moderator_may_still_comment_in_a_locked_thread(self, moderator, thread):
        thread.is_locked = True
        assert permissions.can_comment(moderator, thread)

    def test_nobody_replies_to_a_deleted_comment(self, member, other_member, thread):
        comment = reply(thread, other_member)
        services.delete_comment(comment=comment, deleted_by=other_member)
        assert "deleted" in permissions.reply_refusal(member, comment)


class TestEditingAndDeleting:
    def test_authors_edit_and_delete_their_own_comments(self, member, thread):
        comment = thread.comments.get()
        assert permissions.can_edit_comment(member, comment)
        assert permissions.can_delete_comment(member, comment)

    def test_other_members_cannot(self, other_member, thread):
        comment = thread.comments.get()
        assert permissions.edit_refusal(other_member, comment) == "You can only edit your own comments."
        assert permissions.delete_refusal(other_member, comment) == "You can only delete your own comments."

    def test_moderators_do_not_edit_other_peoples_words(self, moderator, thread):
        assert not permissions.can_edit_comment(moderator, thread.comments.get())

    def test_a_locked_thread_freezes_edits_but_not_withdrawal(self, member, thread):
        thread.is_locked = True
        comment = thread.comments.get()
        comment.thread = thread
        assert not permissions.can_edit_comment(member, comment)
        assert permissions.can_delete_comment(member, comment)

    def test_a_deleted_comment_cannot_be_edited_or_deleted_again(self, member, thread):
        comment = services.delete_comment(comment=thread.comments.get(), deleted_by=member)
        assert not permissions.can_edit_comment(member, comment)
        assert not permissions.can_delete_comment(member, comment)

    def test_anonymous_readers_cannot_edit(self, anonymous, thread):
        assert not permissions.can_edit_comment(anonymous, thread.comments.get())


class TestVisibility:
    @pytest.fixture
    def comments(self, thread, member, other_member, moderator):
        public = thread.comments.get()
        pending = reply(thread, other_member, body="Pending", needs_approval=True)
        hidden = reply(thread, other_member, body="Hidden")
        Comment.objects.filter(pk=hidden.pk).update(is_hidden=True, hidden_by=moderator, hidden_reason="Off topic")
        hidden.refresh_from_db()
        deleted = services.delete_comment(comment=reply(thread, other_member), deleted_by=other_member)
        return {"public": public, "pending": pending, "hidden": hidden, "deleted": deleted}

    def visible(self, user, comments):
        names = {comment.pk: name for name, comment in comments.items()}
        return {names[pk] for pk in Comment.objects.visible_to(user).values_list("pk", flat=True)}

    def test_anonymous_readers_see_public_comments_and_deletion_placeholders(self, anonymous, comments):
        assert self.visible(anonymous, comments) == {"public", "deleted"}

    def test_authors_also_see_their_own_comments_waiting_for_a_moderator(self, other_member, comments):
        assert self.visible(other_member, comments) == {"public", "deleted", "pending"}

    def test_other_members_do_not_see_someone_elses_pending_comment(self, member, comments):
        assert self.visible(member, comments) == {"public", "deleted"}

    def test_moderators_see_everything(self, moderator, comments):
        assert self.visible(moderator, comments) == {"public", "deleted", "pending", "hidden"}

    def test_superusers_count_as_moderators(self, comments):
        admin = make_member("admin@example.org", display_name="Ada Admin", is_superuser=True)
        assert self.visible(admin, comments) == {"public", "deleted", "pending", "hidden"}

    def test_can_see_comment_matches_the_queryset(self, anonymous, member, other_member, moderator, comments):
        for user in (anonymous, member, other_member, moderator):
            expected = self.visible(user, comments)
            actual = {name for name, comment in comments.items() if permissions.can_see_comment(user, comment)}
            assert actual == expected

    def test_threads_waiting_for_approval_are_seen_by_their_author_and_moderators(
        self, theme, member, other_member, moderator, anonymous
    ):
        pending = services.start_thread(theme=theme, author=member, title="T", body="B", needs_approval=True)
        assert Thread.objects.visible_to(member).filter(pk=pending.pk).exists()
        assert Thread.objects.visible_to(moderator).filter(pk=pending.pk).exists()
        assert not Thread.objects.visible_to(other_member).filter(pk=pending.pk).exists()
        assert not Thread.objects.visible_to(anonymous).filter(pk=pending.pk).exists()
        for user, expected in ((member, True), (moderator, True), (other_member, False), (anonymous, False)):
            assert permissions.can_see_thread(user, pending) is expected

    def test_the_visibility_filter_asks_about_moderation_inside_its_own_query(
        self, moderator, member, comments, django_assert_num_queries
    ):
        with django_assert_num_queries(1):
            assert len(list(Comment.objects.visible_to(moderator))) == 4
        with django_assert_num_queries(1):
            assert len(list(Comment.objects.visible_to(member))) == 2

    def test_the_thread_query_tells_the_page_whether_the_reader_moderates(self, moderator, thread):
        found = Thread.objects.with_viewer_status(moderator).get(pk=thread.pk)
        assert found.viewer_is_moderator is True
        viewer.remember_moderator_status(moderator, found.viewer_is_moderator)
        assert viewer.known_moderator_status(moderator) is True

    def test_the_moderator_answer_costs_one_query_and_is_remembered(self, moderator, django_assert_num_queries):
        with django_assert_num_queries(1):
            assert standing.is_moderator(moderator)
            assert standing.is_moderator(moderator)
