"""Nothing a member types is lost: repeated posts, edit conflicts, drafts and expired sessions,
all through the real views (and the real allauth sign-in)."""

from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup
from django.contrib.sessions.backends.cached_db import SessionStore
from django.test import Client
from django.urls import reverse

from forum.models import Comment, CommentRevision, Draft, SubmissionKey, Thread
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.posting import drafts, once, services
from tests.conftest import make_member
from tests.forum.conftest import reply

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"  # the password make_member gives


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def form_values(response, form_selector="form[data-draft-context]") -> dict:
    """The hidden inputs of the comment form on a rendered page."""
    form = page(response).select_one(form_selector)
    assert form is not None, "no comment form on the page"
    return {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}


def text_of(element) -> str:
    """A textarea's value as a browser reads it (the parser drops one leading newline)."""
    text = element.get_text()
    return text[1:] if text.startswith("\n") else text


def textarea(response, name="body") -> str:
    return text_of(page(response).find("textarea", attrs={"name": name}))


def reply_url(thread) -> str:
    return reverse("forum:reply", kwargs={"pk": thread.pk})


def edit_url(comment) -> str:
    return reverse("forum:comment_edit", kwargs={"pk": comment.pk})


# --- Double submit ---------------------------------------------------------------------------


class TestOneTimeKeys:
    def test_each_rendered_form_carries_a_new_key(self, member_client, thread):
        first = form_values(member_client.get(thread.get_absolute_url()))["submission_key"]
        second = form_values(member_client.get(thread.get_absolute_url()))["submission_key"]
        assert len(first) >= 32 and first != second

    def test_posting_the_same_form_twice_makes_one_comment_and_both_go_to_it(self, member_client, thread):
        values = form_values(member_client.get(thread.get_absolute_url()))
        data = {**values, "action": "post", "body": "Said once", "stance": ""}
        first = member_client.post(reply_url(thread), data)
        second = member_client.post(reply_url(thread), data)
        comment = Comment.objects.get(body="Said once")
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"] == f"{thread.get_absolute_url()}#comment-{comment.pk}"
        assert SubmissionKey.objects.get(key=values["submission_key"]).comment == comment
        thread.refresh_from_db()
        assert thread.comment_count == 2 and thread.last_position == 2

    def test_a_repeated_post_is_not_refused_by_the_rules_it_passed_the_first_time(self, member_client, thread):
        values = form_values(member_client.get(thread.get_absolute_url()))
        data = {**values, "action": "post", "body": "Just before the lock", "stance": ""}
        member_client.post(reply_url(thread), data)
        Thread.objects.filter(pk=thread.pk).update(is_locked=True)
        response = member_client.post(reply_url(thread), data)
        assert response.status_code == 302
        assert Comment.objects.filter(body="Just before the lock").count() == 1

    def test_the_key_survives_a_validation_error_and_a_preview(self, member_client, thread):
        key = form_values(member_client.get(thread.get_absolute_url()))["submission_key"]
        invalid = member_client.post(reply_url(thread), {"submission_key": key, "action": "post", "body": ""})
        assert invalid.status_code == 200 and form_values(invalid)["submission_key"] == key
        preview = member_client.post(reply_url(thread), {"submission_key": key, "action": "preview", "body": "Hm"})
        assert "Preview of your comment" in preview.content.decode()
        assert form_values(preview)["submission_key"] == key
        member_client.post(reply_url(thread), {"submission_key": key, "action": "post", "body": "Hm"})
        member_client.post(reply_url(thread), {"submission_key": key, "action": "post", "body": "Hm"})
        assert Comment.objects.filter(body="Hm").count() == 1

    def test_keys_belong_to_one_member(self, client, member, other_member, thread):
        key = once.new_submission_key()
        for author in (member, other_member):
            client.force_login(author)
            client.post(reply_url(thread), {"submission_key": key, "action": "post", "body": f"By {author.pk}"})
        assert Comment.objects.filter(body__startswith="By ").count() == 2

    def test_a_form_without_a_key_still_posts(self, member_client, thread):
        assert member_client.post(reply_url(thread), {"action": "post", "body": "Old form"}).status_code == 302
        assert Comment.objects.filter(body="Old form").exists()

    def test_starting_a_discussion_twice_makes_one_discussion(self, member_client, theme):
        url = reverse("forum:start_thread", kwargs={"slug": theme.slug})
        values = form_values(member_client.get(url))
        data = {**values, "action": "post", "title": "Only one", "body": "Opening", "stance": ""}
        first = member_client.post(url, data)
        second = member_client.post(url, data)
        thread = Thread.objects.get(title="Only one")
        assert first["Location"] == second["Location"] == thread.get_absolute_url()
        theme.refresh_from_db()
        assert theme.thread_count == 1 and theme.comment_count == 1

    def test_discussing_a_paragraph_twice_makes_one_discussion(self, member_client, theme, source):
        url = reverse("forum:paragraph_discuss", kwargs={"key": source.paragraphs[0].key})
        values = form_values(member_client.get(url))
        data = {**values, "action": "post", "theme": str(theme.pk), "title": "Once", "body": "About it"}
        member_client.post(url, data)
        assert member_client.post(url, data)["Location"] == Thread.objects.get(title="Once").get_absolute_url()
        assert Thread.objects.filter(title="Once").count() == 1


