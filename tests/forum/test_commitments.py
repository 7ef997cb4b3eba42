"""Commitments ("you said, we did", tracked): made with a response, updated by facilitators through
the moderation flow, followers told, readers shown each one with its dated updates."""
# ruff: noqa: F811 - the fixtures imported from tests.forum.moderation_support are used as arguments

from __future__ import annotations

import datetime

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from config import versions
from forum.models import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    FollowLevel,
    ModerationLogEntry,
    Notification,
    NotificationKind,
    ThemeFollow,
    ThemeResponse,
    ThemeStatus,
)
from forum.moderation import themes as theme_actions
from forum.moderation.commitments import ChangeCommitment
from forum.moderation.flow import ModerationError, carry_out
from forum.notifications import handlers as notification_handlers
from tests.conftest import make_member
from tests.forum.moderation_support import client_for, facilitator, mod_client, totp_moderator  # noqa: F401

pytestmark = pytest.mark.django_db

DUE = datetime.date(2027, 3, 31)


def respond_data(body="You said waits were too long; we will act.", rows=(), interim=False) -> dict:
    """The response form as a browser posts it: the body, three commitment rows (blank unless given)."""
    data = {"body": body, "commitments-TOTAL_FORMS": "3", "commitments-INITIAL_FORMS": "0",
            "commitments-MIN_NUM_FORMS": "0", "commitments-MAX_NUM_FORMS": "3"}
    for n in range(3):
        row = rows[n] if n < len(rows) else {}
        for name in ("what", "owner_organisation", "due_on"):
            data[f"commitments-{n}-{name}"] = row.get(name, "")
    if interim:
        data["interim"] = "on"
    return data


CLINICS = {"what": "Open two evening clinics", "owner_organisation": "NHS North ICB", "due_on": "2027-03-31"}
LETTERS = {"what": "Write to everyone waiting", "owner_organisation": "City Hospital Trust", "due_on": "2026-12-31"}


@pytest.fixture
def commitment(theme, facilitator):
    step = carry_out(theme_actions.Respond(theme, actor=facilitator, body="We heard you.",
                                           commitments=[{**CLINICS, "due_on": DUE}]))
    return step.response.commitments.get()


@pytest.fixture
def follower(theme):
    member = make_member("follower@example.org", display_name="Flo Follower")
    ThemeFollow.objects.create(user=member, theme=theme, level=FollowLevel.WATCHING)
    return member


def status_url(commitment) -> str:
    return reverse("forum:commitment_status", args=[commitment.theme.slug, commitment.pk])


def page_text(client, url) -> str:
    return BeautifulSoup(client.get(url).content, "html.parser").get_text(" ", strip=True)


