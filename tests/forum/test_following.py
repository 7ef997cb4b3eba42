"""Following themes and threads: levels, defaults, the follow forms and the Following page."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from forum import reading
from forum.following import levels as following
from forum.models import FollowLevel, ThemeFollow, ThreadFollow
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def level_of(user, thread):
    return ThreadFollow.objects.filter(user=user, thread=thread).values_list("level", flat=True).first()


class TestDefaults:
    def test_starting_a_discussion_watches_it(self, thread, member):
        assert level_of(member, thread) == FollowLevel.WATCHING

    def test_commenting_tracks_the_discussion(self, thread, other_member):
        reply(thread, other_member)
        assert level_of(other_member, thread) == FollowLevel.TRACKING

    def test_commenting_again_keeps_the_level_the_member_chose(self, thread, other_member):
        following.set_thread_follow_level(other_member, thread, FollowLevel.MUTED)
        reply(thread, other_member)
        assert level_of(other_member, thread) == FollowLevel.MUTED

    def test_the_author_commenting_in_their_own_discussion_stays_watching(self, thread, member):
        reply(thread, member)
        assert level_of(member, thread) == FollowLevel.WATCHING

    def test_a_comment_waiting_for_a_moderator_still_follows_the_discussion(self, thread, other_member):
        reply(thread, other_member, needs_approval=True)
        assert level_of(other_member, thread) == FollowLevel.TRACKING


class TestLevels:
    def test_a_thread_level_wins_over_the_theme_level(self, theme, thread, other_member):
        following.set_theme_follow_level(other_member, theme, FollowLevel.WATCHING)
        assert following.effective_level(other_member, thread) == FollowLevel.WATCHING
        following.set_thread_follow_level(other_member, thread, FollowLevel.MUTED)
        assert following.effective_level(other_member, thread) == FollowLevel.MUTED

    def test_a_watched_thread_speaks_inside_a_muted_theme(self, theme, thread, other_member):
        following.set_theme_follow_level(other_member, theme, FollowLevel.MUTED)
        following.set_thread_follow_level(other_member, thread, FollowLevel.WATCHING)
        assert following.effective_level(other_member, thread) == FollowLevel.WATCHING

    def test_nothing_chosen_is_normal(self, thread, other_member):
        assert following.effective_level(other_member, thread) == FollowLevel.NORMAL

    def test_normal_on_a_theme_removes_the_row(self, theme, other_member):
        following.set_theme_follow_level(other_member, theme, FollowLevel.TRACKING)
        following.set_theme_follow_level(other_member, theme, FollowLevel.NORMAL)
        assert not ThemeFollow.objects.filter(user=other_member).exists()

    def test_normal_on_a_thread_is_kept_because_it_overrides_the_theme(self, theme, thread, other_member):
        following.set_theme_follow_level(other_member, theme, FollowLevel.WATCHING)
        following.set_thread_follow_level(other_member, thread, FollowLevel.NORMAL)
        assert following.effective_level(other_member, thread) == FollowLevel.NORMAL

    def test_an_unknown_level_is_refused(self, theme, other_member):
        with pytest.raises(ValueError):
            following.set_theme_follow_level(other_member, theme, "loud")

    def test_effective_level_takes_one_query(self, theme, thread, other_member, django_assert_num_queries):
        following.set_theme_follow_level(other_member, theme, FollowLevel.WATCHING)
        with django_assert_num_queries(1):
            following.effective_level(other_member, thread)


class TestFollowForms:
    def test_a_member_follows_a_theme_without_javascript(self, client, theme, other_member):
        client.force_login(other_member)
        url = reverse("forum:follow_theme", kwargs={"slug": theme.slug})
        response = client.post(url, {"level": "watching"})
        assert response.status_code == 302 and response["Location"] == theme.get_absolute_url()
        assert ThemeFollow.objects.get(user=other_member, theme=theme).level == FollowLevel.WATCHING
        page = soup(client.get(theme.get_absolute_url()))
        assert "You now follow the theme" in page.get_text()
        follow = page.select_one("#follow-theme")
        assert "Following" in follow.get_text()
        assert follow.find("button").get_text(" ", strip=True) == "Stop following this theme"

    def test_the_button_follows_and_stops_and_the_following_page_agrees(self, client, theme, other_member):
        client.force_login(other_member)
        page = soup(client.get(theme.get_absolute_url()))
        button = page.select_one("#follow-theme button")
        assert button.get_text(" ", strip=True) == "Follow this theme"
        assert page.select_one("#follow-theme input[name=level]")["value"] == "watching"
        client.post(reverse("forum:follow_theme", kwargs={"slug": theme.slug}), {"level": "watching"})
        listed = soup(client.get(reverse("forum:following"))).get_text()
        assert theme.title in listed and "Watching" in listed
        response = client.post(reverse("forum:follow_theme", kwargs={"slug": theme.slug}), {"level": "normal"})
        assert not ThemeFollow.objects.filter(user=other_member).exists()
        page = soup(client.get(response["Location"]))
        assert f"You no longer follow the theme “{theme.title}”" in page.get_text()
        assert page.select_one("#follow-theme button").get_text(" ", strip=True) == "Follow this theme"
        assert "You do not follow any theme" in soup(client.get(reverse("forum:following"))).get_text()

    def test_a_member_mutes_a_thread(self, client, thread, other_member):
        client.force_login(other_member)
        response = client.post(reverse("forum:follow_thread", kwargs={"pk": thread.pk}), {"level": "muted"})
        assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
        assert level_of(other_member, thread) == FollowLevel.MUTED

    def test_htmx_gets_the_form_back_instead_of_a_redirect(self, client, thread, other_member):
        client.force_login(other_member)
        response = client.post(
            reverse("forum:follow_thread", kwargs={"pk": thread.pk}), {"level": "watching"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        page = soup(response)
        assert page.select_one("#follow-thread")
        assert "You now follow the discussion" in page.select_one("[role=status]").get_text()

    def test_the_thread_form_says_when_the_level_comes_from_the_theme(self, client, theme, thread, other_member):
        following.set_theme_follow_level(other_member, theme, FollowLevel.WATCHING)
        client.force_login(other_member)
        text = soup(client.get(thread.get_absolute_url())).select_one("#follow-thread").get_text()
        assert "Following" in text and "You follow this discussion through its theme" in text

    def test_it_goes_back_to_a_safe_next_address_only(self, client, thread, other_member):
        client.force_login(other_member)
        url = reverse("forum:follow_thread", kwargs={"pk": thread.pk})
        ok = client.post(url, {"level": "tracking", "next": "/following/"})
        assert ok["Location"] == "/following/"
        evil = client.post(url, {"level": "tracking", "next": "https://evil.example/"})
        assert evil["Location"] == thread.get_absolute_url()

    def test_anonymous_readers_are_sent_to_sign_in(self, client, theme):
        response = client.post(reverse("forum:follow_theme", kwargs={"slug": theme.slug}), {"level": "watching"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not ThemeFollow.objects.exists()
        page = soup(client.get(theme.get_absolute_url()))
        assert page.find("a", string="Sign in to follow this theme")

    def test_an_unconfirmed_member_cannot_follow(self, client, theme, unverified_member):
        client.force_login(unverified_member)
        response = client.post(reverse("forum:follow_theme", kwargs={"slug": theme.slug}), {"level": "watching"})
        assert response.status_code == 403
        assert not ThemeFollow.objects.exists()

    def test_get_is_not_allowed(self, client, theme, other_member):
        client.force_login(other_member)
        assert client.get(reverse("forum:follow_theme", kwargs={"slug": theme.slug})).status_code == 405

    def test_a_bad_level_changes_nothing(self, client, theme, other_member):
        client.force_login(other_member)
        response = client.post(reverse("forum:follow_theme", kwargs={"slug": theme.slug}), {"level": "loud"})
        assert response.status_code == 302
        assert not ThemeFollow.objects.exists()

    def test_a_hidden_thread_cannot_be_followed(self, client, thread, other_member):
        type(thread).objects.filter(pk=thread.pk).update(is_hidden=True)
        client.force_login(other_member)
        response = client.post(reverse("forum:follow_thread", kwargs={"pk": thread.pk}), {"level": "watching"})
        assert response.status_code == 404


class TestFollowingPage:
    def test_it_lists_themes_and_discussions_with_their_levels(self, client, theme, thread, other_member):
        following.set_theme_follow_level(other_member, theme, FollowLevel.WATCHING)
        reply(thread, other_member)
        client.force_login(other_member)
        page = soup(client.get(reverse("forum:following")))
        rows = [" ".join(row.get_text().split()) for row in page.select("tbody tr")]
        assert any(theme.title in row and "Watching" in row for row in rows)
        assert any(thread.title in row and "Tracking" in row for row in rows)

    def test_it_shows_unread_counts(self, client, thread, other_member, member):
        reading.mark_thread_read(user=other_member, thread=thread, position=1)
        following.set_thread_follow_level(other_member, thread, FollowLevel.TRACKING)
        reply(thread, member)
        reply(thread, member)
        client.force_login(other_member)
        assert "2 unread" in soup(client.get(reverse("forum:following"))).get_text()

    def test_normal_discussions_are_not_listed(self, client, thread, other_member):
        following.set_thread_follow_level(other_member, thread, FollowLevel.NORMAL)
        client.force_login(other_member)
        assert thread.title not in soup(client.get(reverse("forum:following"))).select_one("main").get_text()

    def test_anonymous_readers_are_sent_to_sign_in(self, client):
        response = client.get(reverse("forum:following"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_it_keeps_to_its_query_budget(self, client, member, django_assert_max_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(member)
        client.get(reverse("forum:following"))  # the first request also records the session
        counts = []
        for n in (2, 20):
            for i in range(n - ThreadFollow.objects.filter(user=member).count()):
                theme = make_theme(f"budget-{n}-{i}", position=10 + i)
                following.set_theme_follow_level(member, theme, FollowLevel.WATCHING)
                services.start_thread(theme=theme, author=member, title=f"Thread {n} {i}", body="Body")
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("forum:following")).status_code == 200
            counts.append(len(queries.captured_queries))
        assert counts[0] == counts[1]
        with django_assert_max_num_queries(12):
            client.get(reverse("forum:following"))


class TestFeeds:
    def test_a_theme_feed_lists_public_comments_only(self, client, theme, thread, other_member, moderator):
        visible = reply(thread, other_member, body="Visible reply")
        hidden = reply(thread, other_member, body="Hidden reply")
        pending = reply(thread, make_member("new@example.org", display_name="New Person"), body="Pending reply",
                        needs_approval=True)
        deleted = reply(thread, other_member, body="Deleted reply")
        type(hidden).objects.filter(pk=hidden.pk).update(is_hidden=True)
        services.delete_comment(comment=deleted, deleted_by=other_member)
        response = client.get(reverse("forum:theme_feed", kwargs={"slug": theme.slug}))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
        body = response.content.decode()
        assert "Visible reply" in body and visible.get_absolute_url() in body
        assert "Hidden reply" not in body and "Pending reply" not in body
        assert deleted.get_absolute_url() not in body
        assert pending.get_absolute_url() not in body

    def test_a_thread_feed_lists_its_comments(self, client, thread, other_member):
        reply(thread, other_member, body="Second thoughts")
        body = client.get(reverse("forum:thread_feed", kwargs={"pk": thread.pk})).content.decode()
        assert "Second thoughts" in body and "Opening comment." in body

    def test_a_hidden_thread_has_no_feed(self, client, thread):
        type(thread).objects.filter(pk=thread.pk).update(is_hidden=True)
        assert client.get(reverse("forum:thread_feed", kwargs={"pk": thread.pk})).status_code == 404

    def test_pages_link_to_their_feeds(self, client, theme, thread):
        theme_page = soup(client.get(theme.get_absolute_url()))
        link = theme_page.find("link", rel="alternate", type="application/atom+xml")
        assert link["href"] == reverse("forum:theme_feed", kwargs={"slug": theme.slug})
        thread_page = soup(client.get(thread.get_absolute_url()))
        link = thread_page.find("link", rel="alternate", type="application/atom+xml")
        assert link["href"] == reverse("forum:thread_feed", kwargs={"pk": thread.pk})


def test_an_htmx_save_leaves_no_message_for_the_next_page(client, thread, other_member):
    client.force_login(other_member)
    client.post(reverse("forum:follow_thread", kwargs={"pk": thread.pk}), {"level": "watching"},
                HTTP_HX_REQUEST="true")
    assert "You now follow" not in client.get(thread.get_absolute_url()).content.decode()
