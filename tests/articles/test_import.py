"""The import_articles command: idempotent, atomic, and careful with paragraph keys."""

import io
import shutil

import pytest
from django.core.management import base, call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import services
from articles.management.commands.import_articles import Command
from articles.models import Article, Paragraph, Reference, Section
from tests.articles.helpers import bundled_file

pytestmark = pytest.mark.django_db


def run_import(*paths) -> str:
    out = io.StringIO()
    call_command("import_articles", *map(str, paths), stdout=out)
    return out.getvalue()


def snapshot():
    """Everything the import could change, in a comparable form."""
    return {
        "articles": list(Article.objects.order_by("pk").values()),
        "sections": list(Section.objects.order_by("pk").values()),
        "paragraphs": list(Paragraph.objects.order_by("pk").values()),
        "references": list(Reference.objects.order_by("pk").values()),
    }


def keys_by_text(slug: str) -> dict[str, str]:
    return dict(Paragraph.objects.filter(section__article__slug=slug).values_list("text", "key"))


@pytest.fixture
def unified_copy(tmp_path):
    """A copy of the first text's content file that a test may edit."""
    path = tmp_path / "unified-health-service.md"
    shutil.copy(bundled_file("unified-health-service"), path)
    return path


def test_import_creates_both_articles_with_their_text():
    output = run_import()
    assert "unified-health-service: created with 4 sections, 7 paragraphs and 1 reference" in output
    assert "collaboration-under-threat: created with 3 sections, 5 paragraphs and 0 references" in output
    unified = Article.objects.get(slug="unified-health-service")
    assert unified.author_name == "David Hare"
    assert unified.sections.count() == 4
    assert Paragraph.objects.filter(section__article=unified).count() == 7
    assert unified.references.get().number == 1


def test_paragraphs_get_anchors_from_their_section_and_position():
    run_import()
    anchors = list(
        Paragraph.objects.filter(section__article__slug="unified-health-service")
        .order_by("section__position", "position")
        .values_list("anchor", flat=True)
    )
    assert anchors == [
        "p-introduction-1",
        "p-support-from-independent-sector-1",
        "p-support-from-independent-sector-2",
        "p-support-from-independent-sector-3",
        "p-tackling-health-inequalities-1",
        "p-tackling-health-inequalities-2",
        "p-working-together-as-one-1",
    ]