class TestResponseWithCommitments:
    def test_a_response_carries_its_commitments_in_the_order_written(self, facilitator, theme):
        url = reverse("forum:theme_respond", args=[theme.slug])
        response = client_for(facilitator).post(url, respond_data(rows=[CLINICS, {}, LETTERS]))
        assert response.status_code == 302
        saved = list(Commitment.objects.filter(theme=theme).values_list("what", "owner_organisation", "due_on",
                                                                        "status"))
        assert saved == [
            ("Open two evening clinics", "NHS North ICB", DUE, CommitmentStatus.PLANNED),
            ("Write to everyone waiting", "City Hospital Trust", datetime.date(2026, 12, 31), CommitmentStatus.PLANNED),
        ]
        theme.refresh_from_db()
        assert theme.status == ThemeStatus.RESPONDED

    def test_a_half_filled_row_is_refused_and_nothing_is_saved(self, facilitator, theme):
        url = reverse("forum:theme_respond", args=[theme.slug])
        data = respond_data(body="Our answer, kept.", rows=[CLINICS, {"what": "Hire two more nurses"}])
        response = client_for(facilitator).post(url, data)
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        summary = soup.select_one(".nhsuk-error-summary").get_text(" ", strip=True)
        assert "Commitment 2: Enter which organisation will do it." in summary
        assert "Commitment 2: Enter the date it will be done by." in summary
        assert soup.select_one("#id_commitments-1-owner_organisation-error") is not None
        assert soup.select_one("#id_commitments-1-what")["value"] == "Hire two more nurses"
        assert soup.select_one("#id_commitments-0-what")["value"] == CLINICS["what"]
        assert soup.select_one("#id_body").get_text().strip() == "Our answer, kept."
        assert not ThemeResponse.objects.exists() and not Commitment.objects.exists()
        theme.refresh_from_db()
        assert theme.status == ThemeStatus.OPEN

    def test_a_row_with_only_a_date_is_refused_too(self, facilitator, theme):
        url = reverse("forum:theme_respond", args=[theme.slug])
        response = client_for(facilitator).post(url, respond_data(rows=[{"due_on": "2027-01-01"}]))
        assert response.status_code == 200
        assert "Enter what will be done." in response.content.decode()
        assert not ThemeResponse.objects.exists()

    def test_the_step_refuses_a_commitment_without_an_owner_and_saves_nothing(self, facilitator, theme):
        step = theme_actions.Respond(theme, actor=facilitator, body="We heard.",
                                     commitments=[{"what": "Something", "owner_organisation": "", "due_on": DUE}])
        with pytest.raises(ModerationError, match="which organisation"):
            carry_out(step)
        assert not ThemeResponse.objects.exists() and not ModerationLogEntry.objects.exists()

    def test_an_interim_response_leaves_the_theme_open(self, facilitator, theme, client):
        url = reverse("forum:theme_respond", args=[theme.slug])
        client_for(facilitator).post(url, respond_data(rows=[CLINICS], interim=True))
        theme.refresh_from_db()
        assert theme.status == ThemeStatus.OPEN and theme.is_accepting_posts
        assert ThemeResponse.objects.get().is_interim
        assert "Official response (interim)" in page_text(client, theme.get_absolute_url())

    def test_the_form_offers_three_rows_and_the_interim_box(self, facilitator, theme):
        soup = BeautifulSoup(client_for(facilitator).get(reverse("forum:theme_respond", args=[theme.slug])).content,
                             "html.parser")
        assert len(soup.select("fieldset legend")) == 3
        assert soup.select_one("#id_commitments-2-due_on")["type"] == "date"
        assert soup.select_one("#id_interim")["type"] == "checkbox"

    def test_readers_see_each_commitment_under_the_response(self, commitment, client):
        soup = BeautifulSoup(client.get(commitment.theme.get_absolute_url()).content, "html.parser")
        item = soup.select_one(f"#commitment-{commitment.pk}")
        text = item.get_text(" ", strip=True)
        assert "Open two evening clinics" in text and "NHS North ICB" in text and "31 March 2027" in text
        assert item.select_one(".nhsuk-tag--grey").get_text() == "Planned"
        assert "Update this commitment" not in text  # readers get no facilitator's link


