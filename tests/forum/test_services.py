"""Forum workflows: starting threads, commenting, editing, deleting, reading, counting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.models import StakeholderGroup
from config.markdown import RENDERER_VERSION
from forum import reading
from forum.models import Comment, CommentRevision, Mention, Theme, ThemePassage, Thread, ThreadReadState
from forum.posting import quoting, services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db


def refreshed(obj):
    obj.refresh_from_db()
    return obj


class TestStartThread:
    def test_it_saves_the_thread_and_its_opening_comment_together(self, theme, member):
        thread = services.start_thread(theme=theme, author=member, title="  Waiting lists  ", body="**First** point")
        comment = thread.comments.get()
        assert thread.title == "Waiting lists"
        assert thread.slug == "waiting-lists"
        assert thread.author_name == member.public_name
        assert comment.position == 1
        assert comment.body_html == "<p><strong>First</strong> point</p>\n"
        assert comment.renderer_version == RENDERER_VERSION
        assert comment.revisions.count() == 1

    def test_it_counts_the_thread_and_comment_on_the_theme(self, theme, member):
        thread = services.start_thread(theme=theme, author=member, title="One", body="Body")
        theme = refreshed(theme)
        thread = refreshed(thread)
        assert (theme.thread_count, theme.comment_count) == (1, 1)
        assert thread.comment_count == 1 and thread.last_position == 1
        assert theme.participant_groups == [StakeholderGroup.NHS] == thread.participant_groups
        assert theme.last_activity_at == thread.last_activity_at

    def test_nothing_is_saved_when_the_opening_comment_fails(self, theme, member, monkeypatch):
        def broken(**kwargs):
            raise IntegrityError("simulated")

        monkeypatch.setattr(services, "create_comment", broken)
        with pytest.raises(IntegrityError):
            services.start_thread(theme=theme, author=member, title="One", body="Body")
        assert not Thread.objects.exists()

    def test_an_anchored_thread_copies_the_paragraph(self, theme, member, source):
        paragraph = source.paragraphs[1]
        thread = services.start_thread(theme=theme, author=member, title="T", body="B", paragraph=paragraph)
        assert thread.anchor_paragraph == paragraph
        assert thread.anchor_key == paragraph.key
        assert thread.anchor_text == paragraph.text
        assert thread.anchor_source == source.article.title
        assert thread.anchor_url == paragraph.get_absolute_url()
        assert not thread.anchor_changed

    def test_a_thread_waiting_for_approval_is_not_counted(self, theme, member):
        services.start_thread(theme=theme, author=member, title="T", body="B", needs_approval=True)
        theme = refreshed(theme)
        assert (theme.thread_count, theme.comment_count) == (0, 0)


class TestCreateComment:
    def test_positions_run_from_one_within_each_thread(self, thread, other_member, theme, member):
        second = reply(thread, other_member)
        third = reply(thread, member)
        other = services.start_thread(theme=theme, author=member, title="Other", body="B")
        assert [second.position, third.position] == [2, 3]
        assert other.comments.get().position == 1

    def test_counters_and_groups_follow_each_comment(self, thread, other_member):
        reply(thread, other_member)
        thread = refreshed(thread)
        theme = refreshed(thread.theme)
        assert thread.comment_count == 2 and thread.reply_count == 1
        assert theme.comment_count == 2
        assert thread.participant_groups == sorted([StakeholderGroup.NHS, StakeholderGroup.SOCIAL_CARE])
        assert theme.participant_groups == thread.participant_groups

    def test_a_comment_waiting_for_approval_takes_a_position_but_is_not_counted(self, thread, other_member):
        pending = reply(thread, other_member, needs_approval=True)
        after = reply(thread, other_member)
        thread = refreshed(thread)
        assert (pending.position, after.position) == (2, 3)
        assert thread.comment_count == 2 and thread.last_position == 3

    def test_mentions_are_recorded_but_not_of_the_author(self, thread, member, other_member):
        comment = reply(thread, member, body=f'@"{other_member.display_name}" and @"{member.display_name}"')
        assert list(comment.mentions.values_list("member", flat=True)) == [other_member.pk]

    def test_a_quote_records_the_quoted_passage(self, thread, member, other_member):
        quoted = thread.comments.get()
        body = quoting.quote_as_markdown(quoted) + "I agree."
        comment = reply(thread, other_member, body=body, quoted_comment=quoted, parent=quoted)
        assert comment.quoted_comment == quoted
        assert comment.quoted_text == "Opening comment."
        assert comment.parent == quoted

    def test_a_quote_removed_before_posting_is_not_recorded(self, thread, other_member):
        quoted = thread.comments.get()
        comment = reply(thread, other_member, body="No quote left.", quoted_comment=quoted)
        assert comment.quoted_comment is None and comment.quoted_text == ""


class TestEditComment:
    def test_every_version_is_kept(self, thread, member):
        comment = thread.comments.get()
        services.edit_comment(comment=comment, editor=member, body="Second version")
        services.edit_comment(comment=comment, editor=member, body="Third *version*", stance="evidence")
        comment = refreshed(comment)
        assert comment.body_html == "<p>Third <em>version</em></p>\n"
        assert comment.stance == "evidence"
        assert comment.is_edited
        assert list(comment.revisions.values_list("body", flat=True)) == [
            "Third *version*",
            "Second version",
            "Opening comment.",
        ]

    def test_mentions_follow_the_text(self, thread, member, other_member):
        comment = reply(thread, member, body='@"Priya Shah" what do you think?')
        assert comment.mentions.count() == 1
        services.edit_comment(comment=comment, editor=member, body="On reflection, no mention.")
        assert comment.mentions.count() == 0


class TestDeleteComment:
    def test_text_and_history_go_but_the_place_stays(self, thread, member, other_member):
        comment = reply(thread, member, body='Something to withdraw, @"Priya Shah"')
        services.edit_comment(comment=comment, editor=member, body="Edited once")
        services.delete_comment(comment=comment, deleted_by=member)
        comment = refreshed(comment)
        assert comment.is_deleted and comment.deleted_at
        assert comment.body == "" and comment.body_html == ""
        assert not CommentRevision.objects.filter(comment=comment).exists()
        assert not Mention.objects.filter(comment=comment).exists()
        assert comment.position == 2

    def test_it_takes_the_comment_out_of_the_counts(self, thread, member):
        comment = reply(thread, member)
        services.delete_comment(comment=comment, deleted_by=member)
        assert refreshed(thread).comment_count == 1
        assert refreshed(thread.theme).comment_count == 1


class TestReadState:
    def test_the_first_visit_creates_the_read_state(self, thread, member):
        reading.mark_thread_read(user=member, thread=thread, position=1)
        assert ThreadReadState.objects.get(user=member, thread=thread).last_read_position == 1

    def test_reading_never_moves_backwards(self, thread, member):
        reading.mark_thread_read(user=member, thread=thread, position=5)
        reading.mark_thread_read(user=member, thread=thread, position=2)
        assert ThreadReadState.objects.get(user=member, thread=thread).last_read_position == 5

    def test_with_the_annotation_it_uses_one_query_when_moving_on(
        self, thread, member, django_assert_num_queries
    ):
        reading.mark_thread_read(user=member, thread=thread, position=1)
        annotated = Thread.objects.with_read_state(member).get(pk=thread.pk)
        with django_assert_num_queries(1):
            reading.mark_thread_read(user=member, thread=annotated, position=3)
        with django_assert_num_queries(0):
            reading.mark_thread_read(user=member, thread=annotated, position=2)

    def test_anonymous_readers_are_not_tracked(self, thread, client):
        from django.contrib.auth.models import AnonymousUser

        reading.mark_thread_read(user=AnonymousUser(), thread=thread, position=1)
        assert not ThreadReadState.objects.exists()

    def test_unread_counts_are_annotated_per_thread(self, theme, thread, member, other_member):
        reply(thread, other_member)
        reply(thread, other_member)
        reading.mark_thread_read(user=member, thread=thread, position=1)
        fresh = services.start_thread(theme=theme, author=other_member, title="Fresh", body="B")
        counts = dict(Thread.objects.with_unread_count(member).values_list("pk", "unread_count"))
        assert counts == {thread.pk: 2, fresh.pk: 1}


class TestParagraphStats:
    @pytest.fixture
    def discussed(self, theme, source, member, other_member):
        first, second, _third = source.paragraphs
        a = services.start_thread(theme=theme, author=member, title="A", body="B", paragraph=first)
        reply(a, other_member)
        services.start_thread(theme=theme, author=member, title="C", body="D", paragraph=first)
        services.start_thread(theme=theme, author=other_member, title="E", body="F", paragraph=second)
        services.start_thread(
            theme=theme, author=other_member, title="Pending", body="G", paragraph=second, needs_approval=True
        )
        return a

    def test_it_sums_public_comments_and_groups_per_paragraph_in_one_query(
        self, discussed, source, django_assert_num_queries
    ):
        first, second, third = source.paragraphs
        with django_assert_num_queries(1):
            stats = reading.paragraph_discussion_stats(source.article)
        assert (stats[first.pk].thread_count, stats[first.pk].comment_count) == (2, 3)
        assert set(stats[first.pk].participant_groups) == {StakeholderGroup.NHS, StakeholderGroup.SOCIAL_CARE}
        assert (stats[second.pk].thread_count, stats[second.pk].comment_count) == (1, 1)
        assert stats[second.pk].group_labels == ["Social care provider"]
        assert third.pk not in stats

    def test_the_figures_join_onto_paragraphs_without_another_query(
        self, discussed, source, django_assert_num_queries
    ):
        from articles.models import Paragraph

        with django_assert_num_queries(1):
            paragraphs = list(reading.with_discussion_stats(Paragraph.objects.all()))
            stats = reading.discussion_stats_of(paragraphs)
        assert {pk: s.comment_count for pk, s in stats.items()} == {
            source.paragraphs[0].pk: 3,
            source.paragraphs[1].pk: 1,
        }

    def test_without_the_join_it_reads_nothing(self, discussed, source, django_assert_num_queries):
        from articles.models import Paragraph

        paragraphs = list(Paragraph.objects.all())
        with django_assert_num_queries(0):
            assert reading.discussion_stats_of(paragraphs) == {}

    def test_deleting_a_comment_takes_it_out_of_the_paragraph_figures(self, discussed, source, other_member):
        services.delete_comment(comment=discussed.comments.get(position=2), deleted_by=other_member)
        assert reading.paragraph_discussion_stats(source.article)[source.paragraphs[0].pk].comment_count == 2


class TestThemeQueries:
    def test_accepting_posts_respects_status_and_closing_date(self, source):
        open_theme = make_theme("open")
        make_theme("closed", status="closed")
        make_theme("past", closes_at=timezone.now() - timedelta(hours=1))
        future = make_theme("future", closes_at=timezone.now() + timedelta(days=3))
        assert set(Theme.objects.accepting_posts()) == {open_theme, future}

    def test_drawing_on_finds_themes_by_paragraph_or_whole_section(self, source):
        by_paragraph = make_theme("by-paragraph", paragraphs=[source.paragraphs[0]])
        by_section = make_theme("by-section")
        ThemePassage.objects.create(theme=by_section, section=source.sections[0])
        make_theme("unrelated", paragraphs=[source.paragraphs[2]])
        assert set(Theme.objects.drawing_on(source.paragraphs[0])) == {by_paragraph, by_section}


def test_comments_from_many_authors_keep_distinct_positions(thread):
    authors = [make_member(f"m{i}@example.org", display_name=f"Member {i}") for i in range(5)]
    for author in authors:
        reply(thread, author)
    positions = list(Comment.objects.filter(thread=thread).order_by("position").values_list("position", flat=True))
    assert positions == [1, 2, 3, 4, 5, 6]
