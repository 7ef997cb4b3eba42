"""Deleting an account leaves nothing of the member's words or name behind, and "download my
data" holds everything they wrote (drafts, reports and appeals included)."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from forum.models import Appeal, Draft, Flag, FlagReason, ModerationLogEntry
from forum.moderation import appeals, reports
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.moderation.privacy import ERASED_WORDS
from forum.posting import drafts
from tests.accounts.helpers import reauthenticate
from tests.forum.conftest import reply
from tests.forum.moderation_support import totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaver(other_member):
    """Priya Shah, who has a draft, a report and an appeal, each in her own words."""
    return other_member


@pytest.fixture
def her_words(leaver, thread, member, totp_moderator):
    drafts.save_draft(user=leaver, context=f"thread:{thread.pk}", body="Half-written thoughts about Ward 9.")
    reports.flag_comment(comment=reply(thread, member, "Something to report."), flagger=leaver,
                         reason=FlagReason.OTHER, detail="Reported because Dr Example is named.")
    hidden = reply(thread, leaver, "A comment that gets hidden.")
    carry_out(comment_actions.Hide(hidden, actor=totp_moderator, reason="Off-topic."))
    appeals.submit_appeal(entry=ModerationLogEntry.objects.get(action="hide"), member=leaver,
                          text="Please look again: it was on topic.")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    reauthenticate(client)
    return client


def delete_account(user, *, remove_text: bool) -> None:
    data = {"confirm": "on", **({"remove_text": "on"} if remove_text else {})}
    assert signed_in(user).post(reverse("accounts:delete_account"), data).status_code == 302


def test_the_download_holds_the_members_drafts_reports_and_appeals(leaver, her_words):
    response = signed_in(leaver).post(reverse("accounts:data_export"))

    forum = json.loads(response.content)["forum"]
    assert [d["body"] for d in forum["drafts"]] == ["Half-written thoughts about Ward 9."]
    assert [(r["reason"], r["what_you_wrote"]) for r in forum["reports"]] == [
        ("Other", "Reported because Dr Example is named.")]
    assert [(a["decision"], a["what_you_wrote"]) for a in forum["appeals"]] == [
        ("Hidden", "Please look again: it was on topic.")]


@pytest.mark.parametrize("remove_text", [False, True])
def test_deleting_the_account_erases_drafts_and_the_words_of_reports_and_appeals(leaver, her_words, remove_text):
    delete_account(leaver, remove_text=remove_text)

    assert not Draft.objects.filter(user=leaver).exists()
    assert Flag.objects.get(flagger=leaver).detail == ""
    assert Appeal.objects.get(member=leaver).text == ERASED_WORDS


def test_others_mentions_and_quote_attributions_become_former_member(leaver, member, thread, client):
    hers = reply(thread, leaver, "Community beds are the bottleneck.")
    quoting = reply(thread, member, '> @"Priya Shah" wrote:\n>\n> Community beds are the bottleneck.\n\nAgreed.',
                    quoted_comment=hers)
    reply(thread, member, 'As @Priya_Shah said, and @"priya shah" again.')

    delete_account(leaver, remove_text=False)

    page = client.get(thread.get_absolute_url()).content.decode()
    history = client.get(reverse("forum:comment_history", args=[quoting.pk])).content.decode()
    for shown in (page, history):
        assert "Priya" not in shown and "priya" not in shown
        assert "Former member wrote:" in shown
    assert "As Former member said, and Former member again." in page
    assert leaver.get_absolute_url() not in page
