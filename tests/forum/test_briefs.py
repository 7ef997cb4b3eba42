"""The theme brief: what it holds, as HTML and as a PDF, and when the PDF cannot be made."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import StakeholderGroup
from forum.agreement import services as agreements
from forum.briefs import pdf
from forum.briefs.content import build_brief
from forum.models import EntryKind
from forum.moderation import themes as theme_actions
from forum.moderation.flow import carry_out
from tests.conftest import make_member
from tests.forum.conftest import make_theme, reply
from tests.forum.moderation_support import make_facilitator
from tests.forum.planning_support import post, two_regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def common_ground(thread, member):
    """A comment that members of three named groups agree with."""
    comment = reply(thread, member, "Shared waiting lists across providers are fairer to patients.")
    for number, group in enumerate((StakeholderGroup.ICB, StakeholderGroup.VCSE, StakeholderGroup.SOCIAL_CARE)):
        voter = make_member(f"voter{number}@example.org", display_name=f"Voter {number}", stakeholder_group=group)
        agreements.agree(comment=comment, member=voter)
    return comment


def brief_url(theme, name="forum:theme_brief"):
    return reverse(name, kwargs={"slug": theme.slug})


def test_the_brief_holds_the_summary_missing_voices_and_common_ground(client, thread, common_ground):
    page = client.get(brief_url(thread.theme)).content.decode()

    assert "Brief made on" in page and "for all regions and groups" in page
    assert "Who took part" in page and "Who has not taken part" in page
    assert "Shared waiting lists across providers are fairer to patients." in page


def test_the_brief_lists_the_themes_needs_and_offers(client, thread, member, stage):
    stage.themes.add(thread.theme)
    post(EntryKind.NEED, member, stage, theme=thread.theme, title="Weekend theatre staff")

    brief = build_brief(thread.theme)

    assert [entry.thread.title for entry in brief.needs] == ["Weekend theatre staff"]
    assert "Weekend theatre staff" in client.get(brief_url(thread.theme)).content.decode()


def test_a_theme_with_no_activity_says_so_plainly(client, db):
    quiet = make_theme("quiet-theme", title="A quiet theme")

    page = client.get(brief_url(quiet)).content.decode()

    assert "Nothing has happened in this theme yet" in page


@pytest.mark.skipif(not pdf.available(), reason="WeasyPrint cannot be loaded here (Pango is missing)")
def test_the_pdf_holds_the_common_ground_comments(client, thread, common_ground):
    response = client.get(brief_url(thread.theme, "forum:theme_brief_pdf"))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Shared waiting lists across providers are fairer to patients." in " ".join(text.split())
    assert thread.theme.title in text


def test_without_weasyprint_the_pdf_link_says_so_and_the_html_brief_works(client, thread, monkeypatch):
    monkeypatch.setattr(pdf, "weasyprint", None)

    page = client.get(brief_url(thread.theme)).content.decode()
    response = client.get(brief_url(thread.theme, "forum:theme_brief_pdf"))

    assert "The PDF cannot be made on this server" in page
    assert response.status_code == 503 and "print it instead" in response.content.decode()


def test_a_brief_for_one_region_says_so_and_keeps_to_it(client, thread, common_ground, stage, member):
    here, elsewhere = two_regions()
    stage.themes.add(thread.theme)
    post(EntryKind.NEED, member, stage, theme=thread.theme, title="Weekend theatre staff", region_obj=here)

    page = client.get(brief_url(thread.theme), {"region": elsewhere.code}).content.decode()

    assert f"with these filters: region {elsewhere.name}" in page
    assert "Weekend theatre staff" not in page
    assert "Shared waiting lists across providers" not in page  # written with no region


def test_a_brief_for_an_unknown_region_is_a_400_in_words(client, thread):
    response = client.get(brief_url(thread.theme), {"region": "E54999999"})

    assert response.status_code == 400 and "not a region we know" in response.content.decode()


def test_the_brief_lists_commitments_with_their_status(client, thread):
    facilitator = make_facilitator("fay@example.org", display_name="Fay Facilitator")
    step = carry_out(theme_actions.Respond(thread.theme, actor=facilitator, body="We heard you.", commitments=[
        {"what": "Open two evening clinics", "owner_organisation": "North ICB", "due_on": date(2027, 3, 31)}]))
    commitment = step.response.commitments.get()
    commitment.change_status(status="in_progress", note="The first clinic opened.", author=facilitator)

    page = client.get(brief_url(thread.theme)).content.decode()

    assert "Open two evening clinics" in page and "North ICB" in page
    assert "In progress" in page and "The first clinic opened." in page
