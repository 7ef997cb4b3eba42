"""Coded responses: the codebook, applying codes, counts by group, downloads, who may."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum import exports
from forum.coding import services
from forum.member_data import erase_member_data
from forum.models import Code, CodeApplication, Comment
from tests.forum.conftest import make_theme, reply
from tests.forum.moderation_support import make_facilitator

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(db):
    return make_facilitator("fay@example.org", display_name="Fay Facilitator")


@pytest.fixture
def workforce(theme, facilitator):
    return services.add_code(theme=theme, label="Workforce", description="Staff and skills.", by=facilitator)


def test_a_facilitator_adds_codes_and_a_label_cannot_be_used_twice(theme, facilitator, workforce):
    with pytest.raises(ValidationError, match="already has a code"):
        services.add_code(theme=theme, label="workforce", description="", by=facilitator)
    assert list(theme.codes.values_list("label", flat=True)) == ["Workforce"]


def test_members_cannot_keep_the_codebook_or_apply_codes(theme, thread, member, workforce):
    with pytest.raises(PermissionDenied):
        services.add_code(theme=theme, label="Cost", description="", by=member)
    with pytest.raises(PermissionDenied):
        services.set_codes(comment=thread.comments.get(), codes=[workforce], by=member)


def test_applied_codes_show_with_who_applied_them(client, thread, facilitator, workforce):
    opening = thread.comments.get()

    services.set_codes(comment=opening, codes=[workforce], by=facilitator)

    opening.refresh_from_db()
    assert opening.codes == [{"id": workforce.pk, "label": "Workforce", "by": "Fay Facilitator"}]
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Coded by the facilitators" in page and "Workforce" in page and "Fay Facilitator" in page


def test_a_code_from_another_themes_codebook_is_refused_and_nothing_changes(thread, facilitator, workforce):
    elsewhere = make_theme("elsewhere", title="Elsewhere", position=4)
    foreign = services.add_code(theme=elsewhere, label="Estates", description="", by=facilitator)
    opening = thread.comments.get()

    with pytest.raises(ValidationError, match="belongs to another theme"):
        services.set_codes(comment=opening, codes=[workforce, foreign], by=facilitator)

    assert not CodeApplication.objects.exists()
    assert Comment.objects.get(pk=opening.pk).codes == []


def test_unticking_a_code_takes_it_away(thread, facilitator, workforce):
    opening = thread.comments.get()
    services.set_codes(comment=opening, codes=[workforce], by=facilitator)

    services.set_codes(comment=opening, codes=[], by=facilitator)

    assert not CodeApplication.objects.exists() and Comment.objects.get(pk=opening.pk).codes == []


def test_the_summary_counts_codes_by_group(client, thread, other_member, facilitator, workforce):
    services.set_codes(comment=thread.comments.get(), codes=[workforce], by=facilitator)
    services.set_codes(comment=reply(thread, other_member), codes=[workforce], by=facilitator)

    [(code, by_group, total)] = services.code_counts(thread.theme)

    assert (code, total) == (workforce, 2)
    assert by_group == {"nhs": 1, "social_care": 1}
    page = client.get(reverse("forum:theme_summary", kwargs={"slug": thread.theme.slug})).content.decode()
    assert "Codes applied by the facilitators" in page


def test_downloads_carry_the_codes(thread, facilitator, workforce):
    opening = thread.comments.get()
    services.set_codes(comment=opening, codes=[workforce], by=facilitator)

    record = exports.comment_record(Comment.objects.select_related("thread__theme", "author").get(pk=opening.pk))

    assert record["codes"] == ["Workforce"]
    assert "Workforce" in exports.csv_row(record)


def test_the_coding_page_saves_a_comments_codes(client, thread, facilitator, workforce):
    client.force_login(facilitator)
    opening = thread.comments.get()
    page = client.get(reverse("forum:coding", kwargs={"slug": thread.theme.slug}))
    assert page.status_code == 200 and "Codes for this comment" in page.content.decode()

    response = client.post(reverse("forum:comment_codes", kwargs={"pk": opening.pk}), {"codes": [workforce.pk]})

    assert response.status_code == 302
    assert Comment.objects.get(pk=opening.pk).codes[0]["label"] == "Workforce"


def test_a_foreign_code_through_the_page_gets_a_message(client, thread, facilitator, workforce):
    foreign = Code.objects.create(theme=make_theme("other-place", position=6), label="Estates")
    client.force_login(facilitator)

    response = client.post(reverse("forum:comment_codes", kwargs={"pk": thread.comments.get().pk}),
                           {"codes": [workforce.pk, foreign.pk]}, follow=True)

    assert "belongs to another theme" in response.content.decode()
    assert not CodeApplication.objects.exists()


def test_erasing_a_facilitator_keeps_their_codes_applied_by_a_former_member(thread, facilitator, workforce):
    opening = thread.comments.get()
    services.set_codes(comment=opening, codes=[workforce], by=facilitator)

    erase_member_data(facilitator, remove_text=True)

    assert Comment.objects.get(pk=opening.pk).codes[0]["by"] == "Former member"
