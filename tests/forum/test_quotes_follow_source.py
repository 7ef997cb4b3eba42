"""A quote follows the comment it quotes: once that is hidden, deleted, redacted or erased, the
quoting comment shows a note in its place, on every page and in every version."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from accounts import privacy
from forum.models import Comment
from forum.posting.quoting import REMOVED_QUOTE
from tests.forum.conftest import reply
from tests.forum.moderation_support import client_for, mod_client, totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db

WORDS = "Ward 7 turned away four referrals last Tuesday"


@pytest.fixture
def quoted(thread, other_member):
    """Member A's comment, which member B quotes."""
    return reply(thread, other_member, f"{WORDS}. We should talk about capacity.")


def quote_it(client, thread, quoted, *, part: str = "") -> Comment:
    """Member B follows the Quote link (optionally with selected words) and posts the form as offered."""
    query = urlencode({"quote": quoted.pk, **({"part": part} if part else {})})
    page = BeautifulSoup(client.get(f"{thread.get_absolute_url()}?{query}").content, "html.parser")
    body = page.find("textarea", attrs={"name": "body"}).get_text()
    data = {"action": "post", "stance": "", "body": body.lstrip("\n") + "\n\nI agree with this.",
            "quoted_comment": quoted.pk, "parent": quoted.pk}
    assert client.post(reverse("forum:reply", kwargs={"pk": thread.pk}), data).status_code == 302
    quoting = Comment.objects.get(quoted_comment=quoted)
    assert (part or WORDS)[:20] in quoting.body_html
    return quoting


def everywhere(client, quoting) -> str:
    """The thread page and the quoting comment's history, as one text."""
    pages = [quoting.thread.get_absolute_url(), reverse("forum:comment_history", args=[quoting.pk])]
    return "".join(client.get(url).content.decode() for url in pages)


def test_hiding_the_source_replaces_the_quote_everywhere(member_client, mod_client, client, thread, quoted):
    quoting = quote_it(member_client, thread, quoted)

    mod_client.post(reverse("forum:moderation_comment_action", args=[quoted.pk, "hide"]), {"reason": "Names a ward"})

    shown = everywhere(client, quoting)
    assert WORDS not in shown and REMOVED_QUOTE in shown
    assert "I agree with this." in shown
    assert not quoting.revisions.filter(body__contains="Ward 7").exists()


def test_the_authors_deleting_the_source_replaces_the_quote(member_client, client, thread, quoted, other_member):
    quoting = quote_it(member_client, thread, quoted)

    client_for(other_member).post(reverse("forum:comment_delete", kwargs={"pk": quoted.pk}))

    shown = everywhere(client, quoting)
    assert WORDS not in shown and REMOVED_QUOTE in shown


def test_a_moderators_redaction_of_the_source_replaces_the_quote(member_client, mod_client, client, thread, quoted):
    quoting = quote_it(member_client, thread, quoted)

    mod_client.post(reverse("forum:moderation_comment_edit", args=[quoted.pk]),
                    {"body": "[removed by moderators]", "reason": "Names a ward"})

    assert WORDS not in everywhere(client, quoting)


def test_a_quote_of_selected_words_follows_its_source_too(member_client, mod_client, client, thread, quoted):
    quoting = quote_it(member_client, thread, quoted, part="turned away four referrals")
    assert "We should talk" not in quoting.body

    mod_client.post(reverse("forum:moderation_comment_action", args=[quoted.pk, "delete"]), {"reason": "Names a ward"})

    shown = everywhere(client, quoting)
    assert "turned away four referrals" not in shown and REMOVED_QUOTE in shown


def test_erasing_the_sources_author_with_their_words_replaces_the_quote(member_client, client, thread, quoted,
                                                                        other_member):
    quoting = quote_it(member_client, thread, quoted)

    privacy.delete_account(user=other_member, remove_text=True)

    assert WORDS not in everywhere(client, quoting)


def test_quoting_a_comment_that_quotes_another_carries_only_its_own_words(member_client, client, thread, quoted,
                                                                          moderator):
    middle = quote_it(member_client, thread, quoted)

    page = BeautifulSoup(client_for(moderator).get(f"{thread.get_absolute_url()}?quote={middle.pk}").content,
                         "html.parser")

    offered = page.find("textarea", attrs={"name": "body"}).get_text()
    assert "I agree with this." in offered and WORDS not in offered
