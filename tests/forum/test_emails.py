"""Notification emails: content and headers, preferences, digests, unsubscribing, real SMTP."""

from __future__ import annotations

import email
import importlib.util
import socket
import time
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from forum.following import levels as following
from forum.models import (
    EmailFrequency,
    FollowLevel,
    Notification,
    NotificationKind,
    NotificationPreference,
    ThemeFollow,
    ThreadFollow,
)
from forum.moderation import flow
from forum.notifications import fanout, inbox, sending
from forum.notifications import unsubscribe as unsubscribing
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def watching(theme, recipient):
    following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
    return recipient


def prefer(user, frequency, kinds=()):
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_frequency": frequency, "email_kinds": list(kinds)}
    )


def to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def html_of(message) -> BeautifulSoup:
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html"
    return BeautifulSoup(html, "html.parser")


def path_of(url: str) -> str:
    from django.conf import settings

    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL):]


class TestImmediateEmail:
    def test_it_has_both_parts_a_clear_subject_a_link_and_unsubscribe_headers(self, watching, thread, other_member,
                                                                              run_tasks):
        comment = run_tasks(lambda: reply(thread, other_member, body="Waiting lists need **shared** data."))
        (message,) = to(watching)
        assert message.subject == f"[Common Ground] Priya Shah commented in “{thread.title}”"
        assert "Waiting lists need shared data." in message.body
        assert unsubscribing.absolute(comment.get_absolute_url()) in message.body
        page = html_of(message)
        assert page.find("a", string="Read the comment")["href"] == unsubscribing.absolute(comment.get_absolute_url())
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        header = message.extra_headers["List-Unsubscribe"]
        assert header.startswith("<") and header.endswith(">")
        # Following by theme: the one-click header stops following this discussion.
        data = unsubscribing.read_unsubscribe_token(path_of(header[1:-1]).split("/")[-2])
        assert data == {"u": watching.pk, "s": "thread", "o": thread.pk}
        links = {a.get_text(strip=True): a["href"] for a in page.find_all("a")}
        assert "Stop all emails" in links and any(label.startswith("Stop following the discussion") for label in links)

    def test_a_reply_email_stops_all_emails_from_the_header(self, thread, recipient, other_member, run_tasks):
        mine = reply(thread, recipient, body="Mine")
        run_tasks(lambda: reply(thread, other_member, body="Yours", parent=mine))
        (message,) = to(recipient)
        token = path_of(message.extra_headers["List-Unsubscribe"][1:-1]).split("/")[-2]
        assert unsubscribing.read_unsubscribe_token(token)["s"] == "all"

    def test_never_means_no_email_but_still_in_the_app(self, watching, thread, other_member, run_tasks):
        prefer(watching, EmailFrequency.NEVER)
        run_tasks(lambda: reply(thread, other_member))
        assert to(watching) == []
        assert Notification.objects.filter(recipient=watching).count() == 1

    def test_only_the_kinds_chosen_are_emailed(self, watching, thread, other_member, run_tasks):
        prefer(watching, EmailFrequency.IMMEDIATELY, [NotificationKind.REPLY])
        run_tasks(lambda: reply(thread, other_member, body="Just a comment"))
        assert to(watching) == []

    def test_digest_members_get_nothing_straight_away(self, watching, thread, other_member, run_tasks):
        prefer(watching, EmailFrequency.DAILY)
        run_tasks(lambda: reply(thread, other_member))
        assert to(watching) == []

    def test_no_email_to_an_unconfirmed_address(self, theme, thread, unverified_member, other_member, run_tasks):
        following.set_theme_follow_level(unverified_member, theme, FollowLevel.WATCHING)
        run_tasks(lambda: reply(thread, other_member))
        assert Notification.objects.filter(recipient=unverified_member).count() == 1
        assert to(unverified_member) == []

    def test_no_email_to_a_suspended_member_except_the_moderation_notice(self, watching, thread, other_member,
                                                                          moderator, run_tasks):
        from forum.models import Suspension

        Suspension.objects.create(member=watching, reason="Repeated abuse", suspended_by=moderator)
        run_tasks(lambda: reply(thread, other_member))
        assert to(watching) == []
        run_tasks(lambda: flow.tell(flow.Notice(watching, "You are suspended for a week."), actor=None))
        (message,) = to(watching)
        assert "You are suspended for a week." in message.body

    def test_an_ended_suspension_no_longer_stops_emails(self, watching, thread, other_member, moderator, run_tasks):
        from forum.models import Suspension

        Suspension.objects.create(member=watching, reason="Cooling off", suspended_by=moderator,
                                  ends_at=timezone.now() - timedelta(hours=1))
        run_tasks(lambda: reply(thread, other_member))
        assert len(to(watching)) == 1

    def test_a_failed_send_is_released_for_a_retry(self, watching, thread, other_member, monkeypatch):
        comment = reply(thread, other_member)
        fanout.fan_out_comment(comment.pk)

        def broken(self, messages):
            raise OSError("mail server down")

        monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
        assert sending.send_immediately(Notification.objects.filter(comment=comment)) == 0
        released = Notification.objects.get(recipient=watching)
        assert released.emailed_at is None and released.email_error == "OSError: mail server down"
        monkeypatch.undo()
        assert sending.send_immediately(Notification.objects.filter(comment=comment)) == 0  # waiting its turn
        Notification.objects.filter(pk=released.pk).update(email_retry_at=timezone.now())
        assert sending.send_immediately(Notification.objects.filter(comment=comment)) >= 1
        assert len(to(watching)) == 1


