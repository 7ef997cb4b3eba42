"""Cached pages for anonymous readers, cached comment HTML for signed-in readers, and that every
change a reader would see shows at once."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import StakeholderGroup
from config import versions
from forum import reading
from forum.agreement import services as agreements
from forum.cache import fragments
from forum.cache import rows as cache_rows
from forum.cache import versions as cache_versions
from forum.following import levels as following
from forum.models import Comment, VoteValue
from forum.moderation import comments as comment_actions
from forum.moderation import themes as theme_actions
from forum.moderation import threads as thread_actions
from forum.moderation.flow import carry_out
from forum.posting import drafts, services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("settled_at_once")]



@pytest.fixture
def readers(db):
    """Three more members who write and agree (three groups make common ground possible)."""
    groups = [StakeholderGroup.ICB, StakeholderGroup.VCSE, StakeholderGroup.PATIENT_PUBLIC]
    return [
        make_member(f"reader{n}@example.org", display_name=f"Reader {n}", stakeholder_group=group)
        for n, group in enumerate(groups)
    ]


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, len(queries)


def cached_twice(client, url):
    """GET twice: the first answer is stored, the second comes from the cache with no query."""
    first, _ = get(client, url)
    second, queries = get(client, url)
    assert first["X-Forum-Cache"] == "miss"
    assert second["X-Forum-Cache"] == "hit"
    assert queries == 0
    return second.content.decode()


class TestAnonymousPages:
    def test_thread_theme_and_theme_list_pages_are_served_from_the_cache(self, client, thread):
        assert thread.title in cached_twice(client, thread.get_absolute_url())
        assert thread.title in cached_twice(client, thread.theme.get_absolute_url())
        assert thread.theme.title in cached_twice(client, "/themes/")

    def test_each_page_of_a_thread_is_cached_separately(self, client, thread, other_member, settings):
        settings.COMMENTS_PER_PAGE = 2
        for n in range(4):
            reply(thread, other_member, f"Reply number {n}")
        first = cached_twice(client, thread.get_absolute_url())
        second = cached_twice(client, thread.get_page_url(2))
        assert "Reply number 0" in first and "Reply number 0" not in second
        assert "Reply number 2" in second

    def test_a_new_comment_shows_at_once(self, client, thread, other_member):
        cached_twice(client, thread.get_absolute_url())

        reply(thread, other_member, "A brand new reply")

        response, _ = get(client, thread.get_absolute_url())
        assert "A brand new reply" in response.content.decode()

    def test_a_reply_posted_through_the_form_shows_at_once(self, client, thread, other_member):
        cached_twice(client, thread.get_absolute_url())
        cached_twice(client, thread.theme.get_absolute_url())
        poster = type(client)()
        poster.force_login(other_member)

        posted = poster.post(f"/threads/{thread.pk}/reply/", {"body": "Posted through the form", "action": "post"})

        assert posted.status_code == 302
        assert "Posted through the form" in get(client, thread.get_absolute_url())[0].content.decode()
        theme_page = get(client, thread.theme.get_absolute_url())[0].content.decode()
        assert re.search(r"nhsuk-table__cell--numeric\">1</td>", theme_page)  # its reply count moved

    def test_an_edit_shows_at_once(self, client, thread, member):
        opening = thread.comments.get(position=1)
        cached_twice(client, thread.get_absolute_url())

        services.edit_comment(comment=opening, editor=member, body="Reworded opening comment")

        assert "Reworded opening comment" in get(client, thread.get_absolute_url())[0].content.decode()

    def test_a_hidden_comment_disappears_at_once(self, client, thread, other_member, moderator):
        comment = reply(thread, other_member, "Something that must go")
        assert "Something that must go" in cached_twice(client, thread.get_absolute_url())

        carry_out(comment_actions.Hide(Comment.objects.get(pk=comment.pk), actor=moderator, reason="Personal data"))

        html = get(client, thread.get_absolute_url())[0].content.decode()
        assert "Something that must go" not in html
        assert "Personal data" in html

    def test_a_deleted_comment_disappears_at_once(self, client, thread, other_member):
        comment = reply(thread, other_member, "Withdrawn later")
        cached_twice(client, thread.get_absolute_url())

        services.delete_comment(comment=comment, deleted_by=other_member)

        assert "Withdrawn later" not in get(client, thread.get_absolute_url())[0].content.decode()

    def test_an_agreement_shows_at_once(self, client, thread, other_member, readers):
        comment = reply(thread, other_member, "Worth agreeing with")
        cached_twice(client, thread.get_absolute_url())

        agreements.agree(comment=comment, member=readers[0])

        assert "1 member agrees" in get(client, thread.get_absolute_url())[0].content.decode()

    def test_a_disagreement_and_its_change_show_at_once(self, client, thread, other_member, readers):
        comment = reply(thread, other_member, "Worth arguing with")
        cached_twice(client, thread.get_absolute_url())

        agreements.vote(comment=comment, member=readers[0], value=VoteValue.DISAGREE)
        assert "1 member disagrees" in get(client, thread.get_absolute_url())[0].content.decode()

        agreements.vote(comment=comment, member=readers[0], value=VoteValue.AGREE)
        html = get(client, thread.get_absolute_url())[0].content.decode()
        assert "1 member agrees" in html and "disagrees" not in html

    def test_locking_a_thread_shows_at_once(self, client, thread, moderator):
        cached_twice(client, thread.get_absolute_url())

        carry_out(thread_actions.Lock(thread, actor=moderator, reason="Run its course"))

        assert "Locked" in get(client, thread.get_absolute_url())[0].content.decode()

    def test_a_new_discussion_shows_at_once_on_its_theme_and_the_theme_list(self, client, theme, member):
        cached_twice(client, theme.get_absolute_url())
        cached_twice(client, "/themes/")

        services.start_thread(theme=theme, author=member, title="A fresh question", body="Opening")

        assert "A fresh question" in get(client, theme.get_absolute_url())[0].content.decode()
        assert get(client, "/themes/")[0]["X-Forum-Cache"] == "miss"

    def test_other_themes_keep_their_cached_page(self, client, theme, member):
        other = make_theme("other-theme", title="Another theme", position=2)
        cached_twice(client, other.get_absolute_url())

        services.start_thread(theme=theme, author=member, title="Only in the first theme", body="Opening")

        assert get(client, other.get_absolute_url())[0]["X-Forum-Cache"] == "hit"

    def test_the_cached_page_carries_this_requests_csp_nonce(self, client, thread):
        cached_twice(client, thread.get_absolute_url())

        response, _ = get(client, thread.get_absolute_url())

        nonces = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
        assert len(nonces) == 1
        assert f"'nonce-{nonces.pop()}'" in response["Content-Security-Policy"]

    def test_a_page_stored_by_another_release_is_never_served(self, client, thread, monkeypatch):
        from forum.cache import pages

        cached_twice(client, thread.get_absolute_url())
        monkeypatch.setattr(pages, "site_templates_digest", lambda: "another-release")

        assert get(client, thread.get_absolute_url())[0]["X-Forum-Cache"] == "miss"

    def test_signed_in_readers_and_other_addresses_are_never_served_a_cached_page(self, client, member, thread):
        cached_twice(client, thread.get_absolute_url())
        signed_in = type(client)()
        signed_in.force_login(member)

        member_page = signed_in.get(thread.get_absolute_url())
        with_reply = client.get(thread.get_absolute_url() + "?reply_to=1")

        assert "X-Forum-Cache" not in member_page
        assert "X-Forum-Cache" not in with_reply

    def test_pages_are_not_stored_while_a_change_may_still_be_committing(self, client, thread, other_member,
                                                                         monkeypatch):
        monkeypatch.setattr(versions, "SETTLE_SECONDS", 60.0)
        reply(thread, other_member, "Just posted")

        client.get(thread.get_absolute_url())
        again = client.get(thread.get_absolute_url())

        assert again["X-Forum-Cache"] == "miss"

    def test_a_version_lost_from_the_cache_is_created_again(self, client, thread):
        from django.core.cache import cache

        cached_twice(client, thread.get_absolute_url())
        cache.delete(cache_versions.thread_key(thread.pk))

        assert get(client, thread.get_absolute_url())[0]["X-Forum-Cache"] == "miss"
        assert get(client, thread.get_absolute_url())[0]["X-Forum-Cache"] == "hit"


def comment_list(html: str) -> str:
    """The page's list of comments, with per-request tokens and layout whitespace evened out."""
    start, end = html.index('<ol class="nhsuk-list"'), html.index("</ol>", html.index('<ol class="nhsuk-list"'))
    section = html[start:end]
    section = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="-"', section)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", section)).strip()


