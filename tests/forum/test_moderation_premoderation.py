"""Pre-moderation: a member's first comments, and comments a filter sends to review, wait for a
moderator; nobody else sees them and nobody is notified until they are approved."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments


from __future__ import annotations

import pytest
from django.urls import reverse

from forum.models import Comment, Notification, Theme, ThemeFollow, Thread, ThreadFollow, WordFilter
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.posting import filters, services
from tests.conftest import make_member
from tests.forum.conftest import reply
from tests.forum.moderation_support import client_for, mod_client, totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def first_comments(settings, thread):
    """Pre-moderation on, once the fixture discussion (by an established member) exists."""
    settings.PREMODERATE_FIRST_COMMENTS = 1


@pytest.fixture
def newcomer(db):
    return make_member("newcomer@example.org", display_name="Nia Newcomer")


@pytest.fixture
def watcher(thread, db):
    user = make_member("watcher@example.org", display_name="Wren Watcher")
    ThreadFollow.objects.create(user=user, thread=thread, level="watching")
    return user


def add_filter(pattern, action):
    WordFilter.objects.create(pattern=pattern, action=action)
    filters.forget()


def post_reply(client, thread, body="My first words here."):
    return client.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": body})


class TestFirstComments:
    def test_a_new_members_first_comment_waits(self, first_comments, thread, newcomer):
        response = post_reply(client_for(newcomer), thread)
        assert response.status_code == 302
        comment = Comment.objects.get(author=newcomer)
        assert comment.needs_approval

    def test_the_author_sees_it_waiting_and_nobody_else_sees_it(self, first_comments, thread, newcomer, client):
        author = client_for(newcomer)
        post_reply(author, thread)
        own = author.get(thread.get_absolute_url()).content.decode()
        assert "My first words here." in own and "Waiting for a moderator" in own
        assert "My first words here." not in client.get(thread.get_absolute_url()).content.decode()
        other = client_for(make_member("someone@example.org", display_name="Someone Else"))
        assert "My first words here." not in other.get(thread.get_absolute_url()).content.decode()

    def test_only_the_first_k_wait(self, first_comments, settings, thread, newcomer, totp_moderator):
        settings.PREMODERATE_FIRST_COMMENTS = 2
        one = reply(thread, newcomer, "One.")
        two = reply(thread, newcomer, "Two.")
        assert one.needs_approval and two.needs_approval
        carry_out(comment_actions.Approve(one, actor=totp_moderator))
        carry_out(comment_actions.Approve(two, actor=totp_moderator))
        assert not reply(thread, newcomer, "Three.").needs_approval

    def test_moderators_are_never_held(self, first_comments, thread, totp_moderator):
        assert not reply(thread, totp_moderator, "From the moderators.").needs_approval

    def test_a_waiting_comment_sends_no_notification_until_approved(
        self, first_comments, thread, newcomer, watcher, totp_moderator, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            comment = reply(thread, newcomer, "Hello all.")
        assert comment.needs_approval
        assert not Notification.objects.filter(recipient=watcher).exists()
        with django_capture_on_commit_callbacks(execute=True):
            carry_out(comment_actions.Approve(comment, actor=totp_moderator))
        assert Notification.objects.filter(recipient=watcher, comment=comment).exists()
        assert Notification.objects.filter(recipient=newcomer, kind="moderation").exists()

    def test_approval_counts_the_comment_in(self, first_comments, thread, newcomer, totp_moderator):
        before = Thread.objects.get(pk=thread.pk).comment_count
        comment = reply(thread, newcomer, "Hello all.")
        assert Thread.objects.get(pk=thread.pk).comment_count == before
        carry_out(comment_actions.Approve(comment, actor=totp_moderator))
        assert Thread.objects.get(pk=thread.pk).comment_count == before + 1
        assert "nhs" in Thread.objects.get(pk=thread.pk).participant_groups

    def test_a_waiting_new_discussion_is_approved_with_its_opening_comment(
        self, first_comments, theme, newcomer, totp_moderator
    ):
        before = Theme.objects.get(pk=theme.pk).thread_count
        thread = services.start_thread(theme=theme, author=newcomer, title="A question", body="Opening words.")
        assert thread.needs_approval
        assert Theme.objects.get(pk=theme.pk).thread_count == before
        carry_out(comment_actions.Approve(thread.comments.get(), actor=totp_moderator))
        thread.refresh_from_db()
        assert thread.is_public
        assert Theme.objects.get(pk=theme.pk).thread_count == before + 1

    def test_a_new_discussion_tells_theme_watchers_only_once_approved(
        self, first_comments, theme, newcomer, totp_moderator, django_capture_on_commit_callbacks
    ):
        watcher = make_member("themewatcher@example.org", display_name="Theo Watcher")
        ThemeFollow.objects.create(user=watcher, theme=theme, level="watching")
        with django_capture_on_commit_callbacks(execute=True):
            thread = services.start_thread(theme=theme, author=newcomer, title="A question", body="Opening words.")
        assert not Notification.objects.filter(recipient=watcher).exists()
        with django_capture_on_commit_callbacks(execute=True):
            carry_out(comment_actions.Approve(thread.comments.get(), actor=totp_moderator))
        assert Notification.objects.filter(recipient=watcher, thread=thread).exists()

    def test_rejecting_keeps_it_from_everyone_but_moderators(
        self, first_comments, thread, newcomer, totp_moderator, mod_client
    ):
        comment = reply(thread, newcomer, "Buy my product.")
        carry_out(comment_actions.Reject(comment, actor=totp_moderator, reason="Advertising."))
        comment.refresh_from_db()
        assert comment.is_hidden and comment.needs_approval
        assert "Buy my product." not in client_for(newcomer).get(thread.get_absolute_url()).content.decode()
        review = mod_client.get(reverse("forum:moderation_comment", args=[comment.pk])).content.decode()
        assert "Buy my product." in review

    def test_the_queue_lists_waiting_comments_for_approval(self, first_comments, thread, newcomer, mod_client):
        comment = reply(thread, newcomer, "Waiting words.")
        page = mod_client.get(reverse("forum:moderation_queue")).content.decode()
        assert "Waiting words." in page
        assert reverse("forum:moderation_comment_action", args=[comment.pk, "approve"]) in page


class TestFilterReview:
    def test_a_review_filter_holds_a_comment_from_an_established_member(self, thread, other_member):
        add_filter("guaranteed results", "review")
        comment = reply(thread, other_member, "We offer Guaranteed  results for every patient.")
        assert comment.needs_approval

    def test_an_ordinary_comment_is_published(self, thread, other_member):
        add_filter("guaranteed results", "review")
        assert not reply(thread, other_member, "Results vary.").needs_approval

    def test_an_edit_that_trips_a_review_filter_goes_to_the_queue(self, thread, member):
        add_filter("cure", "review")
        opening = thread.comments.get()
        services.edit_comment(comment=opening, editor=member, body="This is a cure.")
        opening.refresh_from_db()
        assert opening.is_public
        flag = opening.flags.get()
        assert flag.flagger is None and "cure" in flag.detail


def test_an_approval_is_worded_as_one_and_offers_no_appeal(
    first_comments, thread, newcomer, totp_moderator, mailoutbox, django_capture_on_commit_callbacks
):
    comment = reply(thread, newcomer, "Hello all.")
    with django_capture_on_commit_callbacks(execute=True):
        carry_out(comment_actions.Approve(comment, actor=totp_moderator))
    notices = client_for(newcomer).get(reverse("forum:moderation_notices")).content.decode()
    assert f"Your comment in “{thread.title}”" in notices
    assert newcomer.display_name not in notices.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Appeal this decision" not in notices
    subjects = [message.subject for message in mailoutbox if newcomer.email in message.to]
    assert any("has been approved and is now public" in subject for subject in subjects), subjects
    assert not any("acted on your content" in subject for subject in subjects)
