"""The notifications page for a member with a long history: paged by position, kept whole while
unchanged, each group of notifications from the cache, equal to the page rendered in full, and
every change (made the way the forum makes it) shown at once."""

from __future__ import annotations

import os
import re
import signal

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config import versions
from forum import events
from forum.cache.versions import renew_everything
from forum.following import levels as following
from forum.models import Comment, FollowLevel, Notification, NotificationKind, Thread
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.notifications import inbox, listing
from forum.notifications.kept_pages import KeptPage
from tests.config.test_redis_outage import private_redis, refused_redis  # noqa: F401 - fixtures
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db

URL = "/notifications/"
BUDGET = 10


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def groups(response) -> str:
    """The page's list of notifications, with the CSRF token (masked anew on every request) left out."""
    main = str(soup(response).select_one("main"))
    return re.sub(r'value="[A-Za-z0-9]{64}"', 'value="token"', main)


def whole(response) -> str:
    """The whole page, with what differs on every request (CSRF tokens, the nonce) evened out."""
    assert response.status_code == 200
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="-"', html)
    return re.sub(r'nonce="[^"]+"', 'nonce="-"', html)


@pytest.fixture(autouse=True)
def settled(monkeypatch):
    """Copies may be stored straight after a change, so every test here meets the kept pages."""
    monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)


def notify(recipient, comment, kind=NotificationKind.REPLY, **extra) -> Notification:
    """A notification as the fan-out makes one (it forgets the member's count and pages)."""
    made = Notification.objects.create(
        recipient=recipient, kind=kind, actor=comment.author, theme=comment.thread.theme, thread=comment.thread,
        comment=comment, **extra,
    )
    inbox.forget_unread([recipient.pk])
    return made


@pytest.fixture
def history(theme, thread, recipient, other_member):
    """`recipient` holds notifications of several kinds about two discussions and the theme, some
    read, one a moderation notice with a link."""
    second = Thread.objects.create(theme=theme, author=other_member, title="Second discussion", slug="second")
    made = []
    for n in range(4):
        comment = reply(thread if n % 2 else second, other_member, body=f"Body {n} that the page never shows")
        made.append(notify(recipient, comment, read_at=timezone.now() if n == 0 else None))
    mention = reply(thread, other_member, body="@Rita")
    made.append(notify(recipient, mention, kind=NotificationKind.MENTION))
    made.append(Notification.objects.create(recipient=recipient, kind=NotificationKind.THEME_RESPONSE, theme=theme))
    made.append(Notification.objects.create(
        recipient=recipient, kind=NotificationKind.MODERATION, thread=thread,
        message="Your comment in “How” was hidden. See https://example.org/rules for why.",
    ))
    inbox.forget_unread([recipient.pk])
    return made


@pytest.fixture
def reader(client, recipient):
    client.force_login(recipient)
    client.get("/about/")  # the session is stored
    return client


@pytest.fixture
def renders(monkeypatch):
    """How many groups each request rendered rather than took from the cache."""
    counts = []
    real = listing._render_groups

    def counting(user, missing):
        counts.append(len(missing))
        return real(user, missing)

    monkeypatch.setattr(listing, "_render_groups", counting)
    return counts