@pytest.fixture
def busy_thread(thread, member, other_member, readers):
    """Comments by several members: replies, a quote, an agreement by `member`, a hidden one."""
    first = reply(thread, other_member, "First reply with **bold** text", stance="support")
    second = reply(thread, readers[0], "A reply to the first", parent=first)
    reply(thread, member, "The member's own comment", parent=second)
    reply(thread, readers[1], f'> @"{other_member.display_name}" wrote:\n>\n> First reply\n\nQuoting it',
          parent=first, quoted_comment=first)
    agreements.agree(comment=first, member=member)
    agreements.agree(comment=second, member=readers[2])
    hidden = reply(thread, readers[2], "To be hidden")
    moderator = make_member("mod@example.org", display_name="Mo Derate", is_superuser=True)
    carry_out(comment_actions.Hide(Comment.objects.get(pk=hidden.pk), actor=moderator, reason="Off topic"))
    return thread


class TestSignedInComments:
    @pytest.mark.parametrize("who", ["member", "other_member", "unverified_member", "moderator"])
    def test_the_page_is_the_same_as_when_every_comment_is_rendered_for_the_reader(
        self, who, request, client, busy_thread, monkeypatch
    ):
        reader = request.getfixturevalue(who)
        client.force_login(reader)
        url = busy_thread.get_absolute_url()
        client.get(url)  # the first visit records what was read; the comparison is of later visits
        # Fragments and the page's list stored, then fragments used, then the stored list used.
        with_cache = [comment_list(client.get(url).content.decode()) for _ in range(3)]

        monkeypatch.setattr(fragments.Listing, "html", lambda self: None)
        monkeypatch.setattr(fragments, "comment_list_html", lambda *args: None)
        rendered_in_full = comment_list(client.get(url).content.decode())

        assert with_cache[0] == with_cache[1] == with_cache[2] == rendered_in_full

    def test_the_first_unread_comment_is_marked_for_its_reader_only(self, client, thread, member, other_member):
        client.force_login(member)
        client.get(thread.get_absolute_url())
        reply(thread, other_member, "Unread by the member")

        html = client.get(thread.get_absolute_url()).content.decode()

        assert html.count('id="first-unread"') == 1

    def test_comment_html_is_rendered_once_and_shared_between_members(self, client, busy_thread, other_member,
                                                                      readers, monkeypatch):
        renders = []
        original = fragments.render_shared
        monkeypatch.setattr(fragments, "render_shared", lambda *a: renders.append(a[1].pk) or original(*a))
        client.force_login(readers[0])
        client.get(busy_thread.get_absolute_url())
        first_round = len(renders)

        client.force_login(readers[1])
        client.get(busy_thread.get_absolute_url())

        assert first_round > 0
        # One new rendering: readers[1]'s own comment as its author sees it. readers[0]'s comment
        # as others see it was made on readers[0]'s visit, for the page stored for every member.
        assert len(renders) == first_round + 1

    def test_the_readers_own_comments_come_from_the_cache_on_the_next_visit(self, client, busy_thread, readers,
                                                                             monkeypatch):
        renders = []
        original = fragments.render_shared
        monkeypatch.setattr(fragments, "render_shared", lambda *a: renders.append(a[1].pk) or original(*a))
        own = busy_thread.comments.get(author=readers[0])
        client.force_login(readers[0])
        first = client.get(busy_thread.get_absolute_url()).content.decode()
        assert own.pk in renders
        renders.clear()

        again = client.get(busy_thread.get_absolute_url()).content.decode()

        assert renders == []
        assert f'href="/comments/{own.pk}/edit/"' in again
        assert again.count("Edit<span") == first.count("Edit<span") == 1

    def test_a_new_display_name_shows_without_any_bump(self, client, busy_thread, other_member, member):
        client.force_login(member)
        client.get(busy_thread.get_absolute_url())

        other_member.display_name = "Priya Renamed"
        other_member.save()

        assert "Priya Renamed" in client.get(busy_thread.get_absolute_url()).content.decode()

    def test_agreeing_shows_the_withdraw_button_to_the_reader_and_the_count_to_others(
        self, client, busy_thread, readers
    ):
        target = busy_thread.comments.get(position=2)
        client.force_login(readers[1])
        client.get(busy_thread.get_absolute_url())

        client.post(f"/comments/{target.pk}/agree/", {"next": busy_thread.get_absolute_url()})
        html = client.get(busy_thread.get_absolute_url()).content.decode()

        assert "Withdraw your agreement" in html
        client.post(f"/comments/{target.pk}/disagree/", {"next": busy_thread.get_absolute_url()})
        html = client.get(busy_thread.get_absolute_url()).content.decode()
        assert "Withdraw your disagreement" in html and "Change to agree" in html
        client.post(f"/comments/{target.pk}/agree/", {"next": busy_thread.get_absolute_url()})
        client.force_login(readers[2])
        other = client.get(busy_thread.get_absolute_url()).content.decode()
        assert re.search(r"2 members agree</strong>, including you", other) or "2 members agree" in other