class TestStatusChange:
    def test_a_status_change_writes_a_dated_update_and_is_logged_on_the_theme(self, facilitator, commitment):
        response = client_for(facilitator).post(status_url(commitment), {"status": "in_progress",
                                                                         "note": "The first clinic opened."})
        assert response.status_code == 302
        assert response["Location"].endswith(f"#commitment-{commitment.pk}")
        commitment.refresh_from_db()
        assert commitment.status == CommitmentStatus.IN_PROGRESS
        update = CommitmentUpdate.objects.get()
        assert (update.status, update.note, update.author, update.author_name) == (
            "in_progress", "The first clinic opened.", facilitator, "Fran Facilitator")
        entry = ModerationLogEntry.objects.filter(action="commitment_status").get()
        assert (entry.target_type, entry.target_id) == ("theme", commitment.theme_id)
        assert "Planned → In progress" in entry.reason

    def test_the_themes_followers_are_told_in_the_app_and_by_email(self, facilitator, commitment, follower,
                                                                    run_tasks):
        mail.outbox.clear()
        run_tasks(lambda: carry_out(ChangeCommitment(commitment, actor=facilitator, status="done",
                                                     note="Both clinics are open.")))
        notice = Notification.objects.get(recipient=follower, kind=NotificationKind.COMMITMENT)
        assert notice.theme_id == commitment.theme_id
        assert notice.message == "“Open two evening clinics” (NHS North ICB) is now done. Both clinics are open."
        sent = [m for m in mail.outbox if m.to == [follower.email]]
        assert len(sent) == 1
        assert "A commitment on the theme" in sent[0].subject and "has an update" in sent[0].subject
        assert "Both clinics are open." in sent[0].body

    def test_muted_and_unfollowing_members_are_not_told(self, facilitator, commitment, theme, run_tasks):
        muted = make_member("muted@example.org", display_name="Mo Muted")
        ThemeFollow.objects.create(user=muted, theme=theme, level=FollowLevel.MUTED)
        bystander = make_member("bystander@example.org", display_name="By Stander")
        run_tasks(lambda: carry_out(ChangeCommitment(commitment, actor=facilitator, status="in_progress")))
        assert not Notification.objects.filter(recipient__in=[muted, bystander]).exists()

    def test_a_retried_delivery_adds_nothing(self, facilitator, commitment, follower):
        update = commitment.change_status(status="in_progress", note="", author=facilitator)
        at = update.created_at.isoformat()
        notification_handlers.commitment_changed(commitment.pk, "in_progress", at)
        notification_handlers.commitment_changed(commitment.pk, "in_progress", at)
        assert Notification.objects.filter(recipient=follower, kind=NotificationKind.COMMITMENT).count() == 1

    def test_dropping_needs_a_reason(self, facilitator, commitment):
        response = client_for(facilitator).post(status_url(commitment), {"status": "dropped", "note": " "})
        assert response.status_code == 200
        assert "Give the reason it was dropped." in response.content.decode()
        with pytest.raises(ModerationError):
            carry_out(ChangeCommitment(commitment, actor=facilitator, status="dropped"))
        with pytest.raises(ValidationError):
            commitment.change_status(status="dropped", note="", author=facilitator)
        commitment.refresh_from_db()
        assert commitment.status == CommitmentStatus.PLANNED
        assert not CommitmentUpdate.objects.exists()
        assert not ModerationLogEntry.objects.filter(action="commitment_status").exists()

    def test_the_same_status_without_a_note_is_refused(self, facilitator, commitment):
        response = client_for(facilitator).post(status_url(commitment), {"status": "planned"})
        assert response.status_code == 200
        assert "It is already planned." in response.content.decode()
        assert not CommitmentUpdate.objects.exists()

    def test_readers_see_the_dated_updates_and_why_it_was_dropped(self, facilitator, commitment, follower, client,
                                                                 run_tasks):
        carry_out(ChangeCommitment(commitment, actor=facilitator, status="in_progress", note="Recruiting staff."))
        run_tasks(lambda: carry_out(ChangeCommitment(commitment, actor=facilitator, status="dropped",
                                                     note="The building was not ready.")))
        soup = BeautifulSoup(client.get(commitment.theme.get_absolute_url()).content, "html.parser")
        item = soup.select_one(f"#commitment-{commitment.pk}")
        assert item.select_one(".nhsuk-tag--red").get_text() == "Dropped"
        updates = [li.get_text(" ", strip=True) for li in item.select("ul li")]
        assert len(updates) == 2
        assert "In progress. Recruiting staff." in updates[0]
        assert "Dropped. The reason: The building was not ready." in updates[1]
        notice = Notification.objects.filter(recipient=follower, kind=NotificationKind.COMMITMENT).latest("pk")
        assert notice.message.endswith("is now dropped. The reason: The building was not ready.")

    def test_only_facilitators_may_update_a_commitment(self, commitment, member_client, mod_client):
        url = status_url(commitment)
        assert Client().get(url).status_code == 302  # to sign in
        assert member_client.post(url, {"status": "done"}).status_code == 403
        assert mod_client.post(url, {"status": "done"}).status_code == 403
        assert mod_client.get(url).status_code == 403
        commitment.refresh_from_db()
        assert commitment.status == CommitmentStatus.PLANNED

    def test_facilitators_see_the_link_to_update_it(self, facilitator, commitment):
        soup = BeautifulSoup(client_for(facilitator).get(commitment.theme.get_absolute_url()).content, "html.parser")
        link = soup.select_one(f"#commitment-{commitment.pk} a")
        assert link["href"] == status_url(commitment)

    def test_a_commitment_is_found_only_under_its_own_theme(self, facilitator, commitment):
        from tests.forum.conftest import make_theme

        other = make_theme("another-theme", title="Another theme", position=2)
        url = reverse("forum:commitment_status", args=[other.slug, commitment.pk])
        assert client_for(facilitator).get(url).status_code == 404