# --- Edit conflicts --------------------------------------------------------------------------


def test_pruning_deletes_only_keys_older_than_a_week(member, thread):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    old = SubmissionKey.objects.create(user=member, key="k" * 32, created_at=timezone.now() - timedelta(days=8))
    recent = SubmissionKey.objects.create(user=member, key="r" * 32, created_at=timezone.now() - timedelta(days=6))

    assert once.prune_submission_keys(batch_size=1) == 1
    assert list(SubmissionKey.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SubmissionKey.objects.filter(pk=old.pk).exists()
    call_command("prune_submission_keys", "--days", "1", verbosity=0)
    assert not SubmissionKey.objects.exists()


class TestEditConflicts:
    @pytest.fixture
    def comment(self, thread):
        return thread.comments.get()

    def test_the_edit_form_carries_the_newest_revision(self, member_client, comment):
        services.edit_comment(comment=comment, editor=comment.author, body="Second version")
        latest = comment.revisions.order_by("-pk").first()
        assert form_values(member_client.get(edit_url(comment)))["base_revision"] == str(latest.pk)

    def test_saving_over_a_moderators_edit_shows_both_texts_and_overwrites_nothing(
        self, member_client, comment, moderator
    ):
        values = form_values(member_client.get(edit_url(comment)))
        carry_out(comment_actions.Edit(comment, actor=moderator, body="Moderated text", reason="Names removed"))
        moderated = comment.revisions.order_by("-pk").first()
        data = {**values, "action": "post", "body": "My improved text", "stance": ""}

        response = member_client.post(edit_url(comment), data)

        assert response.status_code == 200
        comment.refresh_from_db()
        assert comment.body == "Moderated text"
        soup = page(response)
        assert soup.find("title").get_text().startswith("Error:")
        assert "changed after you started editing" in soup.select_one(".nhsuk-error-summary").get_text()
        saved = soup.find("textarea", id="saved-version")
        assert saved.has_attr("readonly") and text_of(saved) == "Moderated text"
        assert "A moderator changed it" in soup.select_one("#edit-conflict").get_text()
        assert textarea(response) == "My improved text"
        assert form_values(response)["base_revision"] == str(moderated.pk)

        merged = {**form_values(response), "action": "post", "body": "My improved text, names removed"}
        assert member_client.post(edit_url(comment), merged).status_code == 302
        comment.refresh_from_db()
        assert comment.body == "My improved text, names removed"
        assert comment.revisions.count() == 3

    def test_a_second_tab_saving_first_is_a_conflict_too(self, member_client, comment):
        first_tab = form_values(member_client.get(edit_url(comment)))
        second_tab = form_values(member_client.get(edit_url(comment)))
        member_client.post(edit_url(comment), {**second_tab, "action": "post", "body": "From tab two"})
        response = member_client.post(edit_url(comment), {**first_tab, "action": "post", "body": "From tab one"})
        assert response.status_code == 200
        assert "You saved a newer version" in page(response).select_one("#edit-conflict").get_text()
        comment.refresh_from_db()
        assert comment.body == "From tab two"

    def test_pressing_save_twice_is_not_a_conflict(self, member_client, comment):
        values = form_values(member_client.get(edit_url(comment)))
        data = {**values, "action": "post", "body": "Clicked twice", "stance": ""}
        assert member_client.post(edit_url(comment), data).status_code == 302
        assert member_client.post(edit_url(comment), data).status_code == 302
        assert CommentRevision.objects.filter(comment=comment, body="Clicked twice").count() == 1

    def test_a_draft_started_before_a_newer_revision_opens_as_a_conflict(self, member_client, member, comment,
                                                                           moderator):
        base = comment.revisions.get().pk
        drafts.save_draft(user=member, context=f"edit:{comment.pk}", body="Half-written", base_revision=base)
        carry_out(comment_actions.Edit(comment, actor=moderator, body="Moderated", reason="Tidied"))
        response = member_client.get(edit_url(comment))
        assert textarea(response) == "Half-written"
        assert text_of(page(response).find("textarea", id="saved-version")) == "Moderated"
        assert form_values(response)["base_revision"] == str(comment.revisions.order_by("-pk").first().pk)

    def test_saving_the_edit_deletes_its_draft(self, member_client, member, comment):
        drafts.save_draft(user=member, context=f"edit:{comment.pk}", body="Draft of the edit")
        values = form_values(member_client.get(edit_url(comment)))
        member_client.post(edit_url(comment), {**values, "action": "post", "body": "Draft of the edit"})
        assert not Draft.objects.filter(user=member).exists()


# --- Drafts ----------------------------------------------------------------------------------


class TestDraftEndpoint:
    url = "/drafts/"

    def test_the_url_is_the_one_the_forms_use(self, member_client, thread):
        assert reverse("forum:save_draft") == self.url
        form = page(member_client.get(thread.get_absolute_url())).select_one("form[data-draft-context]")
        assert form["data-draft-url"] == self.url
        assert form["data-draft-context"] == f"thread:{thread.pk}"

    def test_it_saves_and_updates_one_draft_per_member_and_form(self, member_client, member, thread):
        for text in ("First words", "First words and more"):
            response = member_client.post(self.url, {"context": f"thread:{thread.pk}", "body": text})
            assert response.status_code == 204
        draft = Draft.objects.get(user=member)
        assert (draft.context, draft.body) == (f"thread:{thread.pk}", "First words and more")

    def test_an_emptied_box_removes_the_draft(self, member_client, member, thread):
        member_client.post(self.url, {"context": f"thread:{thread.pk}", "body": "Something"})
        member_client.post(self.url, {"context": f"thread:{thread.pk}", "body": "   "})
        assert not Draft.objects.filter(user=member).exists()

    def test_it_rejects_get(self, member_client):
        assert member_client.get(self.url).status_code == 405

    def test_it_needs_the_csrf_token(self, member, thread):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(member)
        data = {"context": f"thread:{thread.pk}", "body": "Typed"}
        assert browser.post(self.url, data).status_code == 403
        token = form_values(browser.get(thread.get_absolute_url()))["csrfmiddlewaretoken"]
        assert browser.post(self.url, {**data, "csrfmiddlewaretoken": token}).status_code == 204

    def test_only_members_who_can_take_part_may_save(self, client, unverified_member, thread):
        data = {"context": f"thread:{thread.pk}", "body": "Typed"}
        assert client.post(self.url, data).status_code == 403
        client.force_login(unverified_member)
        assert client.post(self.url, data).status_code == 403
        assert not Draft.objects.exists()

    def test_it_limits_the_size(self, member_client, thread):
        data = {"context": f"thread:{thread.pk}", "body": "x" * 20_001}
        assert member_client.post(self.url, data).status_code == 413
        huge = {"context": f"thread:{thread.pk}", "body": "x" * 300_000}
        assert member_client.post(self.url, huge).status_code == 413
        assert not Draft.objects.exists()

    def test_it_only_accepts_forms_the_member_can_write_in(self, member_client, thread, other_member, theme):
        hidden = services.start_thread(theme=theme, author=other_member, title="Hidden", body="Secret")
        Thread.objects.filter(pk=hidden.pk).update(is_hidden=True)
        someone_elses = reply(thread, other_member)
        for context in ("thread:999999", f"thread:{hidden.pk}", f"edit:{someone_elses.pk}", "theme:nope:new",
                        "nonsense", "thread:1; DROP TABLE"):
            assert member_client.post(self.url, {"context": context, "body": "x"}).status_code == 404, context
        assert not Draft.objects.exists()

    def test_a_save_arriving_after_the_post_does_not_bring_the_draft_back(self, member_client, member, thread):
        values = form_values(member_client.get(thread.get_absolute_url()))
        member_client.post(reply_url(thread), {**values, "action": "post", "body": "Posted"})
        late = {"context": f"thread:{thread.pk}", "body": "Posted", "submission_key": values["submission_key"]}
        assert member_client.post(self.url, late).status_code == 204
        assert not Draft.objects.filter(user=member).exists()

    def test_a_member_keeps_at_most_a_hundred_drafts(self, member_client, member, theme):
        threads = [services.start_thread(theme=theme, author=member, title=f"T{n}", body="B") for n in range(101)]
        for thread in threads:
            member_client.post(self.url, {"context": f"thread:{thread.pk}", "body": "Draft"})
        assert Draft.objects.filter(user=member).count() == drafts.MAX_DRAFTS_PER_MEMBER


class TestDraftsInForms:
    def test_the_reply_box_starts_from_the_draft_on_any_device(self, member, thread):
        laptop, phone = Client(), Client()
        laptop.force_login(member)
        phone.force_login(member)
        laptop.post(reverse("forum:save_draft"), {"context": f"thread:{thread.pk}", "body": "Started on a laptop"})
        response = phone.get(thread.get_absolute_url())
        assert textarea(response) == "Started on a laptop"
        assert "This is the draft you were writing" in response.content.decode()

    def test_drafts_are_private(self, client, member, other_member, thread):
        drafts.save_draft(user=member, context=f"thread:{thread.pk}", body="Mine alone")
        client.force_login(other_member)
        assert "Mine alone" not in client.get(thread.get_absolute_url()).content.decode()

    def test_posting_deletes_the_draft(self, member_client, member, thread):
        drafts.save_draft(user=member, context=f"thread:{thread.pk}", body="Ready to post")
        values = form_values(member_client.get(thread.get_absolute_url()))
        member_client.post(reply_url(thread), {**values, "action": "post", "body": "Ready to post"})
        assert not Draft.objects.filter(user=member).exists()
        assert textarea(member_client.get(thread.get_absolute_url())) == ""

    def test_a_failed_post_or_a_preview_keeps_the_text_as_the_draft_too(self, member_client, member, thread):
        response = member_client.post(reply_url(thread), {"action": "post", "body": "y" * 20_001})
        assert response.status_code == 200 and textarea(response) == "y" * 20_001  # kept without JavaScript
        member_client.post(reply_url(thread), {"action": "preview", "body": "Previewed words"})
        assert Draft.objects.get(user=member).body == "Previewed words"

    def test_a_quote_is_added_after_the_draft(self, member_client, member, thread, other_member):
        quoted = reply(thread, other_member, body="Worth quoting")
        drafts.save_draft(user=member, context=f"thread:{thread.pk}", body="My thoughts so far")
        text = textarea(member_client.get(f"{thread.get_absolute_url()}?quote={quoted.pk}"))
        assert text.startswith("My thoughts so far\n\n> @")
        assert "Worth quoting" in text

    def test_a_discussion_draft_fills_title_and_body(self, member_client, member, theme):
        url = reverse("forum:start_thread", kwargs={"slug": theme.slug})
        member_client.post(reverse("forum:save_draft"),
                           {"context": f"theme:{theme.slug}:new", "title": "Half a title", "body": "Some text"})
        response = member_client.get(url)
        assert page(response).find("input", attrs={"name": "title"})["value"] == "Half a title"
        assert textarea(response) == "Some text"

    def test_the_discard_button_forgets_the_draft(self, member_client, member, thread):
        drafts.save_draft(user=member, context=f"thread:{thread.pk}", body="Second thoughts")
        button = page(member_client.get(thread.get_absolute_url())).find("button", string="Discard draft")
        assert button["formaction"] == reverse("forum:discard_draft")
        response = member_client.post(button["formaction"], {button["name"]: button["value"], "body": "ignored"})
        assert response["Location"] == f"{thread.get_absolute_url()}#reply-form"
        assert not Draft.objects.exists()
        assert member_client.get(reverse("forum:discard_draft")).status_code == 405


# --- Expired sessions ------------------------------------------------------------------------


def expire_session(client) -> None:
    """What a timed-out session looks like to the server: the cookie names a session that is gone."""
    SessionStore(session_key=client.cookies["sessionid"].value).delete()


def sign_in(client, member, next_url: str):
    return client.post(f"{reverse('account_login')}?next={next_url}", {"login": member.email, "password": PASSWORD})


class TestExpiredSession:
    def test_the_reply_survives_signing_in_again(self, client, member, thread):
        client.force_login(member)
        values = form_values(client.get(thread.get_absolute_url()))
        expire_session(client)

        sent = client.post(reply_url(thread), {**values, "action": "post", "body": "Written over lunch"})

        assert sent.status_code == 302
        assert sent["Location"] == f"{reverse('account_login')}?next={thread.get_absolute_url()}"
        assert "lunch" not in sent["Location"]
        assert not Comment.objects.filter(body="Written over lunch").exists()

        signed_in = sign_in(client, member, thread.get_absolute_url())
        assert signed_in.status_code == 302 and signed_in["Location"] == thread.get_absolute_url()
        response = client.get(thread.get_absolute_url())
        assert textarea(response) == "Written over lunch"
        assert "We kept what you wrote" in response.content.decode()
        assert Draft.objects.get(user=member).body == "Written over lunch"  # also on their other devices
        assert drafts.PENDING_SESSION_KEY not in client.session
        # The notice is said once; the draft stays until it is posted.
        again = client.get(thread.get_absolute_url())
        assert "We kept what you wrote" not in again.content.decode() and textarea(again) == "Written over lunch"

        client.post(reply_url(thread), {**form_values(again), "action": "post", "body": textarea(again)})
        assert Comment.objects.filter(body="Written over lunch", author=member).count() == 1
        assert not Draft.objects.filter(user=member).exists()

    def test_a_new_discussion_survives_signing_in(self, client, member, theme):
        url = reverse("forum:start_thread", kwargs={"slug": theme.slug})
        client.post(url, {"action": "post", "title": "Kept title", "body": "Kept body"})
        sign_in(client, member, url)
        response = client.get(url)
        assert page(response).find("input", attrs={"name": "title"})["value"] == "Kept title"
        assert textarea(response) == "Kept body"
        assert "We kept what you wrote" in response.content.decode()

    def test_an_edit_survives_signing_in(self, client, member, thread):
        comment = thread.comments.get()
        client.force_login(member)
        values = form_values(client.get(edit_url(comment)))
        expire_session(client)
        sent = client.post(edit_url(comment), {**values, "action": "post", "body": "Edited while away"})
        assert sent["Location"].startswith(reverse("account_login"))
        sign_in(client, member, edit_url(comment))
        response = client.get(edit_url(comment))
        assert textarea(response) == "Edited while away"
        assert form_values(response)["base_revision"] == values["base_revision"]
        comment.refresh_from_db()
        assert comment.body == "Opening comment."

    def test_kept_text_waits_for_its_own_page(self, client, member, thread, theme):
        client.post(reply_url(thread), {"action": "post", "body": "For the thread"})
        sign_in(client, member, thread.get_absolute_url())
        client.get(reverse("forum:start_thread", kwargs={"slug": theme.slug}))
        assert textarea(client.get(thread.get_absolute_url())) == "For the thread"

    def test_old_kept_text_is_not_given_to_whoever_signs_in_later(self, client, thread):
        client.post(reply_url(thread), {"action": "post", "body": "Someone else's words"})
        session = client.session
        session[drafts.PENDING_SESSION_KEY]["at"] = time.time() - drafts.PENDING_MAX_AGE_SECONDS - 1
        session.save()
        later = make_member("later@example.org", display_name="Later Visitor")
        sign_in(client, later, thread.get_absolute_url())
        assert "Someone else" not in client.get(thread.get_absolute_url()).content.decode()
        assert not Draft.objects.exists()


def test_a_refused_comment_with_a_nul_character_still_keeps_the_rest_as_a_draft(member_client, member, thread):
    """PostgreSQL cannot store NUL; the form refuses it and the draft keeps everything else."""
    response = member_client.post(reverse("forum:reply", kwargs={"pk": thread.pk}), {"body": "before\x00after"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    assert Draft.objects.get(user=member).body == "beforeafter"
