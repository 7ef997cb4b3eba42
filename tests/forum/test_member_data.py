"""The forum's part of "download my data", "delete my account" and the profile's activity."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder

from accounts.privacy import delete_account
from forum import member_data, reading
from forum.models import ERASED_PLACEHOLDER, FORMER_MEMBER, Comment, CommentRevision, Mention, ThreadReadState
from forum.posting import services
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(thread, member, other_member):
    """The member started a thread, edited a comment, replied and read; someone mentioned them."""
    mine = reply(thread, member, body="My reply, first draft")
    services.edit_comment(comment=mine, editor=member, body="My reply, second draft")
    reading.mark_thread_read(user=member, thread=thread, position=2)
    theirs = reply(thread, other_member, body=f'@"{member.display_name}" thanks', parent=mine)
    return {"mine": mine, "theirs": theirs}


class TestExport:
    def test_it_holds_threads_comments_with_revisions_and_read_state(self, history, member, thread):
        data = member_data.export_member_data(member)
        assert [t["title"] for t in data["threads"]] == [thread.title]
        comments = {c["id"]: c for c in data["comments"]}
        mine = comments[history["mine"].pk]
        assert mine["body"] == "My reply, second draft"
        assert [r["body"] for r in mine["revisions"]] == ["My reply, first draft", "My reply, second draft"]
        assert data["read_states"] == [
            {
                "thread_id": thread.pk,
                "thread_title": thread.title,
                "last_read_position": 2,
                "updated_at": data["read_states"][0]["updated_at"],
            }
        ]
        json.dumps(data, cls=DjangoJSONEncoder)

    def test_it_leaves_out_other_peoples_words(self, history, member):
        data = member_data.export_member_data(member)
        assert history["theirs"].pk not in {c["id"] for c in data["comments"]}


class TestErase:
    def test_posts_stay_but_are_attributed_to_a_former_member(self, history, member, thread):
        member_data.erase_member_data(member, remove_text=False)
        mine = Comment.objects.get(pk=history["mine"].pk)
        thread.refresh_from_db()
        assert mine.author_name == FORMER_MEMBER and thread.author_name == FORMER_MEMBER
        assert mine.body == "My reply, second draft"
        assert mine.revisions.count() == 2
        assert not ThreadReadState.objects.filter(user=member).exists()
        assert not Mention.objects.filter(member=member).exists()

    def test_with_remove_text_the_words_and_history_go(self, history, member, thread):
        member_data.erase_member_data(member, remove_text=True)
        for comment in Comment.objects.filter(author=member):
            assert comment.body == ERASED_PLACEHOLDER
            assert ERASED_PLACEHOLDER.split(" ")[0] in comment.body_html
        assert not CommentRevision.objects.filter(comment__author=member).exists()
        theirs = Comment.objects.get(pk=history["theirs"].pk)
        assert theirs.body.endswith("thanks") and theirs.revisions.count() == 1

    def test_the_account_deletion_runs_the_forum_part_and_pages_still_read(self, client, history, member, thread):
        delete_account(user=member, remove_text=True)
        page = client.get(thread.get_absolute_url()).content.decode()
        assert "Former member" in page
        assert "second draft" not in page
        assert member.email not in page

    def test_counters_are_unchanged(self, history, member, thread):
        thread.refresh_from_db()
        before = (thread.comment_count, thread.theme.comment_count)
        member_data.erase_member_data(member, remove_text=True)
        thread.refresh_from_db()
        thread.theme.refresh_from_db()
        assert (thread.comment_count, thread.theme.comment_count) == before


class TestPublicActivity:
    def test_it_counts_and_lists_public_comments_newest_first(self, history, member, thread):
        hidden = reply(thread, member, body="Hidden one")
        Comment.objects.filter(pk=hidden.pk).update(is_hidden=True)
        services.delete_comment(comment=reply(thread, member, body="Withdrawn"), deleted_by=member)
        activity = member_data.public_activity(member, viewer=AnonymousUser())
        assert activity["post_count"] == 2
        assert [post["excerpt"] for post in activity["recent_posts"]] == ["My reply, second draft", "Opening comment."]
        assert activity["recent_posts"][0]["url"] == history["mine"].get_absolute_url()
        assert activity["recent_posts"][0]["title"] == thread.title

    def test_it_costs_two_queries(self, history, member, django_assert_num_queries):
        with django_assert_num_queries(2):
            member_data.public_activity(member, viewer=AnonymousUser())
