"""The themes content file and `manage.py load_themes`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from articles.models import Paragraph
from forum.models import Theme
from forum.theme_content import THEMES_FILE, ThemeContentError, normalise_text, parse_themes, read_themes_file
from tests.articles.helpers import import_bundled_articles

pytestmark = pytest.mark.django_db

ONE_THEME = """
[[themes]]
slug = "waiting"
title = "Waiting lists"
position = 1
summary = "A summary. What next?"
passages = [{{ article = "working-together", contains = "{phrase}" }}]
"""


def load(path=None) -> str:
    out = io.StringIO()
    call_command("load_themes", *([str(path)] if path else []), stdout=out)
    return out.getvalue()


def write(tmp_path, text: str):
    path = tmp_path / "themes.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestBundledThemes:
    def test_every_theme_links_the_paragraphs_its_phrases_name(self):
        import_bundled_articles()
        output = load()
        sources = read_themes_file()
        assert output.splitlines() == [f"created: {source.slug}" for source in sources]
        assert Theme.objects.count() == len(sources) == 9
        for source in sources:
            theme = Theme.objects.get(slug=source.slug)
            passages = list(theme.passages.select_related("paragraph__section__article"))
            assert len(passages) == len(source.passages) >= 1
            for passage, ref in zip(passages, source.passages, strict=True):
                assert passage.paragraph.section.article.slug == ref.article
                assert normalise_text(ref.contains) in normalise_text(passage.paragraph.text)

    def test_summaries_are_short_and_end_with_a_question(self):
        for source in read_themes_file():
            sentences = [s for s in source.summary.replace("?", "?.").split(".") if s.strip()]
            assert 2 <= len(sentences) <= 4, source.slug
            assert source.summary.rstrip().endswith("?"), source.slug

    def test_loading_again_changes_nothing(self):
        import_bundled_articles()
        load()
        before = list(Theme.objects.values_list("pk", "updated_at"))
        output = load()
        assert all(line.startswith("unchanged: ") for line in output.splitlines())
        assert list(Theme.objects.values_list("pk", "updated_at")) == before

    def test_themes_survive_a_reimport_of_the_articles(self):
        import_bundled_articles()
        load()
        keys = set(Paragraph.objects.filter(theme_passages__isnull=False).values_list("key", flat=True))
        import_bundled_articles()
        assert all(line.startswith("unchanged: ") for line in load().splitlines())
        assert set(Paragraph.objects.filter(theme_passages__isnull=False).values_list("key", flat=True)) == keys

    def test_the_file_is_the_bundled_one(self):
        assert THEMES_FILE.name == "themes.toml" and THEMES_FILE.parent.name == "content"


class TestChanges:
    def test_a_changed_summary_and_passage_are_updated(self, source, tmp_path):
        load(write(tmp_path, ONE_THEME.format(phrase="Waiting lists grew")))
        theme = Theme.objects.get()
        theme.status = "under_review"
        theme.save()
        text = ONE_THEME.format(phrase="Social care should be part").replace("A summary.", "A new summary.")
        output = load(write(tmp_path, text))
        assert output.strip() == "updated: waiting (summary, passages)"
        theme.refresh_from_db()
        assert "A new summary." in theme.summary_html
        assert [p.paragraph for p in theme.passages.all()] == [source.paragraphs[2]]
        assert theme.status == "under_review", "a moderator's status change is kept"

    def test_a_phrase_found_nowhere_stops_everything(self, source, tmp_path):
        path = write(tmp_path, ONE_THEME.format(phrase="words that are not there"))
        with pytest.raises(CommandError, match="no paragraph of “working-together” contains"):
            load(path)
        assert not Theme.objects.exists()

    def test_a_phrase_found_twice_must_be_made_longer(self, source, tmp_path):
        path = write(tmp_path, ONE_THEME.format(phrase="e"))
        with pytest.raises(CommandError, match="more than one paragraph"):
            load(path)

    def test_an_unknown_article_is_named(self, source, tmp_path):
        path = write(tmp_path, ONE_THEME.replace("working-together", "no-such-text").format(phrase="x"))
        with pytest.raises(CommandError, match="there is no article “no-such-text”"):
            load(path)

    def test_matching_ignores_case_spacing_and_curly_quotes(self, source, tmp_path):
        source.paragraphs[0].text = "The ‘green pathway’   was  used."
        source.paragraphs[0].save()
        load(write(tmp_path, ONE_THEME.format(phrase="THE 'green pathway' was used")))
        assert Theme.objects.get().passages.get().paragraph == source.paragraphs[0]

    def test_sections_can_be_linked_whole(self, source, tmp_path):
        sections = 'sections = [{ article = "working-together", anchor = "looking-ahead" }]\n'
        text = ONE_THEME.format(phrase="Waiting lists grew") + sections
        load(write(tmp_path, text))
        passages = Theme.objects.get().passages.order_by("position")
        expected = [(source.paragraphs[0], None), (None, source.sections[1])]
        assert [(p.paragraph, p.section) for p in passages] == expected
        assert load(write(tmp_path, ONE_THEME.format(phrase="Waiting lists grew"))).strip() == (
            "updated: waiting (sections)"
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not toml [", "not valid TOML"),
        ("", r"has no \[\[themes\]\] tables"),
        ('[[themes]]\nslug = "Bad Slug"\ntitle = "t"\nposition = 1\nsummary = "s"', "lower-case letters"),
        ('[[themes]]\nslug = "a"\ntitle = "t"\nposition = 1\nsummary = "s"\ncolour = "red"', "unknown keys colour"),
        ('[[themes]]\nslug = "a"\ntitle = "t"\nposition = 1\nsummary = "s"\nstatus = "paused"', "`status` must be"),
        ('[[themes]]\nslug = "a"\ntitle = ""\nposition = 1\nsummary = "s"', "`title` must be a non-empty string"),
        ('[[themes]]\nslug = "a"\ntitle = "t"\nposition = 1\nsummary = "s"\n'
         '[[themes]]\nslug = "a"\ntitle = "t"\nposition = 2\nsummary = "s"', "used twice"),
        ('[[themes]]\nslug = "a"\ntitle = "t"\nposition = 1\nsummary = "s"\npassages = [{ article = "x" }]',
         "give exactly article and contains"),
    ],
)
def test_mistakes_in_the_file_are_explained(text, message):
    with pytest.raises(ThemeContentError, match=message):
        parse_themes(text)
