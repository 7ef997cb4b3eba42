"""Downloading comments as CSV and JSON: who may, what is in them, what never is."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import StakeholderGroup
from forum import exports
from forum.agreement import services as agreements
from forum.models import Comment, Thread
from forum.posting import services
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply

pytestmark = pytest.mark.django_db

SITE = "https://common-ground.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE
    settings.EXPORT_REQUIRES_GROUP = ""


def theme_url(theme, fmt="csv"):
    return reverse("forum:theme_export", kwargs={"slug": theme.slug, "fmt": fmt})


def all_url(fmt="csv"):
    return reverse("forum:export_all", kwargs={"fmt": fmt})


def body_of(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body_of(response).removeprefix("\ufeff"))))


@pytest.fixture
def anchored(theme, source, member, other_member):
    """A discussion about a paragraph: Alex (NHS, verified, at a trust) opens, Priya replies."""
    member.organisation_name = "Northshire Hospitals"
    member.affiliation_verified = True
    member.save()
    thread = services.start_thread(
        theme=theme,
        author=member,
        title="Waiting lists",
        body="=HYPERLINK(\"http://evil.example\")",
        stance="concern",
        paragraph=source.paragraphs[0],
    )
    reply(thread, other_member, "- a list item\n- another")
    return thread


class TestWhoMayDownload:
    def test_anonymous_readers_are_sent_to_sign_in(self, client, theme):
        response = client.get(theme_url(theme))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
        assert client.get(all_url("json")).status_code == 302
        assert client.get(reverse("forum:exports")).status_code == 302

    def test_signed_in_members_may_download_by_default(self, member_client, theme):
        assert member_client.get(theme_url(theme)).status_code == 200
        assert member_client.get(reverse("forum:exports")).status_code == 200

    def test_a_setting_can_limit_downloads_to_one_group(self, client, settings, member, theme):
        settings.EXPORT_REQUIRES_GROUP = "Planners"
        client.force_login(member)
        refused = client.get(theme_url(theme))
        assert refused.status_code == 403
        assert "“Planners” group" in refused.content.decode()
        assert client.get(reverse("forum:exports")).status_code == 403
        member.groups.add(Group.objects.create(name="Planners"))
        client.force_login(member)
        assert client.get(theme_url(theme)).status_code == 200

    def test_it_answers_only_get_and_only_csv_or_json(self, member_client, theme):
        assert member_client.post(theme_url(theme)).status_code == 405
        assert member_client.get(theme_url(theme, "xlsx")).status_code == 404
        unknown = reverse("forum:theme_export", kwargs={"slug": "nope", "fmt": "csv"})
        assert member_client.get(unknown).status_code == 404


class TestCsv:
    def test_it_holds_one_row_per_comment_with_every_column(self, member_client, theme, anchored, member, source):
        opening, answer = anchored.comments.order_by("position")
        agreements.agree(comment=answer, member=member)
        response = member_client.get(theme_url(theme))
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith(f'attachment; filename="common-ground-{theme.slug}-')
        rows = read_csv(response)
        assert list(rows[0]) == exports.CSV_HEADER
        assert [int(r["comment_id"]) for r in rows] == [opening.pk, answer.pk]
        first, second = rows
        assert first["theme"] == theme.title
        assert first["thread_title"] == "Waiting lists"
        assert first["permalink"] == f"{SITE}{opening.get_absolute_url()}"
        assert first["paragraph_key"] == source.paragraphs[0].key
        assert first["paragraph_anchor"] == source.paragraphs[0].anchor
        assert first["paragraph_url"] == f"{SITE}{source.paragraphs[0].get_absolute_url()}"
        assert (first["author"], first["group"], first["verification"], first["organisation"]) == (
            "Alex Member",
            "NHS trust or NHS staff",
            "verified group",
            "Northshire Hospitals",
        )
        assert first["stance"] == "Concern"
        assert second["group"] == "Social care provider" and second["verification"] == "self-declared"
        assert second["agree_count"] == "1" and second["agree_nhs"] == "1" and second["agree_icb"] == "0"
        assert second["common_ground"] == "no"
        assert first["created_at"] == opening.created_at.isoformat()
        assert first["edited_at"] == ""

    def test_cells_a_spreadsheet_would_run_are_prefixed_with_a_quote(self, member_client, theme, anchored):
        rows = read_csv(member_client.get(theme_url(theme)))
        assert rows[0]["text"] == "'=HYPERLINK(\"http://evil.example\")"
        assert rows[1]["text"].startswith("'- a list item")

    @pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
    def test_safe_cell_neutralises_formulas(self, value):
        assert exports.safe_cell(value) == "'" + value

    def test_safe_cell_leaves_ordinary_text_and_numbers_alone(self):
        assert exports.safe_cell("Plain text") == "Plain text"
        assert exports.safe_cell(-3) == -3

    def test_hidden_deleted_and_pending_comments_are_not_exported(self, member_client, theme, anchored, other_member):
        hidden = reply(anchored, other_member, "Hidden")
        Comment.objects.filter(pk=hidden.pk).update(is_hidden=True)
        deleted = reply(anchored, other_member, "Deleted")
        services.delete_comment(comment=deleted, deleted_by=other_member)
        reply(anchored, other_member, "Waiting for approval", needs_approval=True)
        hidden_thread = services.start_thread(theme=theme, author=other_member, title="Hidden thread", body="No")
        Thread.objects.filter(pk=hidden_thread.pk).update(is_hidden=True)
        rows = read_csv(member_client.get(theme_url(theme)))
        assert len(rows) == 2
        assert all(r["thread_title"] == "Waiting lists" for r in rows)

    def test_the_all_themes_export_covers_every_theme(self, member_client, theme, anchored, member):
        other = make_theme("social-care", title="Social care", position=2)
        services.start_thread(theme=other, author=member, title="Care homes", body="Beds")
        rows = read_csv(member_client.get(all_url()))
        assert [r["theme"] for r in rows] == [theme.title, theme.title, "Social care"]

    @pytest.mark.parametrize("replies", [1, 40])
    def test_it_costs_the_same_whatever_the_size(
        self, member_client, theme, anchored, other_member, replies, django_assert_max_num_queries
    ):
        for number in range(replies):
            reply(anchored, other_member, f"Reply {number}")
        read_csv(member_client.get(theme_url(theme)))  # the first request also records the session
        with django_assert_max_num_queries(4):
            rows = read_csv(member_client.get(theme_url(theme)))
        assert len(rows) == replies + 2


class TestJson:
    def test_it_is_one_document_with_the_same_fields(self, member_client, theme, anchored, member):
        opening, answer = anchored.comments.order_by("position")
        for number, group in enumerate([StakeholderGroup.ICB, StakeholderGroup.VCSE]):
            agreements.agree(
                comment=answer,
                member=make_member(f"j{number}@example.org", display_name=f"J {number}", stakeholder_group=group),
            )
        agreements.agree(comment=answer, member=member)
        response = member_client.get(theme_url(theme, "json"))
        assert response["Content-Type"] == "application/json; charset=utf-8"
        document = json.loads(body_of(response))
        assert document["scope"] == theme.slug
        assert document["site"] == SITE
        first, second = document["comments"]
        assert first["text"] == "=HYPERLINK(\"http://evil.example\")"  # JSON keeps the text exactly
        assert first["permalink"] == f"{SITE}{opening.get_absolute_url()}"
        assert second["agree_count"] == 3
        assert second["agree_groups"]["icb"] == 1 and second["agree_groups"]["vcse"] == 1
        assert second["agree_groups"]["nhs"] == 1 and second["agree_groups"]["patient_public"] == 0
        assert second["common_ground"] is True
        assert set(first) >= {"thread_id", "comment_id", "paragraph_anchor", "group", "verification", "edited_at"}

    def test_an_empty_export_is_still_valid_json(self, member_client, theme):
        assert json.loads(body_of(member_client.get(theme_url(theme, "json"))))["comments"] == []


class TestDownloadsPage:
    def test_it_links_every_theme_and_explains_each_column(self, member_client, theme):
        text = member_client.get(reverse("forum:exports")).content.decode()
        assert theme_url(theme) in text and theme_url(theme, "json") in text
        assert all_url() in text
        for column in exports.CSV_HEADER:
            assert f"<code>{column}</code>" in text