def comment_rows_read(client, url) -> tuple[str, int]:
    """The page's comment list, and how many queries read comment rows for it."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    reads = [q for q in queries.captured_queries
             if q["sql"].startswith("SELECT") and 'FROM "forum_comment"' in q["sql"]]
    return comment_list(response.content.decode()), len(reads)


class TestStoredPageLists:
    """A signed-in reader's visit to an unchanged page reads no comment rows (fragments.Listing)."""

    def test_an_unchanged_page_is_assembled_without_reading_comments(self, client, busy_thread, readers):
        url = busy_thread.get_absolute_url()
        client.force_login(readers[0])
        built, reads = comment_rows_read(client, url)  # read, and the list stored
        assert reads == 1
        client.force_login(readers[1])  # another member, whose own comment is on the page
        client.get(url)  # the first visit records what they read

        again, reads = comment_rows_read(client, url)

        assert reads == 0
        assert again.count("Edit<span") == 1  # their own comment, as its author sees it
        client.force_login(readers[0])
        assert comment_rows_read(client, url) == (built, 0)

    @pytest.mark.parametrize("change", ["reply", "edit", "hide", "agree", "disagree", "rename", "lock"])
    def test_every_change_shows_at_once(self, change, client, busy_thread, readers, member, moderator):
        url = busy_thread.get_absolute_url()
        client.force_login(readers[2])
        client.get(url)
        client.get(url)
        assert comment_rows_read(client, url)[1] == 0
        first = busy_thread.comments.get(position=2)
        if change == "reply":
            reply(busy_thread, member, "A brand new reply")
            expected = "A brand new reply"
        elif change == "edit":
            services.edit_comment(comment=first, editor=first.author, body="Changed words")
            expected = "Changed words"
        elif change == "hide":
            carry_out(comment_actions.Hide(first, actor=moderator, reason="Checking"))
            expected = "Hidden by a moderator"
        elif change == "agree":
            agreements.agree(comment=first, member=readers[1])
            expected = "2 members agree"
        elif change == "disagree":
            agreements.vote(comment=first, member=readers[1], value=VoteValue.DISAGREE)
            expected = "1 member disagrees"
        elif change == "rename":
            author = first.author
            author.display_name = "A Completely New Name"
            author.save()
            expected = "A Completely New Name"
        else:
            carry_out(thread_actions.Lock(busy_thread, actor=moderator, reason="Enough said"))
            expected = None
        html, _ = comment_rows_read(client, url)
        if expected:
            assert expected in html
        else:
            assert "Reply<span" not in html

    def test_the_first_unread_comment_is_marked_although_the_page_is_stored(self, client, busy_thread, readers,
                                                                            member):
        url = busy_thread.get_absolute_url()
        client.force_login(member)
        client.get(url)
        client.get(url)  # stored
        reading.mark_thread_read(user=readers[2], thread=busy_thread, position=2)
        client.force_login(readers[2])

        html = client.get(url).content.decode()

        assert html.count('id="first-unread"') == 1

    def test_a_comment_waiting_for_a_moderator_is_shown_to_its_author(self, client, busy_thread, readers, member):
        url = busy_thread.get_absolute_url()
        client.force_login(member)
        client.get(url)
        client.get(url)  # stored
        waiting = reply(busy_thread, readers[2], "Waiting for a look")
        Comment.objects.filter(pk=waiting.pk).update(needs_approval=True)
        cache_versions.renew(thread=busy_thread)
        client.get(url)
        client.get(url)  # stored again, without it

        client.force_login(readers[2])
        assert "Waiting for a look" in client.get(url).content.decode()
        client.force_login(member)
        assert "Waiting for a look" not in client.get(url).content.decode()


