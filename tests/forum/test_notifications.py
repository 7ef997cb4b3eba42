"""Who is told about what: the level × event matrix, the rules, and the notifications pages."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum import events, member_data
from forum.following import levels as following
from forum.models import Comment, FollowLevel, Notification, NotificationKind, ThemeFollow, ThreadFollow
from forum.moderation import comments as comment_actions
from forum.moderation import flow
from forum.moderation.flow import carry_out
from forum.notifications import fanout, inbox
from forum.notifications import handlers as notification_handlers
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db

LEVELS = [FollowLevel.WATCHING, FollowLevel.TRACKING, FollowLevel.NORMAL, FollowLevel.MUTED]
EVENTS = ["reply", "quote", "mention", "comment", "new_thread", "common_ground", "moderation", "theme_response"]


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def kinds_for(user, **filters):
    return sorted(Notification.objects.filter(recipient=user, **filters).values_list("kind", flat=True))


def expected_kind(scope: str, level: str, event: str) -> str | None:
    """What the rules say `recipient` gets, following at `level` on the thread or the theme."""
    if event == "moderation":
        return NotificationKind.MODERATION
    if event in {"reply", "quote", "mention", "common_ground"}:
        return None if level == FollowLevel.MUTED else event
    if event == "comment":
        return NotificationKind.WATCHED_COMMENT if level == FollowLevel.WATCHING else None
    if event == "new_thread":
        return NotificationKind.NEW_THREAD if scope == "theme" and level == FollowLevel.WATCHING else None
    if event == "theme_response":
        watched = level in {FollowLevel.WATCHING, FollowLevel.TRACKING}
        return NotificationKind.THEME_RESPONSE if scope == "theme" and watched else None
    raise AssertionError(event)


SUBJECT_WORDS = {
    NotificationKind.REPLY: "replied to your comment",
    NotificationKind.QUOTE: "quoted your comment",
    NotificationKind.MENTION: "mentioned you",
    NotificationKind.WATCHED_COMMENT: "commented in",
    NotificationKind.NEW_THREAD: "started a discussion",
    NotificationKind.COMMON_GROUND: "became common ground",
    NotificationKind.MODERATION: "moderator",
    NotificationKind.THEME_RESPONSE: "responded to the theme",
}


class TestMatrix:
    @pytest.mark.parametrize("event", EVENTS)
    @pytest.mark.parametrize("level", LEVELS)
    @pytest.mark.parametrize("scope", ["thread", "theme"])
    def test_each_level_and_event(self, scope, level, event, theme, thread, recipient, other_member, moderator,
                                  run_tasks):
        mine = reply(thread, recipient, body="My point about waiting lists.")
        ThreadFollow.objects.filter(user=recipient).delete()
        if scope == "thread":
            following.set_thread_follow_level(recipient, thread, level)
        else:
            following.set_theme_follow_level(recipient, theme, level)
        Notification.objects.all().delete()
        mail.outbox.clear()

        actions = {
            "reply": lambda: reply(thread, other_member, body="A reply to you.", parent=mine),
            "quote": lambda: reply(thread, other_member, body="> My point\n\nI disagree.", quoted_comment=mine),
            "mention": lambda: reply(thread, other_member, body='What does @"Rita Recipient" think?'),
            "comment": lambda: reply(thread, other_member, body="A new comment."),
            "new_thread": lambda: services.start_thread(theme=theme, author=other_member, title="Another", body="B"),
            "common_ground": lambda: events.common_ground_reached.send(comment_id=mine.pk),
            "moderation": lambda: flow.tell(
                flow.Notice(recipient, "Your comment was hidden: it named a patient.", comment=mine), actor=moderator
            ),
            "theme_response": lambda: events.theme_responded.send(theme_id=theme.pk, at=timezone.now().isoformat()),
        }
        run_tasks(actions[event])

        expected = expected_kind(scope, level, event)
        assert kinds_for(recipient) == ([expected] if expected else [])
        to_recipient = [m for m in mail.outbox if m.to == [recipient.email]]
        if expected:
            assert len(to_recipient) == 1
            assert SUBJECT_WORDS[expected] in to_recipient[0].subject
            assert Notification.objects.get(recipient=recipient).emailed_at is not None
        else:
            assert to_recipient == []


class TestRules:
    def test_muted_thread_wins_over_a_watched_theme(self, theme, thread, recipient, other_member, run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        following.set_thread_follow_level(recipient, thread, FollowLevel.MUTED)
        run_tasks(lambda: reply(thread, other_member, body='@"Rita Recipient" look'))
        assert kinds_for(recipient) == []

    def test_a_muted_theme_silences_its_threads_without_a_level(self, theme, thread, recipient, other_member,
                                                                run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.MUTED)
        run_tasks(lambda: reply(thread, other_member, body='@"Rita Recipient" look'))
        assert kinds_for(recipient) == []

    def test_nobody_is_told_about_their_own_comment(self, theme, thread, member, run_tasks):
        following.set_theme_follow_level(member, theme, FollowLevel.WATCHING)
        first = thread.comments.get()
        run_tasks(lambda: reply(thread, member, body='Replying to myself, @"Alex Member"', parent=first))
        assert kinds_for(member) == []

    def test_nobody_is_told_about_their_own_new_thread(self, theme, member, run_tasks):
        following.set_theme_follow_level(member, theme, FollowLevel.WATCHING)
        run_tasks(lambda: services.start_thread(theme=theme, author=member, title="Mine", body="B"))
        assert kinds_for(member) == []

    def test_one_notification_per_comment_with_the_strongest_reason(self, theme, thread, recipient, other_member,
                                                                   run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        mine = reply(thread, recipient, body="My point")
        Notification.objects.all().delete()
        run_tasks(lambda: reply(thread, other_member, body='> My point\n\n@"Rita Recipient" yes', parent=mine,
                                quoted_comment=mine))
        assert kinds_for(recipient) == [NotificationKind.REPLY]
        assert len([m for m in mail.outbox if m.to == [recipient.email]]) == 1

    def test_a_quote_with_a_mention_is_a_quote(self, thread, recipient, other_member, run_tasks):
        mine = reply(thread, recipient, body="My point")
        Notification.objects.all().delete()
        run_tasks(lambda: reply(thread, other_member, body='> My point\n\n@"Rita Recipient" yes', quoted_comment=mine))
        assert kinds_for(recipient) == [NotificationKind.QUOTE]

    def test_a_new_thread_is_one_notification_not_two(self, theme, recipient, other_member, run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        run_tasks(lambda: services.start_thread(theme=theme, author=other_member, title="New", body="Opening"))
        assert kinds_for(recipient) == [NotificationKind.NEW_THREAD]

    def test_a_mention_in_a_new_thread_beats_watching(self, theme, recipient, other_member, run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        run_tasks(lambda: services.start_thread(theme=theme, author=other_member, title="New",
                                                body='Hello @"Rita Recipient"'))
        assert kinds_for(recipient) == [NotificationKind.MENTION]

    def test_nothing_about_a_comment_waiting_for_a_moderator(self, theme, thread, recipient, other_member,
                                                            run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        run_tasks(lambda: reply(thread, other_member, body='@"Rita Recipient" hi', needs_approval=True))
        assert kinds_for(recipient) == []

    def test_nothing_about_a_comment_hidden_before_the_task_ran(self, theme, thread, recipient, other_member):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        comment = reply(thread, other_member, body="Soon hidden")
        Comment.objects.filter(pk=comment.pk).update(is_hidden=True)
        notification_handlers.comment_published(comment.pk, opening=False)
        assert kinds_for(recipient) == []

    def test_nothing_about_a_thread_waiting_for_a_moderator(self, theme, recipient, other_member, run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        run_tasks(lambda: services.start_thread(theme=theme, author=other_member, title="Held", body="B",
                                                needs_approval=True))
        assert kinds_for(recipient) == []

    def test_an_approved_comment_is_announced_then(self, theme, thread, recipient, other_member, run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        held = reply(thread, other_member, body="Held back", needs_approval=True)
        Comment.objects.filter(pk=held.pk).update(needs_approval=False)
        held.refresh_from_db()
        run_tasks(lambda: events.comment_published.send(comment_id=held.pk, opening=False))
        assert kinds_for(recipient) == [NotificationKind.WATCHED_COMMENT]

    def test_notifications_about_content_hidden_later_disappear(self, client, theme, thread, recipient,
                                                                other_member, run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        comment = run_tasks(lambda: reply(thread, other_member, body="Soon hidden"))
        assert inbox.unread_count(recipient) == 1
        Comment.objects.filter(pk=comment.pk).update(is_hidden=True)
        del recipient._unread_notifications
        inbox.forget_unread([recipient.pk])  # the cached count lives a minute at most
        assert inbox.unread_count(recipient) == 0
        client.force_login(recipient)
        assert "Soon hidden" not in client.get(reverse("forum:notifications")).content.decode()

    def test_inactive_members_are_not_notified(self, theme, thread, recipient, other_member, run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        recipient.is_active = False
        recipient.save()
        run_tasks(lambda: reply(thread, other_member, body="Anyone?"))
        assert kinds_for(recipient) == []

    def test_a_retried_fan_out_adds_nothing(self, theme, thread, recipient, other_member, run_tasks):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        comment = run_tasks(lambda: reply(thread, other_member, body="Once"))
        sent = len(mail.outbox)
        notification_handlers.comment_published(comment.pk, opening=False)
        assert kinds_for(recipient) == [NotificationKind.WATCHED_COMMENT]
        assert len(mail.outbox) == sent

    def test_a_retried_moderation_notice_adds_nothing(self, thread, recipient, moderator):
        at = timezone.now().isoformat()
        args = (recipient.pk, "Your comment was hidden.", None, thread.pk, moderator.pk, at)
        notification_handlers.member_told(*args)
        notification_handlers.member_told(*args)
        assert kinds_for(recipient) == [NotificationKind.MODERATION]
        assert len([m for m in mail.outbox if m.to == [recipient.email]]) == 1

    def test_two_moderation_actions_on_one_comment_are_two_notices(self, thread, recipient, moderator, run_tasks):
        mine = reply(thread, recipient, body="Mine")
        run_tasks(lambda: flow.tell(flow.Notice(recipient, "Hidden.", comment=mine), actor=None))
        run_tasks(lambda: flow.tell(flow.Notice(recipient, "Restored.", comment=mine), actor=None))
        assert kinds_for(recipient) == [NotificationKind.MODERATION, NotificationKind.MODERATION]

    def test_a_retried_theme_response_adds_nothing(self, theme, recipient):
        following.set_theme_follow_level(recipient, theme, FollowLevel.TRACKING)
        at = timezone.now().isoformat()
        notification_handlers.theme_responded(theme.pk, at)
        notification_handlers.theme_responded(theme.pk, at)
        assert kinds_for(recipient) == [NotificationKind.THEME_RESPONSE]

    def test_a_rolled_back_comment_queues_nothing(self, thread, other_member, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            reply(thread, other_member)
        assert len(callbacks) == 1  # queued for after commit, not run inside the request's transaction

    def test_fan_out_to_many_watchers_takes_a_fixed_number_of_queries(self, theme, thread, other_member):
        def watchers(n, start):
            for i in range(start, start + n):
                user = make_member(f"w{i}@example.org", display_name=f"Watcher {i}")
                ThemeFollow.objects.create(user=user, theme=theme, level=FollowLevel.WATCHING)

        counts = []
        watchers(3, 0)
        for extra in (0, 30):
            watchers(extra, 3)
            comment = reply(thread, other_member)
            with CaptureQueriesContext(connection) as queries:
                created = fanout.fan_out_comment(comment.pk)
            counts.append((len(queries.captured_queries), created))
        assert counts[0][1] == 4 and counts[1][1] == 34  # the watchers, plus the thread's author
        assert counts[0][0] == counts[1][0]


@pytest.fixture
def notified(theme, thread, recipient, other_member, run_tasks):
    """`recipient` watches the theme and has `n` unread notifications about `n` comments."""

    def _make(n):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        for i in range(n):
            run_tasks(lambda i=i: reply(thread, other_member, body=f"Comment number {i}"))
        return list(Notification.objects.filter(recipient=recipient).order_by("pk"))

    return _make


class TestNotificationsPage:
    def test_it_lists_notifications_newest_first_grouped_by_thread(self, client, recipient, notified, theme,
                                                                  other_member, run_tasks):
        notified(3)
        other_theme = make_theme("other-theme", position=5)
        following.set_theme_follow_level(recipient, other_theme, FollowLevel.WATCHING)
        run_tasks(lambda: services.start_thread(theme=other_theme, author=other_member, title="Fresh", body="B"))
        client.force_login(recipient)
        page = soup(client.get(reverse("forum:notifications")))
        headings = [" ".join(h.get_text().split()) for h in page.select("main section h2")]
        assert headings[0].startswith("Fresh")
        assert headings[1].startswith("How do we bring waiting lists down?") and "3 notifications" in headings[1]
        links = page.select("main section")[1].select("li a")
        assert len(links) == 3

    def test_opening_a_notification_marks_it_read_and_goes_to_the_comment(self, client, recipient, notified):
        (notification,) = notified(1)
        client.force_login(recipient)
        response = client.get(reverse("forum:notification_open", kwargs={"pk": notification.pk}))
        comment = notification.comment
        assert response.status_code == 302 and response["Location"] == comment.get_absolute_url()
        notification.refresh_from_db()
        assert notification.read_at is not None
        again = client.get(reverse("forum:notification_open", kwargs={"pk": notification.pk}))
        assert again.status_code == 302  # idempotent

    def test_nobody_opens_someone_elses_notification(self, client, notified, other_member):
        (notification,) = notified(1)
        client.force_login(other_member)
        assert client.get(reverse("forum:notification_open", kwargs={"pk": notification.pk})).status_code == 404
        assert client.post(reverse("forum:notification_read", kwargs={"pk": notification.pk})).status_code == 404
        notification.refresh_from_db()
        assert notification.read_at is None

    def test_mark_one_and_all_as_read(self, client, recipient, notified):
        first, *_rest = notified(3)
        client.force_login(recipient)
        assert client.post(reverse("forum:notification_read", kwargs={"pk": first.pk})).status_code == 302
        assert Notification.objects.filter(recipient=recipient, read_at__isnull=True).count() == 2
        assert client.post(reverse("forum:notifications_read_all")).status_code == 302
        assert not Notification.objects.filter(recipient=recipient, read_at__isnull=True).exists()

    def test_marking_read_needs_post(self, client, recipient, notified):
        (notification,) = notified(1)
        client.force_login(recipient)
        assert client.get(reverse("forum:notification_read", kwargs={"pk": notification.pk})).status_code == 405
        assert client.get(reverse("forum:notifications_read_all")).status_code == 405

    def test_anonymous_readers_are_sent_to_sign_in(self, client):
        response = client.get(reverse("forum:notifications"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_the_header_shows_the_unread_count(self, client, recipient, notified):
        notified(2)
        client.force_login(recipient)
        badge = soup(client.get(reverse("forum:following"))).select_one("#notification-count")
        assert badge.get_text(strip=True) == "2"
        link = badge.find_parent("a")
        assert " ".join(link.get_text("").split()) == "Notifications (2 unread)"  # read aloud as shown, no stray marks

    def test_reading_the_thread_marks_its_notifications_read(self, client, recipient, notified, thread):
        notified(2)
        client.force_login(recipient)
        client.get(thread.get_absolute_url())
        assert not Notification.objects.filter(recipient=recipient, read_at__isnull=True).exists()

    def test_long_histories_page_with_newer_and_older_links_and_no_count(self, client, recipient, notified,
                                                                           monkeypatch):
        from forum.notifications import listing

        monkeypatch.setattr(listing, "PER_PAGE", 2)
        made = notified(3)
        client.force_login(recipient)
        url = reverse("forum:notifications")

        with CaptureQueriesContext(connection) as queries:
            first = soup(client.get(url))
        assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"] and "forum_notification" in q["sql"]
                    and "read_at" not in q["sql"]]
        older = first.select_one("a[rel=next]")["href"]
        assert older == f"{url}?before={made[1].pk}&page=2" and not first.select_one("a[rel=prev]")
        second = soup(client.get(older))
        assert second.select_one("a[rel=prev]")["href"] == url and not second.select_one("a[rel=next]")
        assert len(second.select("main section li a")) == 1
        assert client.get(url, {"before": made[0].pk, "page": 3}).status_code == 404
        assert client.get(url, {"page": 3}).status_code == 404
        assert client.get(url, {"page": "last"}).status_code == 404

    def test_reading_a_thread_without_unread_notifications_writes_nothing(self, client, recipient, notified,
                                                                           theme, other_member, run_tasks):
        notified(2)
        quiet = services.start_thread(theme=theme, author=other_member, title="Quiet one", body="Nothing new")
        Notification.objects.filter(recipient=recipient, thread=quiet).delete()
        client.force_login(recipient)
        client.get(quiet.get_absolute_url())  # fills the caches

        with CaptureQueriesContext(connection) as queries:
            client.get(quiet.get_absolute_url())

        assert not [q for q in queries.captured_queries if 'UPDATE "forum_notification"' in q["sql"]]
        assert Notification.objects.filter(recipient=recipient, read_at__isnull=True).count() == 2

    def test_reading_another_page_of_the_thread_leaves_its_notifications_unread(
        self, client, recipient, notified, thread, settings
    ):
        settings.COMMENTS_PER_PAGE = 2
        notified(2)  # about positions 2 and 3
        reply(thread, recipient, body="My own, at 4")
        reply(thread, recipient, body="My own, at 5")
        client.force_login(recipient)
        client.get(thread.get_page_url(3))  # position 5 only
        with CaptureQueriesContext(connection) as queries:
            assert client.get(thread.get_page_url(3)).status_code == 200
        assert not [q for q in queries.captured_queries if 'UPDATE "forum_notification"' in q["sql"]]
        assert Notification.objects.filter(recipient=recipient, read_at__isnull=True).count() == 2

        assert client.get(thread.get_page_url(2)).status_code == 200  # positions 3 and 4

        unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
        assert [n.comment.position for n in unread] == [2]

    def test_a_new_notification_about_a_thread_read_before_is_marked_read_on_the_next_visit(
        self, client, recipient, notified, thread, other_member, run_tasks
    ):
        notified(1)
        client.force_login(recipient)
        client.get(thread.get_absolute_url())
        assert not Notification.objects.filter(recipient=recipient, read_at__isnull=True).exists()

        run_tasks(lambda: reply(thread, other_member, body="One more"))
        assert Notification.objects.filter(recipient=recipient, read_at__isnull=True).count() == 1
        client.get(thread.get_absolute_url())

        assert not Notification.objects.filter(recipient=recipient, read_at__isnull=True).exists()

    @pytest.mark.parametrize("url_name", ["forum:notifications", "forum:following"])
    def test_the_page_and_badge_run_a_constant_number_of_queries(self, client, recipient, notified, url_name,
                                                                 django_assert_max_num_queries):
        client.force_login(recipient)
        client.get(reverse(url_name))  # the first request also records the session
        counts = []
        made = 0
        for n in (3, 30):
            notified(n - made)
            made = n
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(url_name)).status_code == 200
            counts.append(len(queries.captured_queries))
        assert counts[0] == counts[1]
        with django_assert_max_num_queries(12):
            client.get(reverse(url_name))


class TestMemberData:
    def test_the_download_holds_follows_notifications_and_email_settings(self, theme, thread, recipient,
                                                                         other_member, run_tasks):
        from forum.models import NotificationPreference

        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        following.set_thread_follow_level(recipient, thread, FollowLevel.MUTED)
        NotificationPreference.objects.create(user=recipient, email_frequency="weekly", email_kinds=["reply"])
        mine = reply(thread, recipient, body="Mine")
        run_tasks(lambda: flow.tell(flow.Notice(recipient, "Hidden for a reason.", comment=mine), actor=None))
        data = member_data.export_member_data(recipient)
        assert data["followed_themes"] == [
            {"theme": theme.title, "level": "watching", "changed_at": data["followed_themes"][0]["changed_at"]}
        ]
        assert [(t["thread_id"], t["level"]) for t in data["followed_threads"]] == [(thread.pk, "muted")]
        (notice,) = data["notifications"]
        assert notice["message"] == "Hidden for a reason." and notice["thread_title"] == thread.title
        assert data["email_settings"]["frequency"] == "weekly" and data["email_settings"]["kinds"] == ["reply"]
        assert other_member.display_name not in str(data["notifications"])

    def test_deleting_the_account_removes_them(self, theme, thread, recipient, other_member, run_tasks):
        from forum.models import NotificationPreference

        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        NotificationPreference.objects.create(user=recipient, email_frequency="daily")
        run_tasks(lambda: reply(thread, other_member))
        member_data.erase_member_data(recipient, remove_text=False)
        assert not ThemeFollow.objects.filter(user=recipient).exists()
        assert not ThreadFollow.objects.filter(user=recipient).exists()
        assert not Notification.objects.filter(recipient=recipient).exists()
        assert not NotificationPreference.objects.filter(user=recipient).exists()


class TestUnreadCount:
    def test_a_count_read_while_a_change_commits_is_dropped_again_at_the_commit(
        self, recipient, notified, django_capture_on_commit_callbacks
    ):
        """A request that counted the unread notifications just before a change committed must not
        leave its count cached after the commit (the count is dropped at once and again then)."""
        notified(2)
        assert inbox.unread_count(recipient) == 2
        with django_capture_on_commit_callbacks() as callbacks:
            Notification.objects.filter(recipient=recipient).update(read_at=timezone.now())
            inbox.forget_unread([recipient.pk])
            recipient._unread_notifications = None
            # A request running now, before the commit, reads the old rows and caches them.
            cache.set(inbox._unread_key(recipient.pk), 2, inbox.UNREAD_CACHE_SECONDS)
        for callback in callbacks:
            callback()  # the commit
        recipient._unread_notifications = None
        assert inbox.unread_count(recipient) == 0


def test_a_link_in_a_moderation_notice_is_a_link_to_this_site(
    client, thread, member, moderator, settings, django_capture_on_commit_callbacks
):
    comment = reply(thread, member, "Named a patient by mistake.")
    with django_capture_on_commit_callbacks(execute=True):
        carry_out(comment_actions.Hide(Comment.objects.get(pk=comment.pk), actor=moderator, reason="Patient data"))
    client.force_login(member)
    page = soup(client.get(reverse("forum:notifications")))
    links = [a["href"] for a in page.select("main p a")]
    assert f"{settings.SITE_URL}{reverse('forum:moderation_notices')}" in links
