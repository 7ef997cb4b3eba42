"""What every signed-in page reads of the member besides their row (their standing, their unread
notification count) comes in the same cache round trip as the row (accounts.backends), and is
still never out of date."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts import backends
from forum import standing
from forum.models import Comment, Notification, NotificationKind
from forum.moderation import queue
from forum.notifications import inbox
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_reads_the_standing_and_unread_count_with_the_members_row(member_client, member, cache_reads):
    member_client.get("/about/")
    member_client.get("/about/")
    cache_reads.clear()

    assert member_client.get("/about/").status_code == 200

    wanted = {backends._key(member.pk), *standing.keys_for(member.pk), *inbox.keys_for(member.pk)}
    together = [keys for keys in cache_reads if wanted <= set(keys)]
    assert len(together) == 1
    asked_again = [keys for keys in cache_reads if keys is not together[0] and wanted & set(keys)]
    assert asked_again == [], cache_reads


def test_what_came_with_the_row_is_handed_over_once():
    user = backends.CachedModelBackend().get_user(make_member(email="once@example.org").pk)  # stores the row
    user = backends.CachedModelBackend().get_user(user.pk)  # from the cache, with its companions

    first = backends.take_read_with_member(user, standing.keys_for(user.pk))

    assert first is not None
    assert backends.take_read_with_member(user, standing.keys_for(user.pk)) is None
    assert backends.take_read_with_member(user, ["a-key-nobody-registered"]) is None


def test_a_new_notification_shows_in_the_header_on_the_next_page(member_client, member, other_member):
    member_client.get("/about/")
    assert "Notifications (" not in member_client.get("/about/").content.decode()

    Notification.objects.create(recipient=member, actor=other_member, kind=NotificationKind.MENTION)
    inbox.forget_unread([member.pk])

    assert "Notifications (<span id=\"notification-count\">1</span>" in member_client.get("/about/").content.decode()


def test_a_member_made_moderator_sees_the_review_queue_on_the_next_page(member_client, member):
    member_client.get("/about/")
    assert "Review queue" not in member_client.get("/about/").content.decode()

    member.user_permissions.add(Permission.objects.get(codename="moderate_comment", content_type__app_label="forum"))

    assert "Review queue" in member_client.get("/about/").content.decode()


def test_a_moderators_page_reads_the_review_queue_count_with_their_row(client, moderator, cache_reads):
    client.force_login(moderator)
    client.get("/about/")
    client.get("/about/")
    cache_reads.clear()

    assert "Review queue" in client.get("/about/").content.decode()

    asked = [keys for keys in cache_reads if queue.QUEUE_COUNT_KEY in keys]
    assert len(asked) == 1 and backends._key(moderator.pk) in asked[0], cache_reads


def test_a_comment_waiting_for_a_moderator_shows_in_the_queue_count_on_the_next_page(client, moderator, thread,
                                                                                     other_member):
    client.force_login(moderator)
    client.get("/about/")
    before = client.get("/about/").content.decode()
    Comment.objects.create(thread=thread, author=other_member, body="Please check me", position=99,
                           needs_approval=True)
    queue.forget_queue_count()

    after = client.get("/about/").content.decode()

    count = 'nhsuk-tag--white nhsuk-u-margin-left-1">{}<span class="nhsuk-u-visually-hidden"> waiting'
    assert count.format(0) in before and count.format(1) in after