class TestCachedGroups:
    def test_a_cached_page_equals_the_page_rendered_in_full(self, reader, history, settings, renders):
        settings.SHARED_CACHE = False
        fresh = groups(reader.get(URL))
        settings.SHARED_CACHE = True
        first, kept = groups(reader.get(URL)), groups(reader.get(URL))
        assert renders == [3, 3]  # two discussions (one with the moderators' notice), the theme's response
        assert kept == first == fresh
        request = RequestFactory().get(URL)
        request.user = history[0].recipient
        cache.delete(KeptPage(request).key)  # the page is read again, its groups from the cache
        from_groups = groups(reader.get(URL))
        assert renders == [3, 3, 0] and from_groups == fresh
        assert "How do we bring waiting lists down?" in kept and "https://example.org/rules" in kept

    def test_the_kept_page_is_the_whole_page_rendered_in_full(self, reader, history, monkeypatch):
        made, kept = whole(reader.get(URL)), whole(reader.get(URL))
        monkeypatch.setattr(KeptPage, "response", lambda self: None)
        monkeypatch.setattr(KeptPage, "keep", lambda self, html, thread_ids, store: None)
        in_full = whole(reader.get(URL))
        assert made == kept == in_full
        assert "Your notifications" in kept and "Sign out" in kept

    def test_the_kept_page_shows_a_message_and_is_not_kept_with_it(self, reader, history):
        reader.get(URL)
        page = soup(reader.get(URL))
        token = page.select_one("main input[name=csrfmiddlewaretoken]")["value"]
        after = reader.post(page.select_one("main form[action$='/read-all/']")["action"],
                            {"csrfmiddlewaretoken": token}, follow=True)
        assert "marked as read" in after.content.decode()
        assert "marked as read" not in reader.get(URL).content.decode()

    def test_the_cached_forms_carry_the_readers_own_csrf_token(self, reader, history):
        reader.get(URL)
        page = soup(reader.get(URL))
        tokens = {field["value"] for field in page.select("main input[name=csrfmiddlewaretoken]")}
        assert tokens and all(len(token) == 64 and not token.startswith("cgcsrfmark") for token in tokens)
        assert reader.post(page.select_one("main form[action*='/read/']")["action"],
                           {"csrfmiddlewaretoken": tokens.pop()}).status_code == 302

    def test_another_member_never_gets_the_readers_groups(self, reader, history, other_member):
        reader.get(URL)
        other = Client()
        other.force_login(other_member)
        assert "Second discussion" not in other.get(URL).content.decode()

    def test_an_unchanged_page_is_kept_whole_and_reads_no_notifications(self, reader, history):
        reader.get(URL)
        with CaptureQueriesContext(connection) as queries:
            reader.get(URL)
        assert not [q for q in queries.captured_queries if "forum_notification" in q["sql"]]

    def test_a_renewal_of_everything_renders_the_groups_again(self, reader, history, renders):
        reader.get(URL)
        renew_everything()
        reader.get(URL)
        reader.get(URL)
        assert renders == [3, 3]


class TestChangesShowAtOnce:
    def test_marking_one_read(self, reader, history):
        reader.get(URL)
        assert reader.post(reverse("forum:notification_read", args=[history[1].pk])).status_code == 302
        page = soup(reader.get(URL))
        assert not page.select(f"main form[action='{reverse('forum:notification_read', args=[history[1].pk])}']")
        assert "You have 5 unread." in page.get_text()

    def test_marking_all_read(self, reader, history):
        reader.get(URL)
        reader.post(reverse("forum:notifications_read_all"))
        page = soup(reader.get(URL))
        assert not page.select("main .nhsuk-tag--blue") and not page.select("main form")

    def test_a_new_notification(self, reader, history, thread, other_member, recipient, run_tasks):
        following.set_thread_follow_level(recipient, thread, FollowLevel.WATCHING)
        reader.get(URL)
        run_tasks(lambda: reply(thread, other_member, body="Newest"))
        assert "5 notifications" in soup(reader.get(URL)).select("main section h2")[0].get_text()

    def test_a_discussion_renamed_in_the_admin(self, reader, history, thread):
        reader.get(URL)
        Thread.objects.filter(pk=thread.pk).update(title="A better title")
        events.forum_changed.send(reason="admin edit")
        assert "A better title" in soup(reader.get(URL)).get_text()

    def test_a_member_renamed(self, reader, history, other_member):
        reader.get(URL)
        other_member.display_name = "Renamed Person"
        other_member.save()
        assert "Renamed Person" in soup(reader.get(URL)).get_text()

    def test_a_comment_edited_elsewhere_in_the_discussion_leaves_the_groups_cached(self, reader, history, thread,
                                                                                   other_member, renders):
        reader.get(URL)
        reply(thread, other_member, body="Nothing to do with the reader")  # renews the discussion
        reader.get(URL)
        assert renders == [3, 0]

    def test_a_hidden_comment_takes_its_notification_away(self, reader, history, moderator,
                                                         django_capture_on_commit_callbacks):
        reader.get(URL)
        about = history[4]  # the mention
        with django_capture_on_commit_callbacks(execute=True):
            carry_out(comment_actions.Hide(Comment.objects.get(pk=about.comment_id), actor=moderator, reason="Rude"))
        page = str(soup(reader.get(URL)).select_one("main"))
        assert reverse("forum:notification_open", args=[about.pk]) not in page
        assert "mentioned you" not in page and "@Rita" not in page