def test_every_paragraph_gets_its_own_random_key():
    run_import()
    keys = list(Paragraph.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == 12
    assert all(len(key) == 16 for key in keys)


def test_importing_twice_changes_nothing():
    run_import()
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        output = run_import()
    assert output.splitlines() == ["collaboration-under-threat: unchanged", "unified-health-service: unchanged"]
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert snapshot() == before  # keys, row counts, rendered HTML and updated_at all untouched


def test_changing_one_paragraph_keeps_the_other_paragraphs_keys(unified_copy):
    run_import()
    before = keys_by_text("unified-health-service")
    updated_at = Article.objects.get(slug="unified-health-service").updated_at
    old = "Independent providers have significant experience in running these more innovative models of care"
    new = "Independent providers have long experience of new models of care"
    unified_copy.write_text(unified_copy.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    output = run_import(unified_copy)

    after = keys_by_text("unified-health-service")
    changed_old = next(text for text in before if text.startswith(old))
    changed_new = next(text for text in after if text.startswith("Independent providers have long experience"))
    assert {t: k for t, k in after.items() if t != changed_new} == {t: k for t, k in before.items() if t != changed_old}
    assert after[changed_new] not in before.values()
    assert Paragraph.objects.filter(section__article__slug="unified-health-service").count() == 7
    changed = Paragraph.objects.get(key=after[changed_new])
    assert changed.anchor == "p-tackling-health-inequalities-2"
    assert "long experience" in changed.html
    assert "1 paragraph added" in output and "1 paragraph removed" in output
    assert Article.objects.get(slug="unified-health-service").updated_at > updated_at


def test_inserting_a_paragraph_renumbers_anchors_but_keeps_keys(unified_copy):
    run_import()
    before = keys_by_text("unified-health-service")
    text = unified_copy.read_text(encoding="utf-8")
    heading = "## Tackling health inequalities {#tackling-health-inequalities}\n\n"
    unified_copy.write_text(text.replace(heading, heading + "A new opening for this section.\n\n"), encoding="utf-8")

    output = run_import(unified_copy)

    after = keys_by_text("unified-health-service")
    assert {t: k for t, k in after.items() if t in before} == before
    section = Section.objects.get(article__slug="unified-health-service", anchor="tackling-health-inequalities")
    assert [(p.position, p.anchor, p.text[:20]) for p in section.paragraphs.order_by("position")] == [
        (1, "p-tackling-health-inequalities-1", "A new opening for th"),
        (2, "p-tackling-health-inequalities-2", "Looking at the longe"),
        (3, "p-tackling-health-inequalities-3", "Independent provider"),
    ]
    assert "1 paragraph added" in output and "2 paragraphs moved" in output
    assert section.body.startswith("A new opening for this section.\n\nLooking at the longer term")


def test_a_paragraph_moved_to_another_section_keeps_its_key(unified_copy):
    run_import()
    before = keys_by_text("unified-health-service")
    text = unified_copy.read_text(encoding="utf-8")
    moving = next(line for line in text.splitlines() if line.startswith("Independent providers have significant"))
    text = text.replace(moving + "\n\n", "")
    text = text.rstrip("\n") + "\n\n" + moving + "\n"
    unified_copy.write_text(text, encoding="utf-8")

    run_import(unified_copy)

    paragraph = Paragraph.objects.get(key=before[moving])
    assert (paragraph.section.anchor, paragraph.position) == ("working-together-as-one", 2)
    assert paragraph.anchor == "p-working-together-as-one-2"
    assert keys_by_text("unified-health-service") == before


def test_a_section_left_out_of_the_file_is_removed_and_sections_renumbered(unified_copy):
    run_import()
    text = unified_copy.read_text(encoding="utf-8")
    start = text.index("## Tackling health inequalities")
    end = text.index("## Working together as one")
    unified_copy.write_text(text[:start] + text[end:], encoding="utf-8")

    output = run_import(unified_copy)

    sections = Section.objects.filter(article__slug="unified-health-service").order_by("position")
    assert [(s.position, s.anchor) for s in sections] == [
        (1, "introduction"),
        (2, "support-from-independent-sector"),
        (3, "working-together-as-one"),
    ]
    assert Paragraph.objects.filter(section__article__slug="unified-health-service").count() == 5
    assert "1 section removed" in output and "2 paragraphs removed" in output


def test_changed_details_and_references_are_updated(unified_copy):
    run_import()
    text = unified_copy.read_text(encoding="utf-8")
    text = text.replace('author_role = "Chief Executive"', 'author_role = "Chief executive"')
    text = text.replace("number = 1\n", 'number = 1\ntext = "National Audit Office report"\n')
    unified_copy.write_text(text, encoding="utf-8")

    output = run_import(unified_copy)

    article = Article.objects.get(slug="unified-health-service")
    assert article.author_role == "Chief executive"
    assert article.references.get().text == "National Audit Office report"
    assert "details changed (author_role)" in output and "1 reference updated" in output


def test_html_from_an_older_renderer_is_rendered_again_without_new_keys():
    run_import()
    before = keys_by_text("collaboration-under-threat")
    Paragraph.objects.update(renderer_version="0-old", html="<p>stale</p>")
    Section.objects.update(renderer_version="0-old")

    output = run_import()

    assert "collaboration-under-threat: updated" in output
    assert "5 paragraphs re-rendered" in output
    assert keys_by_text("collaboration-under-threat") == before
    assert not Paragraph.objects.filter(html="<p>stale</p>").exists()
    assert run_import().count("unchanged") == 2


MALFORMED = {
    "bad TOML": ('position = 1', 'position = = 1', 5, "not valid TOML"),
    "missing required field": ('author_name = "David Hare"\n', "", 1, 'no "author_name"'),
    "broken section syntax": (
        "## Tackling health inequalities {#tackling-health-inequalities}",
        "## Tackling health inequalities",
        28,
        "needs an anchor",
    ),
}


@pytest.mark.parametrize("case", MALFORMED.keys())
def test_a_malformed_file_imports_nothing_and_exits_with_status_1(case, unified_copy, capsys, monkeypatch):
    # run_from_argv is what manage.py calls; it closes database connections when it ends, which
    # would close the test's own transaction on PostgreSQL.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    old, new, line, message = MALFORMED[case]
    text = unified_copy.read_text(encoding="utf-8")
    assert old in text
    unified_copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    good = bundled_file("collaboration-under-threat")

    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "import_articles", str(good), str(unified_copy)])

    assert exit_info.value.code == 1
    stderr = capsys.readouterr().err
    assert f"{unified_copy}, line {line}: " in stderr
    assert message in stderr
    assert "Nothing was imported." in stderr
    assert Article.objects.count() == 0


def test_a_malformed_file_leaves_earlier_imports_as_they_were(unified_copy):
    run_import()
    before = snapshot()
    unified_copy.write_text(unified_copy.read_text(encoding="utf-8").replace("+++\n", "", 1), encoding="utf-8")
    with pytest.raises(CommandError):
        run_import(bundled_file("collaboration-under-threat"), unified_copy)
    assert snapshot() == before


def test_a_failure_part_way_through_rolls_back_the_whole_run(monkeypatch):
    real_import = services.import_article
    calls = []

    def failing_second_time(source):
        calls.append(source.slug)
        if len(calls) == 2:
            raise services.ImportConflict(f"{source.slug}: refused for the test")
        return real_import(source)

    monkeypatch.setattr("articles.management.commands.import_articles.import_article", failing_second_time)
    with pytest.raises(CommandError, match="refused for the test"):
        run_import()
    assert len(calls) == 2
    assert Article.objects.count() == 0
    assert Paragraph.objects.count() == 0


def test_a_missing_file_is_reported_by_name(tmp_path):
    missing = tmp_path / "nope.md"
    with pytest.raises(CommandError, match=r"nope\.md, line 1: cannot be read"):
        run_import(missing)
