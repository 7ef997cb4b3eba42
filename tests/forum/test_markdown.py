"""Comment bodies: Markdown rules, what never gets through, and @mentions."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from forum.rendering import extract_mentions, render_comment
from tests.conftest import make_member


def html_of(body: str) -> str:
    return render_comment(body)[0]


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def tags(html: str):
    return soup(html).find_all(True)


@pytest.mark.django_db
class TestSanitising:
    def test_script_tags_are_shown_as_text_not_run(self):
        html = html_of("Hello <script>alert('x')</script>")
        assert not soup(html).find("script")
        assert "&lt;script&gt;" in html

    def test_event_handler_attributes_never_survive(self):
        html = html_of(
            '<img src="x" onerror="alert(1)"> <a href="https://nhs.uk" onclick="steal()">link</a>\n\n'
            '[ok](https://nhs.uk "title" onclick="x")'
        )
        assert not [name for tag in tags(html) for name in tag.attrs if name.lower().startswith("on")]
        assert not soup(html).find("img")

    @pytest.mark.parametrize(
        "body",
        [
            "[click me](javascript:alert(1))",
            "[click me](JaVaScRiPt:alert(1))",
            "[click me](java\tscript:alert(1))",
            "<javascript:alert(1)>",
        ],
    )
    def test_javascript_links_are_dropped(self, body):
        assert not [a for a in soup(html_of(body)).find_all("a") if "script" in (a.get("href") or "").lower()]

    def test_data_links_are_dropped(self):
        html = html_of("[open](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")
        assert not [a for a in soup(html).find_all("a") if (a.get("href") or "").startswith("data:")]

    def test_raw_html_is_escaped_not_rendered(self):
        html = html_of('<div style="color:red">styled</div>\n\n<iframe src="https://evil.example"></iframe>')
        assert "<div" not in html
        assert "<iframe" not in html
        assert "&lt;iframe" in html

    def test_image_becomes_a_link_to_the_image(self):
        html = html_of("![chart](https://example.org/chart.png)")
        assert "<img" not in html
        assert 'href="https://example.org/chart.png"' in html

    def test_tables_strikethrough_and_autolinks_work(self):
        html = html_of("| Area | Weeks |\n| --- | --- |\n| North | 18 |\n\n~~old~~ see https://example.org")
        assert "<table>" in html and "<td>North</td>" in html
        assert "<del>old</del>" in html or "<s>old</s>" in html
        assert '<a href="https://example.org"' in html

    def test_links_are_marked_as_user_content(self):
        html = html_of("[report](https://example.org/report)")
        assert 'rel="nofollow ugc noopener"' in html

    def test_headings_start_below_the_page_heading(self):
        assert "<h1>" not in html_of("# Big heading")


class TestExtractMentions:
    def test_it_reads_quoted_names_with_spaces(self):
        assert extract_mentions('Thanks @"Priya Shah", good point') == ["Priya Shah"]

    def test_underscores_stand_for_spaces(self):
        assert extract_mentions("Agree with @Priya_Shah.") == ["Priya Shah"]

    def test_a_one_word_name_ends_before_punctuation(self):
        assert extract_mentions("@Alex, and @Sam.") == ["Alex", "Sam"]

    def test_email_addresses_are_not_mentions(self):
        assert extract_mentions("write to someone@example.org") == []

    def test_each_name_is_listed_once_whatever_its_case(self):
        assert extract_mentions('@Priya_Shah and @"priya shah" again') == ["Priya Shah"]


@pytest.mark.django_db
class TestMentionLinks:
    def test_a_mention_of_a_member_links_to_their_profile(self):
        priya = make_member("priya@example.org", display_name="Priya Shah")
        html, members = render_comment('I agree with @"Priya Shah" here.')
        assert f'<a href="{priya.get_absolute_url()}" rel="nofollow ugc noopener">@Priya Shah</a>' in html
        assert members == [priya]

    def test_underscore_form_links_the_same_member(self):
        priya = make_member("priya@example.org", display_name="Priya Shah")
        html, members = render_comment("cc @priya_shah")
        assert priya.get_absolute_url() in html
        assert members == [priya]

    def test_unknown_names_stay_plain_text(self):
        html, members = render_comment("Hello @Nobody_Here")
        assert "<a" not in html
        assert "@Nobody_Here" in html
        assert members == []

    def test_mentions_inside_code_are_left_alone(self):
        make_member("priya@example.org", display_name="Priya Shah")
        html, _members = render_comment("Use `@Priya_Shah` to mention\n\n    @Priya_Shah in a code block")
        assert "<a" not in html

    def test_mention_text_cannot_inject_markup(self):
        make_member("odd@example.org", display_name="Sam")
        html, _ = render_comment("@Sam <b>bold</b> &amp; more")
        assert "<b>" not in html
        assert "&lt;b&gt;" in html
        assert ">@Sam</a>" in html

    def test_inactive_members_are_not_linked(self):
        make_member("gone@example.org", display_name="Gone Member", is_active=False)
        html, members = render_comment('@"Gone Member"')
        assert "<a" not in html and members == []


@pytest.mark.django_db
def test_spellings_of_one_name_all_link_the_same_member():
    priya = make_member("priya@example.org", display_name="Priya Shah")
    html, members = render_comment('@"Priya-Shah", @Priya_Shah and @"priya shah"')
    assert html.count(f'href="{priya.get_absolute_url()}"') == 3
    assert members == [priya]


@pytest.mark.django_db
def test_former_members_are_not_linked():
    from django.utils import timezone

    make_member("left@example.org", display_name="Left Already", deleted_at=timezone.now())
    html, members = render_comment('@"Left Already"')
    assert "<a" not in html and members == []
