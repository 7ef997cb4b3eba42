"""Read the source texts from their content files (`articles/content/*.md`).

A content file is a TOML front matter block between two `+++` lines, then the text itself:

    +++
    title = "How a unified health service will help tackle NHS challenges"
    slug = "unified-health-service"
    position = 1
    standfirst = "One or two sentences printed under the title."
    author_name = "David Hare"
    author_role = "Chief Executive"                       # optional
    author_organisation = "Independent Healthcare ..."    # optional
    published_in = "Supporting the NHS"
    published_when = "Q1 2022"
    source_note = "How the text came to be published."   # optional

    [[references]]                                        # optional, one table per footnote
    number = 1
    url = "https://..."
    text = "What the reference is."                       # optional when there is a url
    +++

    The opening paragraphs, which may have no heading.

    ## A section heading {#section-anchor}

    A paragraph. Paragraphs are separated by blank lines and written in Markdown; a footnote
    marker is `[^1]` straight after the words it supports.

    > A pull quote is a Markdown blockquote paragraph.

Every mistake is reported as a `ContentError` naming the file and line, so a broken file can be
fixed without guessing. Parsing never touches the database.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from articles.models import Article, Reference, Section
from articles.rendering import footnote_numbers, render_source_markdown

CONTENT_DIR = Path(__file__).resolve().parent / "content"
FENCE = "+++"
OPENING_ANCHOR = "introduction"

REQUIRED_TEXT_FIELDS = ("title", "slug", "author_name", "published_in", "published_when")
OPTIONAL_TEXT_FIELDS = ("standfirst", "author_role", "author_organisation", "source_note")
FRONT_MATTER_FIELDS = (*REQUIRED_TEXT_FIELDS, "position", *OPTIONAL_TEXT_FIELDS, "references")
REFERENCE_FIELDS = ("number", "url", "text")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ANCHOR = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
HEADING = re.compile(r"^## +(?P<heading>\S.*?) +\{#(?P<anchor>[^{}\s]*)\}$")
TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")
# Ids the article page already uses; a section anchor must not collide with them.
RESERVED_ANCHORS = {"contents", "references", "maincontent", "article-title", "attribution"}
RESERVED_ANCHOR_PREFIXES = ("p-", "ref-")
HEADING_SYNTAX = '"## Heading {#anchor}"'


class ContentError(Exception):
    """A content file is malformed: which file, which line (1-based) and what is wrong."""

    def __init__(self, path: Path | str, line: int, message: str):
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}: {self.message}"


@dataclass(frozen=True)
class ParagraphSource:
    text: str
    line: int


@dataclass(frozen=True)
class SectionSource:
    heading: str
    anchor: str
    line: int
    paragraphs: tuple[ParagraphSource, ...]

    @property
    def body(self) -> str:
        return "\n\n".join(paragraph.text for paragraph in self.paragraphs)


@dataclass(frozen=True)
class ReferenceSource:
    number: int
    url: str
    text: str
    line: int


@dataclass(frozen=True)
class ArticleSource:
    path: Path
    slug_line: int
    title: str
    slug: str
    position: int
    author_name: str
    published_in: str
    published_when: str
    standfirst: str = ""
    author_role: str = ""
    author_organisation: str = ""
    source_note: str = ""
    sections: tuple[SectionSource, ...] = ()
    references: tuple[ReferenceSource, ...] = field(default=())

    ARTICLE_FIELDS = (
        "title", "slug", "position", "standfirst", "author_name", "author_role",
        "author_organisation", "published_in", "published_when", "source_note",
    )

    def article_fields(self) -> dict:
        """The values for the Article row, by model field name."""
        return {name: getattr(self, name) for name in self.ARTICLE_FIELDS}


def bundled_content_files() -> list[Path]:
    return sorted(CONTENT_DIR.glob("*.md"))


def parse_content_files(paths: Iterable[Path | str]) -> tuple[list[ArticleSource], list[ContentError]]:
    """Parse every file; return what parsed and every error found, including repeated slugs."""
    sources: list[ArticleSource] = []
    errors: list[ContentError] = []
    for path in paths:
        try:
            sources.append(parse_content_file(path))
        except ContentError as error:
            errors.append(error)
    seen: dict[str, ArticleSource] = {}
    for source in sources:
        if source.slug in seen:
            first = seen[source.slug]
            errors.append(
                ContentError(source.path, source.slug_line, f'slug "{source.slug}" is already used by {first.path}')
            )
        else:
            seen[source.slug] = source
    return sources, errors


def parse_content_file(path: Path | str) -> ArticleSource:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ContentError(path, 1, f"is not UTF-8 text ({error.reason})") from error
    except OSError as error:
        raise ContentError(path, 1, f"cannot be read: {error.strerror or error}") from error
    return parse_content(text, path)


def parse_content(text: str, path: Path | str = "<content>") -> ArticleSource:
    """Parse one content file's text into an `ArticleSource`, or raise `ContentError`."""
    path = Path(path)
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise ContentError(path, 1, f'must start with a "{FENCE}" line that opens the TOML front matter')
    try:
        close = next(index for index in range(1, len(lines)) if lines[index].strip() == FENCE)
    except StopIteration:
        raise ContentError(path, 1, f'the front matter is never closed with a "{FENCE}" line') from None

    front = _FrontMatter(path, lines[1:close], first_line=2)
    meta = front.read()
    references = meta.pop("references")
    sections = _read_body(path, lines[close + 1 :], first_line=close + 2)
    _check_footnotes(path, sections, references)
    return ArticleSource(path=path, slug_line=front.key_line("slug"), sections=sections, references=references, **meta)


