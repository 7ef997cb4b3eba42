"""Whole pages stored for every signed-in reader of a kind (forum.cache.shells): each is the page
rendered in full for that reader, their own parts are theirs, and every change shows at once."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from articles import views as articles_views
from forum.agreement import services as agreements
from forum.cache import shells, theme_pages, thread_pages
from forum.cache import versions as cache_versions
from forum.following import levels as following
from forum.models import Comment, Notification, NotificationKind, VoteValue
from forum.moderation import comments as comment_actions
from forum.moderation import themes as theme_actions
from forum.moderation import threads as thread_actions
from forum.moderation.flow import carry_out
from forum.notifications.inbox import forget_unread
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settled_at_once")]



@pytest.fixture
def served(monkeypatch):
    """The stored pages served, as a list of True (from the store) and False (made) per request."""
    answers = []
    original = shells.Shell.get

    def spy(self, read=None):
        stored = original(self, read)
        answers.append(stored is not None)
        return stored

    monkeypatch.setattr(shells.Shell, "get", spy)
    return answers


@pytest.fixture
def busy_thread(thread, member, other_member, moderator):
    """Replies by several members, an agreement, a quote and a hidden comment."""
    others = [make_member(f"writer{n}@example.org", display_name=f"Writer {n}") for n in range(2)]
    first = reply(thread, other_member, "First reply with **bold** text", stance="support")
    second = reply(thread, others[0], "A reply to the first", parent=first)
    reply(thread, member, "The member's own reply", parent=second)
    reply(thread, others[1], f'> @"{other_member.display_name}" wrote:\n>\n> First reply\n\nQuoting it',
          parent=first, quoted_comment=first)
    agreements.agree(comment=first, member=member)
    hidden = reply(thread, others[1], "To be hidden")
    carry_out(comment_actions.Hide(Comment.objects.get(pk=hidden.pk), actor=moderator, reason="Off topic"))
    return thread


def even(html: str) -> str:
    """The page with what differs on every request (tokens, nonce, one-time key) evened out."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="-"', html)
    html = re.sub(r'nonce="[^"]+"', 'nonce="-"', html)
    return re.sub(r'name="submission_key" value="[^"]+"', 'name="submission_key" value="-"', html)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return even(response.content.decode())


READERS = ["member", "other_member", "unverified_member", "moderator"]


class TestTheStoredPageIsThePage:
    @pytest.mark.parametrize("who", READERS)
    def test_a_discussion_page_is_the_page_rendered_in_full(self, who, request, client, busy_thread, served,
                                                            monkeypatch):
        client.force_login(request.getfixturevalue(who))
        url = busy_thread.get_absolute_url()
        client.get(url)  # the first visit records what was read
        made, stored = page(client, url), page(client, url)

        monkeypatch.setattr(thread_pages.ThreadPage, "_usable", lambda self: False)
        in_full = page(client, url)

        assert made == stored == in_full
        assert served[-2:] == [True, True]  # moderators share a page of their own

    @pytest.mark.parametrize("who", READERS)
    def test_a_theme_page_is_the_page_rendered_in_full(self, who, request, client, busy_thread, served,
                                                       monkeypatch):
        client.force_login(request.getfixturevalue(who))
        url = busy_thread.theme.get_absolute_url()
        made, stored = page(client, url), page(client, url)

        monkeypatch.setattr(theme_pages.ThemePage, "response", lambda self, render: None)
        in_full = page(client, url)

        assert made == stored == in_full
        if who != "moderator":  # a moderator's list holds hidden discussions: built each time
            assert served[-1] is True

    @pytest.mark.parametrize("who", READERS)
    def test_an_article_page_is_the_page_rendered_in_full(self, who, request, client, source, served, monkeypatch):
        client.force_login(request.getfixturevalue(who))
        url = source.article.get_absolute_url()
        made, stored = page(client, url), page(client, url)

        monkeypatch.setattr(articles_views, "whole_page", lambda *args: None)
        in_full = page(client, url)

        assert made == stored == in_full
        assert served[-2:] == [False, True]

    def test_a_new_discussion_of_a_paragraph_shows_on_the_stored_article_page(self, client, source, theme, member,
                                                                               other_member):
        client.force_login(other_member)
        url = source.article.get_absolute_url()
        page(client, url)
        assert "1 comment in 1 discussion" not in page(client, url)
        services.start_thread(theme=theme, author=member, title="About this paragraph", body="Words.",
                              paragraph=source.paragraphs[0])

        assert "1 comment in 1 discussion" in page(client, url)

    def test_a_waiting_comment_shows_to_every_moderator_and_to_no_member(self, client, busy_thread, moderator,
                                                                        member, other_member, served):
        second_moderator = make_member("moderator2@example.org", display_name="Mo Two")
        second_moderator.groups.set(moderator.groups.all())
        waiting = reply(busy_thread, other_member, "Waiting for a look")
        Comment.objects.filter(pk=waiting.pk).update(needs_approval=True)
        cache_versions.renew(thread=busy_thread)
        url = busy_thread.get_absolute_url()
        for reader, sees in ((moderator, True), (second_moderator, True), (member, False)):
            client.force_login(reader)
            client.get(url)
            assert ("Waiting for a look" in page(client, url)) is sees
        assert served[2:4] == [True, True]  # the second moderator had the first one's page

    def test_a_facilitator_gets_the_page_with_their_own_choices(self, client, busy_thread, member, served):
        facilitator = make_member("facilitator@example.org", display_name="Fay Silitator")
        facilitator.user_permissions.add(*_respond_permission())
        url = busy_thread.get_absolute_url()
        client.force_login(member)
        client.get(url)
        members_page = page(client, url)
        client.force_login(facilitator)
        client.get(url)
        facilitators_page = page(client, url)

        assert served[-1] is True  # stored for facilitators too, apart from members' page
        assert "As a facilitator" in facilitators_page
        assert "As a facilitator" not in members_page


