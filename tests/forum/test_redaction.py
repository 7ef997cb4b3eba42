"""A moderator's redaction: earlier versions leave public view and can be removed for good."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.models import ModerationLogEntry, Notification
from forum.moderation import comments as comment_actions
from forum.moderation.flow import carry_out
from forum.posting import services
from tests.forum.conftest import reply
from tests.forum.moderation_support import client_for, mod_client, totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db

PATIENT = "Jane Madeup, NHS number 999 123 4567"
REASON = "Patient-identifiable information"


@pytest.fixture
def slip(thread, other_member):
    """A comment that names a (made-up) patient."""
    return reply(thread, other_member, f"The discharge of {PATIENT} was delayed by a week.")


def history(client, comment) -> str:
    return client.get(reverse("forum:comment_history", args=[comment.pk])).content.decode()


def redact(mod_client, comment, run_tasks=None):
    url = reverse("forum:moderation_comment_edit", args=[comment.pk])
    post = lambda: mod_client.post(url, {"body": "The discharge of [removed by moderators] was delayed.",  # noqa: E731
                                         "reason": REASON})
    response = run_tasks(post) if run_tasks else post()
    assert response.status_code == 302
    return response


def review(mod_client, comment) -> str:
    return mod_client.get(reverse("forum:moderation_comment", args=[comment.pk])).content.decode()


def test_after_a_moderators_edit_readers_no_longer_see_the_earlier_words(mod_client, slip, client, member_client):
    redact(mod_client, slip)

    for reader in (client, member_client):
        page = history(reader, slip)
        assert PATIENT not in page
        assert "[removed by moderators]" in page
        assert "taken this version out of view" in page and REASON in page


def test_the_author_is_told_the_earlier_version_is_out_of_view_not_that_it_is_in_the_history(
    mod_client, slip, other_member, run_tasks
):
    redact(mod_client, slip, run_tasks)

    notice = Notification.objects.get(recipient=other_member, kind="moderation")
    assert "no longer shown to readers" in notice.message
    assert "in its history" not in notice.message


def test_moderators_still_read_the_withheld_versions_on_the_review_page(mod_client, slip):
    redact(mod_client, slip)

    page = review(mod_client, slip)
    assert PATIENT in page and "Withheld from readers" in page


def test_the_authors_later_edit_does_not_bring_the_withheld_words_back(mod_client, slip, other_member, client):
    redact(mod_client, slip)
    services.edit_comment(comment=slip, editor=other_member, body="Discharge was delayed by a week.")

    assert PATIENT not in history(client, slip)


def test_hiding_takes_the_earlier_versions_out_of_view_even_once_shown_again(slip, other_member, totp_moderator,
                                                                            client):
    services.edit_comment(comment=slip, editor=other_member, body="Discharge was delayed by a week.")
    carry_out(comment_actions.Hide(slip, actor=totp_moderator, reason=REASON))
    carry_out(comment_actions.Unhide(slip, actor=totp_moderator))

    page = history(client, slip)
    assert PATIENT not in page and "Discharge was delayed by a week." in page


def test_removing_the_words_for_good_empties_every_withheld_version_and_logs_no_words(mod_client, slip, client):
    redact(mod_client, slip)

    response = mod_client.post(reverse("forum:moderation_comment_action", args=[slip.pk, "remove_versions"]),
                               {"reason": "A patient was named"})

    assert response.status_code == 302
    assert not slip.revisions.filter(body__contains="Madeup").exists()
    assert PATIENT not in review(mod_client, slip)
    assert "removed the words of this version for good" in history(client, slip)
    entry = ModerationLogEntry.objects.get(action="purge_versions")
    assert entry.reason == "A patient was named" and "Madeup" not in entry.target_repr


def test_removing_for_good_is_not_offered_when_no_version_is_withheld(mod_client, slip):
    url = reverse("forum:moderation_comment_action", args=[slip.pk, "remove_versions"])

    assert "Remove the earlier versions’ words for good" not in review(mod_client, slip)
    response = mod_client.post(url, {"reason": "Nothing to remove"})
    assert response.status_code == 302 and slip.revisions.get().body.startswith("The discharge of Jane")


def test_a_member_cannot_remove_versions(member_client, mod_client, slip):
    redact(mod_client, slip)

    response = member_client.post(reverse("forum:moderation_comment_action", args=[slip.pk, "remove_versions"]),
                                  {"reason": "I would like to"})

    assert response.status_code == 403
    assert slip.revisions.filter(body__contains="Madeup").exists()


def test_a_moderator_without_a_second_factor_cannot_remove_versions(slip, mod_client, moderator):
    redact(mod_client, slip)

    response = client_for(moderator).post(
        reverse("forum:moderation_comment_action", args=[slip.pk, "remove_versions"]), {"reason": "Names a patient"}
    )

    assert response.status_code == 403
    assert slip.revisions.filter(body__contains="Madeup").exists()


def test_the_review_page_offers_removal_once_a_version_is_withheld(mod_client, slip):
    redact(mod_client, slip)

    assert "Remove the earlier versions’ words for good" in review(mod_client, slip)