class _FrontMatter:
    def __init__(self, path: Path, lines: list[str], first_line: int):
        self.path = path
        self.lines = lines
        self.first_line = first_line

    def error(self, line: int, message: str) -> ContentError:
        return ContentError(self.path, line, message)

    def key_line(self, key: str, *, after: int = 0) -> int:
        """The file line where `key = ...` is set (the fence line when the key is absent)."""
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for index, line in enumerate(self.lines):
            number = self.first_line + index
            if number > after and pattern.match(line):
                return number
        return self.first_line - 1

    def table_lines(self, name: str) -> list[int]:
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
        return [self.first_line + index for index, line in enumerate(self.lines) if pattern.match(line)]

    def read(self) -> dict:
        try:
            data = tomllib.loads("\n".join(self.lines))
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            match = TOML_POSITION.search(message)
            line = self.first_line + int(match.group(1)) - 1 if match else self.first_line - 1
            raise self.error(line, f"the front matter is not valid TOML: {TOML_POSITION.sub('', message)}") from None

        unknown = sorted(set(data) - set(FRONT_MATTER_FIELDS))
        if unknown:
            raise self.error(
                self.key_line(unknown[0]),
                f'unknown front matter field "{unknown[0]}" (expected: {", ".join(FRONT_MATTER_FIELDS)})',
            )
        meta: dict = {}
        for name in (*REQUIRED_TEXT_FIELDS, *OPTIONAL_TEXT_FIELDS):
            meta[name] = self._text(data, name, required=name in REQUIRED_TEXT_FIELDS)
        if not SLUG.match(meta["slug"]):
            raise self.error(self.key_line("slug"), "slug must be lower-case letters and digits joined by hyphens")
        if "position" not in data:
            raise self.error(self.first_line - 1, 'the front matter has no "position" (a whole number for ordering)')
        position = data["position"]
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise self.error(self.key_line("position"), "position must be a whole number, 0 or more")
        meta["position"] = position
        meta["references"] = self._references(data.get("references", []))
        return meta

    def _text(self, data: dict, name: str, *, required: bool) -> str:
        if name not in data:
            if required:
                raise self.error(self.first_line - 1, f'the front matter has no "{name}"')
            return ""
        value = data[name]
        if not isinstance(value, str):
            raise self.error(self.key_line(name), f"{name} must be a string")
        value = value.strip()
        if required and not value:
            raise self.error(self.key_line(name), f"{name} must not be empty")
        max_length = Article._meta.get_field(name).max_length
        if max_length and len(value) > max_length:
            raise self.error(self.key_line(name), f"{name} is longer than {max_length} characters")
        return value

    def _references(self, entries) -> tuple[ReferenceSource, ...]:
        table_lines = self.table_lines("references")
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise self.error(self.key_line("references"), 'references must be written as "[[references]]" tables')
        references: list[ReferenceSource] = []
        seen: set[int] = set()
        for index, entry in enumerate(entries):
            line = table_lines[index] if index < len(table_lines) else self.key_line("references")
            unknown = sorted(set(entry) - set(REFERENCE_FIELDS))
            if unknown:
                expected = ", ".join(REFERENCE_FIELDS)
                raise self.error(line, f'unknown reference field "{unknown[0]}" (expected: {expected})')
            number = entry.get("number")
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise self.error(line, "a reference needs a number: a whole number, 1 or more")
            if number in seen:
                raise self.error(line, f"reference {number} is listed twice")
            seen.add(number)
            url = entry.get("url", "")
            text = entry.get("text", "")
            if not isinstance(url, str) or not isinstance(text, str):
                raise self.error(line, f"reference {number}: url and text must be strings")
            url, text = url.strip(), text.strip()
            if not url and not text:
                raise self.error(line, f"reference {number} needs a url or a text")
            if url:
                try:
                    URLValidator(schemes=["http", "https"])(url)
                except ValidationError:
                    raise self.error(line, f"reference {number}: {url!r} is not an http or https address") from None
                if len(url) > Reference._meta.get_field("url").max_length:
                    raise self.error(line, f"reference {number}: the url is too long")
            references.append(ReferenceSource(number=number, url=url, text=text, line=line))
        return tuple(references)