def _respond_permission():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename="respond_to_theme", content_type__app_label="forum")


class TestTokens:
    def test_a_reply_posted_with_the_token_from_a_stored_page_is_accepted(self, busy_thread, member,
                                                                           other_member, served):
        """The reply form's CSRF token is the reader's own, never the one of the reader the page
        was stored for (each of whom could otherwise unmask the other's secret)."""
        url = busy_thread.get_absolute_url()
        first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
        first.force_login(member)
        first.get(url)
        first.get(url)  # stored
        second.force_login(other_member)
        second.get(url)
        html = second.get(url).content.decode()
        assert served[-1] is True
        token = re.search(r'action="/threads/\d+/reply/".*?name="csrfmiddlewaretoken" value="([^"]+)"', html,
                          re.S).group(1)
        key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)

        response = second.post(f"/threads/{busy_thread.pk}/reply/",
                               {"csrfmiddlewaretoken": token, "submission_key": key, "body": "With my own token"})

        assert response.status_code == 302
        assert busy_thread.comments.filter(body="With my own token").exists()

    def test_no_token_is_kept_in_a_stored_page(self, client, busy_thread, member):
        from django.core.cache import cache

        client.force_login(member)
        client.get(busy_thread.get_absolute_url())
        client.get(busy_thread.get_absolute_url())
        token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
        # The test settings' cache is Django's local-memory one, whose keys are "prefix:version:key".
        stored = [cache.get(key.split(":", 2)[2]) for key in list(cache._cache) if "forum:shell:" in key]
        assert stored
        for entry in stored:
            text = b"".join(part for part in entry["page"].segments if isinstance(part, bytes)).decode()
            assert not re.search(r'csrfmiddlewaretoken" value="[A-Za-z0-9]', text)  # only marks
            assert not token or token not in text