class TestPagingByPosition:
    @pytest.fixture
    def long_history(self, recipient, thread, other_member, monkeypatch):
        monkeypatch.setattr(listing, "PER_PAGE", 3)
        comments = [reply(thread, other_member, body=f"Comment {n}") for n in range(8)]
        moment = timezone.now()
        # Two share a moment: the id decides their order.
        return [notify(recipient, comment, created_at=moment if n in (3, 4) else moment.replace(microsecond=n))
                for n, comment in enumerate(comments)]

    def shown(self, response) -> list[int]:
        links = soup(response).select("main section li > a")
        return [int(link["href"].split("/")[-3]) for link in links]

    def test_older_and_newer_links_walk_the_whole_history_once(self, reader, long_history):
        newest_first = [n.pk for n in sorted(long_history, key=lambda n: (n.created_at, n.pk), reverse=True)]
        seen, url, numbers = [], URL, []
        while url:
            response = reader.get(url)
            seen += self.shown(response)
            numbers.append(soup(response).title.get_text())
            older = soup(response).select_one("a[rel=next]")
            url = older["href"] if older else None
        assert seen == newest_first
        assert [n.strip().startswith("Your notifications (page 3)") for n in numbers] == [False, False, True]
        back = soup(response).select_one("a[rel=prev]")["href"]
        assert self.shown(reader.get(back)) == newest_first[3:6]
        assert soup(reader.get(back)).select_one("a[rel=prev]")["href"] == URL

    def test_a_page_by_position_runs_no_offset_and_no_count(self, reader, long_history):
        older = soup(reader.get(URL)).select_one("a[rel=next]")["href"]
        with CaptureQueriesContext(connection) as queries:
            reader.get(older)
        listed = [q["sql"] for q in queries.captured_queries if 'FROM "forum_notification"' in q["sql"]]
        assert listed and not [sql for sql in listed if "OFFSET" in sql or "COUNT(" in sql]

    @pytest.mark.parametrize("query", [
        {"before": "x"}, {"after": "0"}, {"before": "1", "after": "2"}, {"page": "0"}, {"page": "9"},
    ])
    def test_a_page_that_does_not_exist_is_not_found(self, reader, long_history, query):
        assert reader.get(URL, query).status_code == 404

    def test_someone_elses_notification_is_no_position(self, reader, long_history, other_member):
        theirs = Notification.objects.create(recipient=other_member, kind=NotificationKind.THEME_RESPONSE,
                                             theme=long_history[0].theme)
        assert reader.get(URL, {"before": theirs.pk, "page": 2}).status_code == 404

    def test_an_old_page_number_link_still_works(self, reader, long_history):
        assert len(self.shown(reader.get(URL, {"page": 2}))) == 3


def test_the_page_costs_the_same_queries_for_three_and_three_hundred_notifications(reader, recipient, theme,
                                                                                  other_member):
    threads = [Thread.objects.create(theme=theme, author=other_member, title=f"T{n}", slug=f"t{n}")
               for n in range(40)]

    def give(n):
        for i in range(n):
            comment = reply(threads[i % len(threads)], other_member, body=f"{i}")
            notify(recipient, comment, kind=[NotificationKind.REPLY, NotificationKind.WATCHED_COMMENT][i % 2])

    counts = []
    for n in (3, 297):
        give(n)
        reader.get(URL)  # the groups are stored
        with CaptureQueriesContext(connection) as queries:
            page = reader.get(URL)
        counts.append(len(queries))
        older = soup(page).select_one("a[rel=next]")
    assert counts[0] == counts[1] <= BUDGET
    reader.get(older["href"])
    with CaptureQueriesContext(connection) as queries:
        assert reader.get(older["href"]).status_code == 200
    assert len(queries) == counts[1]


def test_the_page_is_served_from_the_database_while_redis_refuses(refused_redis, recipient,  # noqa: F811
                                                                  thread, other_member):
    notification = notify(recipient, reply(thread, other_member))
    client = Client()
    client.force_login(recipient)
    assert reverse("forum:notification_read", args=[notification.pk]) in client.get(URL).content.decode()
    client.post(reverse("forum:notification_read", args=[notification.pk]))
    assert reverse("forum:notification_read", args=[notification.pk]) not in client.get(URL).content.decode()


def test_a_change_made_while_redis_was_paused_shows_after_it(private_redis, recipient, thread,  # noqa: F811
                                                              other_member, moderator):
    first = notify(recipient, reply(thread, other_member, body="Kept"))
    second = notify(recipient, reply(thread, other_member, body="Hidden during the pause"))
    client = Client()
    client.force_login(recipient)
    client.get(URL)
    assert reverse("forum:notification_open", args=[second.pk]) in client.get(URL).content.decode()

    os.kill(private_redis.pid, signal.SIGSTOP)
    carry_out(comment_actions.Hide(Comment.objects.get(pk=second.comment_id), actor=moderator, reason="Rude"))
    inbox.mark_read(recipient, first.pk)  # their renewals are lost with Redis paused
    os.kill(private_redis.pid, signal.SIGCONT)

    page = client.get(URL).content.decode()
    assert reverse("forum:notification_open", args=[second.pk]) not in page
    assert reverse("forum:notification_read", args=[first.pk]) not in page