def _heading_error(line: str) -> str:
    if line.startswith("## ") and "{#" in line:
        return (
            f"a section heading must be {HEADING_SYNTAX}, where the anchor is lower-case letters and digits "
            "joined by hyphens, starting with a letter"
        )
    if line.startswith("## "):
        return f"a section heading needs an anchor: {HEADING_SYNTAX}"
    return f'only {HEADING_SYNTAX} lines start a section; write "\\#" to begin a paragraph with "#"'


def _read_body(path: Path, lines: list[str], first_line: int) -> tuple[SectionSource, ...]:
    sections: list[SectionSource] = []
    anchors: dict[str, int] = {}
    heading, anchor, heading_line = "", OPENING_ANCHOR, first_line
    paragraphs: list[ParagraphSource] = []
    current: list[str] = []
    current_line = 0

    def end_paragraph():
        nonlocal current
        if current:
            text = "\n".join(current)
            if not render_source_markdown(text).strip():
                raise ContentError(path, current_line, "this paragraph renders as nothing (is it a link definition?)")
            paragraphs.append(ParagraphSource(text=text, line=current_line))
            current = []

    def end_section():
        nonlocal paragraphs
        end_paragraph()
        if paragraphs:
            sections.append(
                SectionSource(heading=heading, anchor=anchor, line=heading_line, paragraphs=tuple(paragraphs))
            )
            anchors[anchor] = heading_line
        elif heading:
            raise ContentError(path, heading_line, f'section "{heading}" has no paragraphs')
        paragraphs = []

    for offset, raw in enumerate(lines):
        number = first_line + offset
        # Trailing spaces (including no-break spaces copied from a web page) carry no meaning.
        line = raw.rstrip()
        if line.startswith("#"):
            end_section()
            match = HEADING.match(line)
            if not match:
                raise ContentError(path, number, _heading_error(line))
            heading, anchor, heading_line = match.group("heading").strip(), match.group("anchor"), number
            _check_anchor(path, number, anchor, anchors)
            if len(heading) > Section._meta.get_field("heading").max_length:
                raise ContentError(path, number, "the heading is too long")
        elif not line.strip():
            end_paragraph()
        else:
            if not current:
                current_line = number
            current.append(line)
    end_section()
    if not sections:
        raise ContentError(path, first_line - 1, "there is no text after the front matter")
    return tuple(sections)


def _check_anchor(path: Path, line: int, anchor: str, anchors: dict[str, int]) -> None:
    if not ANCHOR.match(anchor) or len(anchor) > Section._meta.get_field("anchor").max_length:
        raise ContentError(
            path,
            line,
            "a section anchor must be lower-case letters and digits joined by hyphens, starting with a letter",
        )
    if anchor in anchors:
        raise ContentError(path, line, f'the anchor "{anchor}" is already used on line {anchors[anchor]}')
    if anchor == OPENING_ANCHOR or anchor in RESERVED_ANCHORS or anchor.startswith(RESERVED_ANCHOR_PREFIXES):
        raise ContentError(path, line, f'the anchor "{anchor}" is used by the page itself; choose another')


def _check_footnotes(path: Path, sections: tuple[SectionSource, ...], references: tuple[ReferenceSource, ...]):
    numbers = {reference.number for reference in references}
    cited: set[int] = set()
    for section in sections:
        for paragraph in section.paragraphs:
            for number in footnote_numbers(paragraph.text):
                if number not in numbers:
                    raise ContentError(
                        path, paragraph.line, f"footnote [^{number}] has no [[references]] entry with number = {number}"
                    )
                cited.add(number)
    for reference in references:
        if reference.number not in cited:
            number = reference.number
            raise ContentError(path, reference.line, f"reference {number} is never cited with [^{number}]")
