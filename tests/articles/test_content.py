"""Reading content files: the bundled texts parse, and every kind of mistake names file and line."""

from pathlib import Path

import pytest

from articles.content import ContentError, bundled_content_files, parse_content, parse_content_files

GOOD_FRONT_MATTER = """+++
title = "A title"
slug = "a-title"
position = 3
author_name = "A Author"
published_in = "A Journal"
published_when = "Spring 2020"

[[references]]
number = 1
url = "https://example.org/report.pdf"
+++
"""
GOOD_BODY = """
Opening paragraph.

## First part {#first-part}

A cited sentence.[^1] And another.

> A pull quote.
"""


def parse(text: str):
    return parse_content(text, Path("sample.md"))


def error_for(text: str) -> ContentError:
    with pytest.raises(ContentError) as caught:
        parse(text)
    return caught.value


def test_bundled_files_are_the_two_source_texts():
    sources, errors = parse_content_files(bundled_content_files())
    assert errors == []
    assert sorted(source.slug for source in sources) == ["collaboration-under-threat", "unified-health-service"]


def test_unified_health_service_has_its_sections_author_and_footnote():
    (source,), _ = parse_content_files([p for p in bundled_content_files() if p.stem == "unified-health-service"])
    assert [section.heading for section in source.sections] == [
        "",
        "Support from independent sector",
        "Tackling health inequalities",
        "Working together as one",
    ]
    assert (source.author_name, source.author_role, source.author_organisation) == (
        "David Hare",
        "Chief Executive",
        "Independent Healthcare Providers Network (IHPN)",
    )
    assert (source.published_in, source.published_when) == ("Supporting the NHS", "Q1 2022")
    assert source.standfirst.startswith("The success of the NHS post-COVID relies on")
    assert [(r.number, r.url) for r in source.references] == [
        (1, "https://www.nao.org.uk/wp-content/uploads/2021/07/NHS-backlogs-and-waiting-times-in-England.pdf")
    ]
    support = source.sections[1]
    assert "height of the pandemic.[^1] It’s therefore" in support.paragraphs[0].text
    assert support.paragraphs[2].text.startswith("> With the NHS workforce under pressure")


def test_collaboration_under_threat_splits_the_run_in_headings_into_sections():
    (source,), _ = parse_content_files([p for p in bundled_content_files() if p.stem == "collaboration-under-threat"])
    assert [section.heading for section in source.sections] == [
        "",
        "Accelerated thinking and ‘unbossing’",
        "Much-needed protection for the social care sector",
    ]
    assert source.sections[1].paragraphs[0].text.startswith("Covid-19 has in some circumstances")
    assert source.standfirst.startswith("Panel description: Independent providers")
    assert source.source_note.startswith("This article was first published in the HealthInvestor magazine")
    assert (source.author_name, source.author_role, source.author_organisation) == (
        "Zoe Bedford",
        "Chief Executive",
        "ZPB Associates",
    )


def test_a_good_file_gives_sections_paragraphs_and_line_numbers():
    source = parse(GOOD_FRONT_MATTER + GOOD_BODY)
    assert source.position == 3
    opening, first = source.sections
    assert (opening.heading, opening.anchor) == ("", "introduction")
    assert (first.heading, first.anchor, first.line) == ("First part", "first-part", 16)
    assert [p.text for p in first.paragraphs] == ["A cited sentence.[^1] And another.", "> A pull quote."]
    assert [p.line for p in first.paragraphs] == [18, 20]
    assert first.body == "A cited sentence.[^1] And another.\n\n> A pull quote."


def test_trailing_no_break_spaces_are_dropped_from_paragraphs():
    source = parse(GOOD_FRONT_MATTER + "\nOpening.\u00a0\n\n## Part {#part}\n\nCited.[^1]\u00a0\n")
    assert [p.text for s in source.sections for p in s.paragraphs] == ["Opening.", "Cited.[^1]"]


def test_error_message_names_the_file_and_the_line():
    error = error_for(GOOD_FRONT_MATTER + "\n## No anchor here\n\nText.[^1]\n")
    assert str(error).startswith("sample.md, line 14: ")
    assert (error.path, error.line) == (Path("sample.md"), 14)


def test_a_file_without_front_matter_is_refused_at_line_1():
    error = error_for("Just text.\n")
    assert error.line == 1
    assert "+++" in error.message


def test_front_matter_that_is_never_closed_is_refused():
    error = error_for("+++\ntitle = 'x'\n\nText.\n")
    assert error.line == 1
    assert "never closed" in error.message


def test_bad_toml_is_reported_at_its_line_in_the_file():
    text = GOOD_FRONT_MATTER.replace('position = 3', 'position = = 3')
    error = error_for(text + GOOD_BODY)
    assert error.line == 4
    assert "not valid TOML" in error.message


