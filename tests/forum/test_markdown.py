"""Comment bodies: Markdown rules, what never gets through, and @mentions."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from config.markdown import MAX_DEPTH
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


def deepest(html: str) -> int:
    """How many elements deep the deepest one sits."""
    def depth(node) -> int:
        children = node.find_all(True, recursive=False)
        return 1 + max((depth(child) for child in children), default=0)

    return max((depth(top) for top in soup(html).find_all(True, recursive=False)), default=0)


@pytest.mark.django_db
class TestNestingLimit:
    @pytest.mark.parametrize(
        "body",
        [
            "*" * 2000 + "deep" + "*" * 2000,
            "**" * 800 + "deep" + "**" * 800,
            ">" * 1000 + " deep",
            "".join("  " * level + "- deep\n" for level in range(400)),
            "".join("> " * level + "1. deep\n" for level in range(200)),
        ],
        ids=["emphasis", "strong", "quotes", "lists", "quoted-numbered-lists"],
    )
    def test_hostile_nesting_stays_a_few_dozen_levels_deep(self, body):
        assert deepest(html_of(body)) <= MAX_DEPTH

    @pytest.mark.parametrize("marker", ["*", "**", "_", "__"])
    def test_deep_emphasis_loses_its_tags_but_keeps_its_words(self, marker):
        html = html_of(marker * 1500 + "the words stay" + marker * 1500)
        assert deepest(html) <= MAX_DEPTH
        assert "the words stay" in soup(html).get_text()

    def test_ordinary_nesting_is_left_exactly_as_rendered(self):
        body = "> A quote with a list:\n>\n> - **bold _and italic_** item\n>   - a nested item\n"
        html = html_of(body)
        assert soup(html).select_one("blockquote ul li ul li").get_text() == "a nested item"
        assert soup(html).select_one("strong em").get_text() == "and italic"

    def test_a_list_at_the_limit_never_loses_its_items_structure(self):
        html = html_of("*" * (MAX_DEPTH - 1) + "x" + "*" * (MAX_DEPTH - 1) + "\n\n" + "> " * 19 + "- item\n")
        for ul in soup(html).find_all(["ul", "ol"]):
            assert all(child.name == "li" for child in ul.find_all(True, recursive=False))


@pytest.mark.django_db
def test_a_posted_comment_with_hostile_nesting_shows_on_its_page_no_deeper_than_the_limit(member_client, thread):
    body = "*" * 3000 + "the words stay" + "*" * 3000
    member_client.post(reverse("forum:reply", kwargs={"pk": thread.pk}), {"action": "post", "body": body,
                                                                            "stance": ""})

    page = soup(member_client.get(thread.get_absolute_url()).content.decode())
    shown = [prose for prose in page.select(".cg-prose") if "the words stay" in prose.get_text()]
    assert len(shown) == 1
    assert deepest(shown[0].decode_contents()) <= MAX_DEPTH