class TestTheReadersOwnParts:
    def test_each_reader_gets_their_own_name_follow_button_and_votes(self, client, busy_thread, member, served):
        newcomer = make_member("newcomer@example.org", display_name="Nia Newcomer")
        url = busy_thread.get_absolute_url()
        following.set_thread_follow_level(member, busy_thread, "watching")
        client.force_login(newcomer)
        client.get(url)
        theirs = page(client, url)
        client.force_login(member)
        client.get(url)
        mine = page(client, url)

        assert served[-1] is True
        assert "Nia Newcomer" in theirs.split("</header>")[0] and "Nia Newcomer" not in mine.split("</header>")[0]
        assert "Stop following" in mine and "Stop following" not in theirs
        assert "Withdraw your agreement" in mine and "Withdraw your agreement" not in theirs

    def test_the_notification_count_in_the_header_is_the_readers_own(self, client, busy_thread, member,
                                                                     other_member, served):
        url = busy_thread.theme.get_absolute_url()
        Notification.objects.filter(recipient__in=[member, other_member]).delete()
        forget_unread([member.pk, other_member.pk])
        client.force_login(member)
        page(client, url)
        assert 'id="notification-count"' not in page(client, url)
        Notification.objects.create(recipient=member, kind=NotificationKind.MENTION, thread=busy_thread,
                                    theme=busy_thread.theme, actor=other_member)
        forget_unread([member.pk])

        assert 'id="notification-count">1<' in page(client, url)
        client.force_login(other_member)
        assert 'id="notification-count"' not in page(client, url)
        assert served[-1] is True

    def test_a_reader_with_a_comment_waiting_sees_it_and_others_do_not(self, client, busy_thread, member,
                                                                       other_member):
        url = busy_thread.get_absolute_url()
        client.force_login(member)
        client.get(url)
        page(client, url)
        waiting = reply(busy_thread, other_member, "Waiting for a look")
        Comment.objects.filter(pk=waiting.pk).update(needs_approval=True)
        cache_versions.renew(thread=busy_thread)

        assert "Waiting for a look" not in page(client, url)
        client.force_login(other_member)
        assert "Waiting for a look" in page(client, busy_thread.get_page_url(1))

    def test_a_reader_with_a_discussion_waiting_sees_it_on_the_theme_page(self, client, busy_thread, other_member,
                                                                          member):
        theme = busy_thread.theme
        client.force_login(member)
        page(client, theme.get_absolute_url())
        page(client, theme.get_absolute_url())
        waiting = services.start_thread(theme=theme, author=other_member, title="A discussion to check first",
                                        body="Words.")
        type(waiting).objects.filter(pk=waiting.pk).update(needs_approval=True)

        client.force_login(other_member)
        assert "A discussion to check first" in page(client, theme.get_absolute_url())
        client.force_login(member)
        assert "A discussion to check first" not in page(client, theme.get_absolute_url())

    def test_unread_links_on_the_theme_page_are_each_readers_own(self, client, busy_thread, member, other_member):
        theme_url = busy_thread.theme.get_absolute_url()
        client.force_login(member)
        client.get(busy_thread.get_absolute_url())  # the member has read it all
        client.force_login(other_member)
        unread_for_other = page(client, theme_url)
        client.force_login(member)
        read_by_member = page(client, theme_url)

        assert " unread<span" in unread_for_other
        assert " unread<span" not in read_by_member


class TestEveryChangeShowsAtOnce:
    @pytest.mark.parametrize("change", ["reply", "edit", "hide", "agree", "disagree", "rename", "lock", "close"])
    def test_on_the_stored_discussion_page(self, change, client, busy_thread, member, other_member, moderator,
                                           served):
        reader = make_member("reader@example.org", display_name="Ray Dare")
        url = busy_thread.get_absolute_url()
        client.force_login(reader)
        client.get(url)
        page(client, url)
        assert served[-1] is True
        first = busy_thread.comments.get(position=2)
        expected, gone = _make(change, busy_thread, first, reader, member, moderator)

        html = page(client, url)

        if expected:
            assert expected in html
        if gone:
            assert gone not in html

    @pytest.mark.parametrize("change", ["reply", "new discussion", "close"])
    def test_on_the_stored_theme_page(self, change, client, busy_thread, member, other_member, moderator, served):
        url = busy_thread.theme.get_absolute_url()
        client.force_login(other_member)
        page(client, url)
        page(client, url)
        assert served[-1] is True
        if change == "reply":
            reply(busy_thread, member, "One more")
            busy_thread.refresh_from_db()
            expected = f'numeric">{busy_thread.reply_count}</td>'
        elif change == "new discussion":
            services.start_thread(theme=busy_thread.theme, author=member, title="A brand new discussion", body="Hi")
            expected = "A brand new discussion"
        else:
            carry_out(theme_actions.SetStatus(busy_thread.theme, actor=moderator, status="closed",
                                                 reason="Done"))
            expected = "Closed by the facilitators: Done"

        assert expected in page(client, url)


def _make(change, thread, first, reader, member, moderator) -> tuple[str | None, str | None]:
    """Make one kind of change; what the page should then show, and what it should no longer."""
    if change == "reply":
        reply(thread, member, "A brand new reply")
        return "A brand new reply", None
    if change == "edit":
        services.edit_comment(comment=first, editor=first.author, body="Changed words")
        return "Changed words", "First reply with"
    if change == "hide":
        carry_out(comment_actions.Hide(first, actor=moderator, reason="Checking"))
        return "Hidden by a moderator", "First reply with"
    if change == "agree":
        agreements.agree(comment=first, member=reader)
        return "Withdraw your agreement", None
    if change == "disagree":
        agreements.vote(comment=first, member=reader, value=VoteValue.DISAGREE)
        return "Withdraw your disagreement", None
    if change == "rename":
        author = first.author
        author.display_name = "A Completely New Name"
        author.save()
        return "A Completely New Name", None
    if change == "lock":
        carry_out(thread_actions.Lock(thread, actor=moderator, reason="Enough said"))
        return "Locked", "Reply<span"
    carry_out(theme_actions.SetStatus(thread.theme, actor=moderator, status="closed", reason="Done"))
    return "closed", "Reply<span"