class TestSharedThreadRow:
    """Signed-in readers get the thread's row from the cache (forum.cache.reader_state), with their
    own state."""

    def test_a_second_visit_reads_no_thread_row(self, client, busy_thread, member):
        client.force_login(member)
        url = busy_thread.get_absolute_url()
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert not [q for q in queries.captured_queries if 'FROM "forum_thread"' in q["sql"]]

    def test_hiding_the_thread_hides_it_at_once(self, client, busy_thread, member, moderator):
        client.force_login(member)
        url = busy_thread.get_absolute_url()
        client.get(url)
        client.get(url)

        carry_out(thread_actions.Hide(busy_thread, actor=moderator, reason="Off topic"))

        assert client.get(url).status_code == 404

    def test_moving_the_thread_shows_its_new_theme_at_once(self, client, busy_thread, member, moderator):
        client.force_login(member)
        url = busy_thread.get_absolute_url()
        client.get(url)
        client.get(url)
        elsewhere = make_theme("somewhere-else", position=9)

        carry_out(thread_actions.Move(busy_thread, actor=moderator, theme=elsewhere, reason="Better fit"))

        assert elsewhere.title in client.get(url).content.decode()

    def test_the_readers_own_state_is_their_own(self, client, busy_thread, member, readers):
        from forum.models import FollowLevel

        url = busy_thread.get_absolute_url()
        client.force_login(readers[0])
        client.get(url)  # stores the row
        following.set_thread_follow_level(member, busy_thread, FollowLevel.WATCHING)
        drafts.save_draft(user=member, context=drafts.thread_context(busy_thread), body="My unsent words")
        client.force_login(member)

        html = client.get(url).content.decode()

        assert "My unsent words" in html
        watching = "Tell me about every new comment in this discussion."
        assert watching in html
        client.force_login(readers[1])
        other = client.get(url).content.decode()
        assert "My unsent words" not in other and watching not in other