@pytest.mark.parametrize("field", ["title", "slug", "author_name", "published_in", "published_when", "position"])
def test_a_missing_required_field_is_named(field):
    lines = [line for line in GOOD_FRONT_MATTER.splitlines() if not line.startswith(f"{field} =")]
    error = error_for("\n".join(lines) + GOOD_BODY)
    assert f'"{field}"' in error.message
    assert error.line == 1


def test_an_empty_required_field_is_reported_where_it_is_set():
    error = error_for(GOOD_FRONT_MATTER.replace('title = "A title"', 'title = "  "') + GOOD_BODY)
    assert (error.line, error.message) == (2, "title must not be empty")


def test_an_unknown_front_matter_field_is_refused_so_typos_show():
    error = error_for(GOOD_FRONT_MATTER.replace("position = 3", "position = 3\nauthor_nmae = 'x'") + GOOD_BODY)
    assert error.line == 5
    assert '"author_nmae"' in error.message


def test_a_slug_that_is_not_a_slug_is_refused():
    error = error_for(GOOD_FRONT_MATTER.replace('"a-title"', '"A Title"') + GOOD_BODY)
    assert error.line == 3
    assert "slug" in error.message


def test_a_position_that_is_not_a_whole_number_is_refused():
    error = error_for(GOOD_FRONT_MATTER.replace("position = 3", 'position = "first"') + GOOD_BODY)
    assert error.line == 4


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("## No anchor", "needs an anchor"),
        ("## Bad anchor {#Bad Anchor}", "lower-case letters"),
        ("# A first-level heading {#top}", "only"),
        ("### A third-level heading {#deep}", "only"),
        ("##Squashed {#squashed}", "only"),
    ],
)
def test_broken_section_headings_are_refused_at_their_line(line, expected):
    error = error_for(GOOD_FRONT_MATTER + f"\nOpening.\n\n{line}\n\nCited.[^1]\n")
    assert error.line == 16
    assert expected in error.message


def test_a_section_anchor_used_twice_is_refused():
    body = "\n## One {#part}\n\nCited.[^1]\n\n## Two {#part}\n\nMore.\n"
    error = error_for(GOOD_FRONT_MATTER + body)
    assert error.line == 18
    assert "already used on line 14" in error.message


@pytest.mark.parametrize("anchor", ["references", "contents", "introduction", "p-one", "ref-1"])
def test_a_section_anchor_the_page_already_uses_is_refused(anchor):
    error = error_for(GOOD_FRONT_MATTER + f"\n## Part {{#{anchor}}}\n\nCited.[^1]\n")
    assert "used by the page" in error.message


def test_a_heading_without_paragraphs_is_refused():
    error = error_for(GOOD_FRONT_MATTER + "\n## Empty {#empty}\n\n## Full {#full}\n\nCited.[^1]\n")
    assert error.line == 14
    assert 'section "Empty" has no paragraphs' in error.message


def test_a_file_without_text_is_refused():
    without_references = GOOD_FRONT_MATTER[: GOOD_FRONT_MATTER.index("[[references]]")] + "+++\n"
    error = error_for(without_references)
    assert "no text" in error.message


def test_a_footnote_without_a_reference_is_refused_at_its_paragraph():
    error = error_for(GOOD_FRONT_MATTER + "\nCited.[^1]\n\nAlso cited.[^2]\n")
    assert error.line == 16
    assert "[^2]" in error.message


def test_a_reference_that_is_never_cited_is_refused_at_its_table():
    error = error_for(GOOD_FRONT_MATTER + "\nNothing cited here.\n")
    assert error.line == 9
    assert "never cited" in error.message


def test_a_reference_with_a_non_web_address_is_refused():
    error = error_for(GOOD_FRONT_MATTER.replace("https://example.org/report.pdf", "javascript:alert(1)") + GOOD_BODY)
    assert error.line == 9
    assert "not an http or https address" in error.message


def test_a_paragraph_that_renders_as_nothing_is_refused():
    error = error_for(GOOD_FRONT_MATTER + GOOD_BODY + "\n[^9]: https://example.org\n")
    assert "renders as nothing" in error.message


def test_two_files_with_the_same_slug_are_both_reported(tmp_path):
    first = tmp_path / "first.md"
    second = tmp_path / "second.md"
    first.write_text(GOOD_FRONT_MATTER + GOOD_BODY, encoding="utf-8")
    second.write_text(GOOD_FRONT_MATTER + GOOD_BODY, encoding="utf-8")
    _, errors = parse_content_files([first, second])
    assert [(e.path, e.line) for e in errors] == [(second, 3)]
    assert "already used by" in errors[0].message


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes((GOOD_FRONT_MATTER + "\nCaf\xe9.[^1]\n").encode("latin-1"))
    _, errors = parse_content_files([path])
    assert errors[0].path == path
    assert "UTF-8" in errors[0].message
