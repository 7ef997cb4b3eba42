"""Word and link filters: block with a message (text kept), send to review, replace; the
moderators' filter page; the new-member link limit."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments


from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from forum.models import Comment, ModerationLogEntry, WordFilter
from forum.posting import filters
from tests.conftest import make_member
from tests.forum.moderation_support import mod_client, totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db


def add(pattern, action, **extra):
    word_filter = WordFilter.objects.create(pattern=pattern, action=action, **extra)
    filters.forget()
    return word_filter


@pytest.fixture
def established(db):
    user = make_member("old@example.org", display_name="Olu Established")
    user.date_joined = timezone.now() - timedelta(days=90)
    user.save(update_fields=["date_joined"])
    return user


class TestApplyFilters:
    def test_a_block_match_refuses_with_the_filters_message(self, established):
        add("idiot", "block", message="Please disagree without insults.")
        result = filters.apply_filters("What an Idiot idea.", established)
        assert not result.ok and result.blocked == "Please disagree without insults."

    def test_without_a_message_the_block_names_the_matched_text(self, established):
        add("idiot", "block")
        assert "“Idiot”" in filters.apply_filters("Idiot.", established).blocked

    def test_words_match_whole_words_only(self, established):
        add("ass", "block")
        assert filters.apply_filters("An assessment of class sizes.", established).ok

    def test_replace_changes_the_text(self, established):
        add("darn", "replace", replacement="[removed]")
        assert filters.apply_filters("Darn it, darn.", established).body == "[removed] it, [removed]."

    def test_review_marks_the_comment_for_the_queue(self, established):
        add(r"\b\d{3} ?\d{3} ?\d{4}\b", "review", is_regex=True)
        result = filters.apply_filters("Her number is 943 476 5919.", established)
        assert result.ok and result.needs_review

    def test_moderators_are_not_filtered(self, totp_moderator):
        add("idiot", "block")
        assert filters.apply_filters("idiot", totp_moderator).ok

    def test_new_members_may_post_only_so_many_links(self, member, settings):
        settings.NEW_MEMBER_MAX_LINKS = 2
        body = "See https://a.example, https://b.example and www.c.example.org."
        result = filters.apply_filters(body, member)
        assert not result.ok and "up to 2 links" in result.blocked

    def test_established_members_may_post_more_links(self, established, settings):
        settings.NEW_MEMBER_MAX_LINKS = 2
        assert filters.apply_filters("https://a.example https://b.example https://c.example", established).ok


class TestPostingThroughTheForm:
    def test_a_blocked_comment_keeps_its_text_and_says_why(self, client, thread, established):
        add("idiot", "block", message="Please disagree without insults.")
        client.force_login(established)
        response = client.post(reverse("forum:reply", args=[thread.pk]),
                               {"action": "post", "body": "Only an idiot would say this."})
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        assert "Please disagree without insults." in soup.select_one(".nhsuk-error-summary").get_text()
        assert soup.find("textarea", attrs={"name": "body"}).get_text().strip() == "Only an idiot would say this."
        assert not Comment.objects.filter(author=established).exists()

    def test_a_replacement_is_saved(self, client, thread, established):
        add("darn", "replace", replacement="[removed]")
        client.force_login(established)
        client.post(reverse("forum:reply", args=[thread.pk]), {"action": "post", "body": "Darn waiting lists."})
        assert Comment.objects.get(author=established).body == "[removed] waiting lists."

    def test_a_blocked_new_discussion_keeps_title_and_text(self, client, theme, established):
        add("idiot", "block")
        client.force_login(established)
        response = client.post(reverse("forum:start_thread", args=[theme.slug]),
                               {"action": "post", "title": "A title", "body": "idiot"})
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.find("input", attrs={"name": "title"})["value"] == "A title"

    def test_an_edit_is_filtered_too(self, client, thread, member):
        add("idiot", "block")
        opening = thread.comments.get()
        client.force_login(member)
        response = client.post(reverse("forum:comment_edit", args=[opening.pk]), {"action": "post", "body": "idiot"})
        assert response.status_code == 200
        assert Comment.objects.get(pk=opening.pk).body == "Opening comment."


class TestFilterPage:
    def test_moderators_add_a_filter_and_it_is_logged(self, mod_client, totp_moderator):
        response = mod_client.post(reverse("forum:moderation_filters"),
                                   {"pattern": "miracle cure", "action": "review"})
        assert response.status_code == 302
        word_filter = WordFilter.objects.get()
        assert word_filter.pattern == "miracle cure" and word_filter.created_by == totp_moderator
        assert ModerationLogEntry.objects.filter(action="filter_add", target_id=word_filter.pk).exists()
        page = mod_client.get(reverse("forum:moderation_filters")).content.decode()
        assert "miracle cure" in page

    def test_a_new_filter_applies_at_once(self, mod_client, member):
        assert filters.apply_filters("a miracle cure", member).ok  # fills the cache
        mod_client.post(reverse("forum:moderation_filters"), {"pattern": "miracle cure", "action": "block"})
        assert not filters.apply_filters("a miracle cure", member).ok

    def test_an_invalid_regular_expression_is_refused(self, mod_client):
        response = mod_client.post(reverse("forum:moderation_filters"),
                                   {"pattern": "(unclosed", "is_regex": "on", "action": "block"})
        assert "not a valid regular expression" in response.content.decode()
        assert not WordFilter.objects.exists()

    def test_a_pattern_that_matches_everything_is_refused(self, mod_client):
        response = mod_client.post(reverse("forum:moderation_filters"),
                                   {"pattern": ".*", "is_regex": "on", "action": "block"})
        assert "matches empty text" in response.content.decode()

    def test_removing_a_filter(self, mod_client, member):
        word_filter = add("idiot", "block")
        assert not filters.apply_filters("idiot", member).ok
        response = mod_client.post(reverse("forum:moderation_filter_delete", args=[word_filter.pk]))
        assert response.status_code == 302
        assert not WordFilter.objects.exists()
        assert filters.apply_filters("idiot", member).ok
        assert ModerationLogEntry.objects.filter(action="filter_delete").exists()

    def test_members_cannot_see_the_filters(self, member_client):
        assert member_client.get(reverse("forum:moderation_filters")).status_code == 403