class TestBlankReplyForm:
    def reply_form(self, html: str) -> str:
        start = html.index('<form method="post" action="/threads/', html.index('id="reply-form"'))
        return html[start : html.index("</form>", start)]

    def test_the_cached_form_is_the_form_with_this_requests_token_and_a_new_key(self, client, busy_thread, member,
                                                                                monkeypatch):
        client.force_login(member)
        url = busy_thread.get_absolute_url()
        first = self.reply_form(client.get(url).content.decode())
        second = self.reply_form(client.get(url).content.decode())
        monkeypatch.setattr(cache_rows, "blank_form_html", lambda *args: None)
        rendered = self.reply_form(client.get(url).content.decode())

        keys = [re.search(r'name="submission_key" value="([^"]+)"', form).group(1)
                for form in (first, second, rendered)]
        assert len(set(keys)) == 3  # a new one-time key every time
        tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1) for form in (first, second)]
        assert all(tokens)
        even = lambda form: re.sub(r'value="[^"]{20,}"', 'value="-"', form)  # noqa: E731
        assert even(first) == even(second) == even(rendered)
        assert cache_rows.SUBMISSION_MARK not in second and fragments.CSRF_MARK not in second

    def test_a_facilitator_gets_their_own_choices(self, client, busy_thread, member):
        from django.contrib.auth.models import Permission

        client.force_login(member)
        client.get(busy_thread.get_absolute_url())
        facilitator = make_member("facilitator@example.org", display_name="Fay Silitator")
        facilitator.user_permissions.add(Permission.objects.get(codename="respond_to_theme"))
        client.force_login(facilitator)

        form = self.reply_form(client.get(busy_thread.get_absolute_url()).content.decode())

        assert "As a facilitator" in form

    def test_a_draft_or_a_quote_is_never_taken_from_the_cache(self, client, busy_thread, member):
        client.force_login(member)
        url = busy_thread.get_absolute_url()
        client.get(url)
        quoted = busy_thread.comments.get(position=2)

        form = self.reply_form(client.get(f"{url}?quote={quoted.pk}").content.decode())

        assert "First reply with **bold** text" in form