class TestDigests:
    def test_a_digest_groups_by_theme_and_thread_and_lists_each_item_once(self, theme, thread, watching,
                                                                         other_member, run_tasks):
        prefer(watching, EmailFrequency.DAILY)
        other_theme = make_theme("social-care", title="Social care", position=2)
        following.set_theme_follow_level(watching, other_theme, FollowLevel.WATCHING)
        run_tasks(lambda: reply(thread, other_member, body="First comment"))
        run_tasks(lambda: reply(thread, other_member, body="Second comment"))
        run_tasks(lambda: services.start_thread(theme=other_theme, author=other_member, title="Care homes",
                                                body="Opening"))
        run = sending.send_digests(EmailFrequency.DAILY)
        assert (run.emails, run.items) == (1, 3)
        (message,) = to(watching)
        assert message.subject == "[Common Ground] Your daily summary: 3 updates"
        page = html_of(message)
        assert [h.get_text() for h in page.find_all("h2")] == [theme.title, "Social care"]
        assert [h.get_text() for h in page.find_all("h3")] == [thread.title, "Care homes"]
        assert message.body.count("First comment") == 1 and message.body.count("Second comment") == 1
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_a_second_run_sends_nothing(self, thread, watching, other_member, run_tasks):
        prefer(watching, EmailFrequency.DAILY)
        run_tasks(lambda: reply(thread, other_member))
        assert sending.send_digests(EmailFrequency.DAILY).emails == 1
        assert sending.send_digests(EmailFrequency.DAILY).emails == 0
        assert len(to(watching)) == 1
        assert NotificationPreference.objects.get(user=watching).last_digest_at is not None

    def test_a_digest_never_repeats_what_was_emailed_immediately(self, thread, watching, other_member, run_tasks):
        run_tasks(lambda: reply(thread, other_member, body="Already emailed"))
        assert len(to(watching)) == 1
        prefer(watching, EmailFrequency.DAILY)
        run_tasks(lambda: reply(thread, other_member, body="Only in the digest"))
        sending.send_digests(EmailFrequency.DAILY)
        digest = to(watching)[-1]
        assert "Only in the digest" in digest.body and "Already emailed" not in digest.body

    def test_read_notifications_are_left_out(self, thread, watching, other_member, run_tasks):
        prefer(watching, EmailFrequency.DAILY)
        run_tasks(lambda: reply(thread, other_member))
        inbox.mark_all_read(watching)
        assert sending.send_digests(EmailFrequency.DAILY).emails == 0

    def test_weekly_and_daily_members_are_sent_separately(self, thread, watching, other_member, run_tasks):
        prefer(watching, EmailFrequency.WEEKLY)
        run_tasks(lambda: reply(thread, other_member))
        assert sending.send_digests(EmailFrequency.DAILY).emails == 0
        assert sending.send_digests(EmailFrequency.WEEKLY).emails == 1
        assert "weekly summary" in to(watching)[0].subject

    def test_hidden_content_is_not_in_a_digest(self, thread, watching, other_member, run_tasks):
        from forum.models import Comment

        prefer(watching, EmailFrequency.DAILY)
        comment = run_tasks(lambda: reply(thread, other_member, body="Soon hidden"))
        Comment.objects.filter(pk=comment.pk).update(is_hidden=True)
        assert sending.send_digests(EmailFrequency.DAILY).emails == 0

    def test_unconfirmed_members_get_no_digest(self, theme, thread, unverified_member, other_member, run_tasks):
        following.set_theme_follow_level(unverified_member, theme, FollowLevel.WATCHING)
        prefer(unverified_member, EmailFrequency.DAILY)
        run_tasks(lambda: reply(thread, other_member))
        assert sending.send_digests(EmailFrequency.DAILY).emails == 0

    def test_the_command_reports_what_it_sent(self, thread, watching, other_member, run_tasks, capsys):
        prefer(watching, EmailFrequency.DAILY)
        run_tasks(lambda: reply(thread, other_member))
        call_command("send_digests", "--frequency", "daily")
        call_command("send_digests", "--frequency", "daily")
        out = capsys.readouterr().out
        assert "Daily digests: 1 sent (1 items)" in out and "Daily digests: 0 sent" in out
        assert len(to(watching)) == 1

    def test_members_are_read_in_batches(self, theme, thread, other_member, run_tasks, django_assert_max_num_queries):
        members = []
        for i in range(7):
            member = make_member(f"d{i}@example.org", display_name=f"Digest {i}")
            following.set_theme_follow_level(member, theme, FollowLevel.WATCHING)
            prefer(member, EmailFrequency.DAILY)
            members.append(member)
        run_tasks(lambda: reply(thread, other_member))
        run = sending.send_digests(EmailFrequency.DAILY, batch_size=3)
        assert (run.members, run.emails) == (7, 7)
        assert {m.to[0] for m in mail.outbox[-7:]} == {m.email for m in members}