class TestTheListOfEveryCommitment:
    def test_it_lists_each_commitment_under_its_theme_with_the_counts(self, commitment, facilitator):
        carry_out(ChangeCommitment(commitment, actor=facilitator, status="done", note="Both open."))
        soup = BeautifulSoup(Client().get(reverse("forum:commitments")).content, "html.parser")
        text = soup.get_text(" ", strip=True)
        assert "1 done." in text
        assert soup.select_one("main h2 a")["href"] == commitment.theme.get_absolute_url()
        item = soup.select_one(f"#commitment-{commitment.pk}")
        assert "Open two evening clinics" in item.get_text() and "Both open." in item.get_text()

    def test_it_says_when_there_are_none(self, db):
        assert "No commitments yet." in page_text(Client(), reverse("forum:commitments"))

    def test_the_theme_page_links_to_it(self, commitment):
        soup = BeautifulSoup(Client().get(commitment.theme.get_absolute_url()).content, "html.parser")
        assert soup.find("a", string="Every commitment, across the themes")["href"] == reverse("forum:commitments")

    def test_its_queries_do_not_grow_with_the_commitments(self, commitment, facilitator, theme,
                                                          django_assert_max_num_queries):
        for n in range(5):
            carry_out(theme_actions.Respond(theme, actor=facilitator, body=f"More {n}.", interim=True,
                                            commitments=[{**CLINICS, "due_on": DUE}, {**LETTERS, "due_on": DUE}]))
        with django_assert_max_num_queries(6):
            assert Client().get(reverse("forum:commitments")).status_code == 200


class TestCachedPages:
    @pytest.fixture(autouse=True)
    def _settled_at_once(self, monkeypatch):
        """Pages may be stored straight after a change (the settling time is tested on its own)."""
        monkeypatch.setattr(versions, "SETTLE_SECONDS", 0.0)

    def test_a_cached_theme_page_shows_a_status_change_at_once(self, client, commitment, facilitator):
        url = commitment.theme.get_absolute_url()
        assert client.get(url)["X-Forum-Cache"] == "miss"
        assert client.get(url)["X-Forum-Cache"] == "hit"
        carry_out(ChangeCommitment(commitment, actor=facilitator, status="done", note="Both open."))
        response = client.get(url)
        assert response["X-Forum-Cache"] == "miss"
        item = BeautifulSoup(response.content, "html.parser").select_one(f"#commitment-{commitment.pk}")
        assert item.select_one(".nhsuk-tag--green").get_text() == "Done"

    def test_the_cached_list_of_commitments_shows_a_status_change_at_once(self, client, commitment, facilitator):
        url = reverse("forum:commitments")
        assert client.get(url)["X-Forum-Cache"] == "miss"
        assert client.get(url)["X-Forum-Cache"] == "hit"
        carry_out(ChangeCommitment(commitment, actor=facilitator, status="in_progress"))
        assert "1 in progress." in page_text(client, url)