class TestThemePageRows:
    def table(self, html: str) -> str:
        start = html.index('<tbody class="nhsuk-table__body">')
        return re.sub(r"\s+", " ", html[start : html.index("</tbody>", start)])

    def test_rows_from_the_cache_carry_each_readers_own_unread_links(self, client, busy_thread, member, readers,
                                                                     monkeypatch):
        theme_url = busy_thread.theme.get_absolute_url()
        other = services.start_thread(theme=busy_thread.theme, author=readers[0], title="Another one", body="Hi")
        reading.mark_thread_read(user=member, thread=busy_thread, position=2)
        reading.mark_thread_read(user=member, thread=other, position=1)
        client.force_login(member)
        pages = [self.table(client.get(theme_url).content.decode()) for _ in range(2)]  # stored, then used
        monkeypatch.setattr(cache_rows, "thread_rows_html", lambda *args: None)
        rendered = self.table(client.get(theme_url).content.decode())

        assert pages[0] == pages[1] == rendered
        assert "unread<span" in rendered and "go to the first" in rendered

        monkeypatch.undo()
        client.force_login(readers[1])  # has read nothing: the unread links are theirs
        theirs = self.table(client.get(theme_url).content.decode())
        assert theirs != rendered
        assert "go to the first" not in theirs

    def test_a_new_reply_changes_the_row_at_once(self, client, busy_thread, member, readers):
        theme_url = busy_thread.theme.get_absolute_url()
        client.force_login(member)
        before = self.table(client.get(theme_url).content.decode())
        reply(busy_thread, readers[0], "Yet another reply")

        after = self.table(client.get(theme_url).content.decode())

        replies = lambda html: int(re.search(r'numeric">(\d+)</td>', html).group(1))  # noqa: E731
        assert replies(after) == replies(before) + 1


class TestAnonymousHomeAndArticlePages:
    def test_both_are_served_from_the_cache(self, client, source):
        assert source.article.title in cached_twice(client, "/")
        assert source.article.title in cached_twice(client, source.article.get_absolute_url())

    def test_a_new_discussion_of_a_paragraph_shows_on_the_article_page_at_once(self, client, source, theme, member):
        url = source.article.get_absolute_url()
        before = cached_twice(client, url)

        services.start_thread(theme=theme, author=member, title="About this passage", body="B",
                              paragraph=source.paragraphs[0])

        after = client.get(url).content.decode()
        assert after != before

    def test_importing_the_texts_again_renews_them(self, client, source, monkeypatch):
        from django.core.management import call_command

        cached_twice(client, "/")
        call_command("import_articles", verbosity=0)

        response = client.get("/")
        assert response["X-Forum-Cache"] == "miss"


class TestSharedTheme:
    def test_a_members_theme_page_reads_no_theme_row_the_second_time(self, client, theme, member):
        client.force_login(member)
        client.get(theme.get_absolute_url())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(theme.get_absolute_url()).status_code == 200
        assert not [q for q in queries.captured_queries if 'FROM "forum_theme"' in q["sql"]]

    def test_the_follow_level_is_the_readers_own(self, client, theme, member, readers):
        from forum.models import FollowLevel

        client.force_login(readers[0])
        client.get(theme.get_absolute_url())  # stored
        following.set_theme_follow_level(member, theme, FollowLevel.MUTED)
        client.force_login(member)
        assert "Muted</strong>" in client.get(theme.get_absolute_url()).content.decode()
        client.force_login(readers[0])
        assert "Muted</strong>" not in client.get(theme.get_absolute_url()).content.decode()

    def test_closing_the_theme_shows_at_once(self, client, theme, member, moderator):
        from forum.models import ThemeStatus

        client.force_login(member)
        assert "not taking new comments" not in client.get(theme.get_absolute_url()).content.decode()
        carry_out(theme_actions.SetStatus(theme, actor=moderator, status=ThemeStatus.CLOSED, reason="Done."))

        html = client.get(theme.get_absolute_url()).content.decode()
        assert "is closed and not taking new comments" in html


class TestWithoutASharedCache:
    """Several processes without Redis keep no versioned copies: each reads the database."""

    def test_pages_are_built_each_time_and_show_every_change(self, client, busy_thread, member, readers, settings):
        settings.SHARED_CACHE = False
        url = busy_thread.get_absolute_url()
        first = client.get(url)
        assert "X-Forum-Cache" not in first
        client.force_login(member)
        client.get(url)
        _, reads = comment_rows_read(client, url)
        assert reads == 1  # no stored page list
        reply(busy_thread, readers[0], "Seen at once")
        assert "Seen at once" in client.get(url).content.decode()


def test_a_new_members_profile_renews_nothing(member):
    newcomer = make_member("newcomer@example.org", display_name="")
    before = cache_versions.everything_version()

    newcomer.display_name = "Nina Newcomer"
    newcomer.save()

    assert cache.get(cache_versions.EVERYTHING) == before