def token_for(user, scope="all", target=None):
    return unsubscribing.unsubscribe_token(user, scope, target)


class TestUnsubscribe:
    def test_get_asks_before_acting(self, client, thread, recipient):
        following.set_thread_follow_level(recipient, thread, FollowLevel.WATCHING)
        url = reverse("forum:unsubscribe", kwargs={"token": token_for(recipient, "thread", thread.pk)})
        response = client.get(url)
        assert response.status_code == 200
        page = BeautifulSoup(response.content, "html.parser")
        assert page.find("h1").get_text() == f"Stop following the discussion “{thread.title}”?"
        assert page.find("form", method="post")["action"] == url
        assert ThreadFollow.objects.get(user=recipient, thread=thread).level == FollowLevel.WATCHING

    def test_post_unfollows_a_thread_without_signing_in(self, client, thread, recipient):
        following.set_thread_follow_level(recipient, thread, FollowLevel.WATCHING)
        url = reverse("forum:unsubscribe", kwargs={"token": token_for(recipient, "thread", thread.pk)})
        response = client.post(url)
        assert response.status_code == 200 and "no longer follow" in response.content.decode()
        assert ThreadFollow.objects.get(user=recipient, thread=thread).level == FollowLevel.NORMAL

    def test_post_unfollows_a_theme(self, client, theme, recipient):
        following.set_theme_follow_level(recipient, theme, FollowLevel.WATCHING)
        client.post(reverse("forum:unsubscribe", kwargs={"token": token_for(recipient, "theme", theme.pk)}))
        assert not ThemeFollow.objects.filter(user=recipient).exists()

    def test_one_click_post_works_without_session_or_csrf_token(self, recipient):
        client = Client(enforce_csrf_checks=True)
        url = reverse("forum:unsubscribe", kwargs={"token": token_for(recipient)})
        response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        assert NotificationPreference.objects.get(user=recipient).email_frequency == EmailFrequency.NEVER

    def test_acting_twice_is_harmless(self, client, recipient):
        url = reverse("forum:unsubscribe", kwargs={"token": token_for(recipient)})
        assert client.post(url).status_code == 200
        assert client.post(url).status_code == 200
        assert NotificationPreference.objects.get(user=recipient).email_frequency == EmailFrequency.NEVER

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_a_tampered_token_is_refused_with_a_clear_page(self, recipient, other_member, method):
        client = Client(enforce_csrf_checks=True)
        token = token_for(recipient)
        forged = signing.dumps({"u": other_member.pk, "s": "all", "o": None}, salt="some.other.salt", compress=True)
        for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense"):
            response = getattr(client, method)(reverse("forum:unsubscribe", kwargs={"token": bad}))
            assert response.status_code == 400
            assert "This link does not work" in response.content.decode()
        assert not NotificationPreference.objects.exists()

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_an_expired_token_is_refused_with_a_clear_page(self, recipient, method, monkeypatch):
        token = token_for(recipient)
        later = time.time() + unsubscribing.UNSUBSCRIBE_MAX_AGE + 60
        monkeypatch.setattr("django.core.signing.time.time", lambda: later)
        response = getattr(Client(enforce_csrf_checks=True), method)(
            reverse("forum:unsubscribe", kwargs={"token": token})
        )
        assert response.status_code == 400
        assert "This link has expired" in response.content.decode()
        assert not NotificationPreference.objects.exists()

    def test_a_token_for_a_deleted_thread_says_so(self, client, thread, recipient):
        token = token_for(recipient, "thread", thread.pk)
        thread.delete()
        response = client.get(reverse("forum:unsubscribe", kwargs={"token": token}))
        assert response.status_code == 404 and "Nothing to stop" in response.content.decode()

    def test_other_methods_are_refused(self, client, recipient):
        url = reverse("forum:unsubscribe", kwargs={"token": token_for(recipient)})
        assert client.put(url).status_code == 405


