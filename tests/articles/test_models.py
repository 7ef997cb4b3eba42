"""Rendering on save, anchors, and the admin pages for the source texts."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from articles.models import Article, Paragraph, Section
from articles.rendering import RENDERER_VERSION
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(db) -> Section:
    article = Article.objects.create(
        title="A text", slug="a-text", author_name="A Author", published_in="A Journal", published_when="2020"
    )
    return Section.objects.create(article=article, position=1, heading="Part one", anchor="part-one", body="Hello")


def test_paragraph_html_is_rendered_and_sanitised_when_saved(section):
    paragraph = Paragraph.objects.create(
        section=section, position=2, text="Some *emphasis* <script>alert(1)</script> [a](javascript:alert(1))"
    )
    assert "<em>emphasis</em>" in paragraph.html
    assert "<script>" not in paragraph.html
    assert "href=\"javascript" not in paragraph.html
    assert paragraph.renderer_version == RENDERER_VERSION


def test_paragraph_anchor_follows_its_section_and_position(section):
    paragraph = Paragraph.objects.create(section=section, position=3, text="Text.")
    assert paragraph.anchor == "p-part-one-3"
    assert paragraph.get_absolute_url() == "/articles/a-text/#p-part-one-3"


def test_saving_with_update_fields_still_refreshes_the_rendering(section):
    paragraph = Paragraph.objects.create(section=section, position=1, text="Old.")
    paragraph.text = "New *text*."
    paragraph.save(update_fields=["text"])
    paragraph.refresh_from_db()
    assert paragraph.html == "<p>New <em>text</em>.</p>\n"


def test_new_paragraphs_get_distinct_random_keys(section):
    first = Paragraph.objects.create(section=section, position=1, text="One.")
    second = Paragraph.objects.create(section=section, position=2, text="Two.")
    assert first.key != second.key
    assert len(first.key) == 16


def test_footnote_marker_becomes_a_superscript_link_and_the_sentence_is_unchanged(section):
    paragraph = Paragraph.objects.create(section=section, position=1, text="During the pandemic.[^1] It worked.")
    assert paragraph.html == (
        '<p>During the pandemic.<sup class="cg-footnote"><a href="#ref-1">'
        '<span class="nhsuk-u-visually-hidden">Reference </span>1</a></sup> It worked.</p>\n'
    )


def test_section_body_html_is_rendered_when_saved(section):
    section.body = "First.\n\n> Quoted."
    section.save()
    assert section.body_html == "<p>First.</p>\n<blockquote>\n<p>Quoted.</p>\n</blockquote>\n"
    assert section.renderer_version == RENDERER_VERSION


def test_a_blockquote_paragraph_is_a_pull_quote(section):
    assert Paragraph(section=section, position=1, text="> Said again.").is_quote
    assert not Paragraph(section=section, position=1, text="Said once.").is_quote


def test_paragraph_label_says_which_paragraph_in_words(section):
    assert Paragraph(section=section, position=2, text="x").label == "paragraph 2 of ‘Part one’"
    opening = Section(article=section.article, position=0, heading="", anchor="introduction")
    assert Paragraph(section=opening, position=1, text="x").label == "paragraph 1 of the introduction"


def test_rebuild_body_joins_paragraphs_and_fixes_anchors_after_an_anchor_change(section):
    Paragraph.objects.create(section=section, position=1, text="One.")
    Paragraph.objects.create(section=section, position=2, text="Two.")
    section.anchor = "renamed"
    section.save()
    section.rebuild_body()
    assert section.body == "One.\n\nTwo."
    assert list(section.paragraphs.values_list("anchor", flat=True)) == ["p-renamed-1", "p-renamed-2"]


def test_author_line_leaves_out_missing_parts(section):
    article = section.article
    assert article.author_line == "A Author"
    article.author_organisation = "An Organisation"
    assert article.author_line == "A Author, An Organisation"


@pytest.fixture
def admin_client(client, db):
    admin = make_member("admin@example.org", display_name="Ada Admin", is_staff=True, is_superuser=True)
    # The admin is open only to staff with two-factor authentication switched on.
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={})
    client.force_login(admin)
    return client


def test_admin_pages_for_articles_and_sections_open(admin_client, articles):
    article = articles["unified-health-service"]
    section = article.sections.get(anchor="support-from-independent-sector")
    for url in [
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_section_changelist"),
        reverse("admin:articles_section_change", args=[section.pk]),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    body = response.content.decode()
    assert "import_articles" in body  # the note that content files are the source of truth
    assert section.paragraphs.first().key in body


def test_admin_is_closed_to_members(member_client, articles):
    response = member_client.get(reverse("admin:articles_article_changelist"))
    assert response.status_code == 302