class TestSettingsPage:
    def test_it_saves_frequency_and_kinds(self, client, recipient):
        client.force_login(recipient)
        url = reverse("forum:notification_settings")
        response = client.post(url, {"email_frequency": "weekly", "email_kinds": ["reply", "mention"]})
        assert response.status_code == 302
        preference = NotificationPreference.objects.get(user=recipient)
        assert preference.email_frequency == "weekly" and preference.email_kinds == ["reply", "mention"]

    def test_every_kind_ticked_is_stored_as_all(self, client, recipient):
        client.force_login(recipient)
        client.post(reverse("forum:notification_settings"),
                    {"email_frequency": "daily", "email_kinds": list(NotificationKind.values)})
        assert NotificationPreference.objects.get(user=recipient).email_kinds == []

    def test_no_kind_ticked_keeps_the_choice_and_explains(self, client, recipient):
        client.force_login(recipient)
        response = client.post(reverse("forum:notification_settings"), {"email_frequency": "daily"})
        assert response.status_code == 200
        page = BeautifulSoup(response.content, "html.parser")
        assert "Tick at least one kind" in page.select_one(".nhsuk-error-summary").get_text()
        assert page.select_one("input[value=daily]").has_attr("checked")
        assert not NotificationPreference.objects.exists()

    def test_anonymous_readers_are_sent_to_sign_in(self, client):
        response = client.get(reverse("forum:notification_settings"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_the_account_page_links_to_it(self, client, recipient):
        client.force_login(recipient)
        page = BeautifulSoup(client.get(reverse("accounts:settings")).content, "html.parser")
        assert page.find("a", href=reverse("forum:notification_settings"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestRealSmtp:
    def test_an_email_arrives_over_smtp_with_its_parts_headers_and_links(self, watching, thread, other_member,
                                                                         run_tasks):
        from aiosmtpd.controller import Controller

        class Inbox:
            def __init__(self):
                self.messages = []

            async def handle_DATA(self, server, session, envelope):
                self.messages.append(envelope)
                return "250 Message accepted for delivery"

        inbox = Inbox()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                                   EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False,
                                   EMAIL_USE_SSL=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD=""):
                comment = run_tasks(lambda: reply(thread, other_member, body="Over the wire"))
        finally:
            controller.stop()

        # The thread's author watches it too; find the message sent to the theme watcher.
        assert sorted(e.rcpt_tos[0] for e in inbox.messages) == sorted([watching.email, thread.author.email])
        (envelope,) = [e for e in inbox.messages if e.rcpt_tos == [watching.email]]
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert message["Subject"].strip() == f"[Common Ground] Priya Shah commented in “{thread.title}”"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        one_click = message["List-Unsubscribe"].strip().strip("<>")
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        link = unsubscribing.absolute(comment.get_absolute_url())
        assert "Over the wire" in text and link in text
        assert f'href="{link}"' in html
        # The header's link works: one POST, no session, no CSRF token.
        response = Client(enforce_csrf_checks=True).post(path_of(one_click), "List-Unsubscribe=One-Click",
                                                         content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        assert ThreadFollow.objects.get(user=watching, thread=thread).level == FollowLevel.NORMAL
        stop_all = BeautifulSoup(html, "html.parser").find("a", string="Stop all emails")["href"]
        assert Client().get(path_of(stop_all)).status_code == 200


def test_the_benchmark_runs_at_a_tiny_size():
    spec = importlib.util.spec_from_file_location("bench_extra", Path(__file__).parents[2] / "bench" / "extra.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.run(20)
    assert figures["notified"] == 20
    assert figures["digest_emails"] == 20 == figures["emails_built"]
    assert figures["second_run_emails"] == 0
    assert "| Fan-out of one comment to 20 theme watchers |" in module.table(figures)
    from accounts.models import User

    assert not User.objects.filter(email__startswith="bench-").exists()
    assert not ThemeFollow.objects.exists()
