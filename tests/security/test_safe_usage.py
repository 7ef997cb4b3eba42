"""Autoescaping is switched off only where stored, sanitised HTML is printed.

Every `|safe`, `|safeseq`, `{% autoescape off`, `mark_safe` and `SafeString(` in the templates
and the project's Python files must be one of:

1. `{{ <name>_html|safe }}` or `{{ <object>.html|safe }}` (also `<object>.<field>_html`): by our
   convention a name ending in `_html`, or a model's `html` field, holds HTML produced by
   `config.markdown` (rendered on save, sanitised by nh3). Name new variables that way.
2. `{% autoescape off %}` in a plain-text email template (`.../email/*.txt` or
   `.../emails/*.txt`): sent as text/plain, where HTML escaping would only corrupt links and
   punctuation.
3. An exact `(file, line snippet)` pair in ALLOWLIST below, with the reason beside it.

Anything else fails, listing file, line and text.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", "node_modules", "var", "static", "static_src", ".git", "__pycache__", "test-results"}
THIS_FILE = Path(__file__).resolve()

# (path relative to the project root, the stripped line) -> why it is safe.
ALLOWLIST: dict[tuple[str, str], str] = {
    (
        "forum/search/snippets.py",
        'return mark_safe("".join(parts))  # noqa: S308 - every piece of text above was escaped',
    ): (
        "search snippets: every piece of text is escaped first; only <mark> tags the code writes are added"
    ),
    ("forum/cache/digest.py", 'return mark_safe("".join(parts))  # noqa: S308 - our own templates\' output'): (
        "cached comment HTML: each piece is forum/includes/comment.html rendered with autoescaping on; only the "
        "reader's CSRF token and their escaped page address are put into it"
    ),
}

RISKY = re.compile(r"\|\s*safe(?:seq)?\b|\{%-?\s*autoescape\s+off|\bmark_safe\b|\bSafeString\s*\(")
STORED_HTML = re.compile(r"\{\{-?\s*(?:[A-Za-z_]\w*\.)*(?:[A-Za-z_]\w*_html|(?<=\.)html)\s*\|\s*safe\s*-?\}\}")
IMPORT = re.compile(r"^\s*(?:from\s+\S+\s+)?import\s")  # the call sites are what count
AUTOESCAPE_OFF = re.compile(r"\{%-?\s*autoescape\s+off\s*-?%\}")


def _walk(base: Path, suffixes: tuple[str, ...]):
    for path in sorted(base.rglob("*")):
        relative = path.relative_to(ROOT)
        if any(part in SKIP_DIRS for part in relative.parts):
            continue
        if path.is_file() and path.suffix in suffixes and path.resolve() != THIS_FILE:
            yield path


def scanned_files() -> list[Path]:
    app_template_dirs = sorted(d for d in ROOT.glob("*/templates") if d.is_dir() and d.parent.name not in SKIP_DIRS)
    template_dirs = [ROOT / "templates", *app_template_dirs]
    files: list[Path] = []
    for directory in template_dirs:
        files.extend(_walk(directory, (".html", ".txt", ".xml", ".svg", ".md")))
    files.extend(_walk(ROOT, (".py",)))
    return files


def is_plain_text_email(path: Path) -> bool:
    return path.suffix == ".txt" and bool({"email", "emails"} & set(path.relative_to(ROOT).parts))


def violations_in(path: Path) -> list[str]:
    found = []
    relative = path.relative_to(ROOT).as_posix()
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not RISKY.search(line) or IMPORT.match(line):
            continue
        remainder = STORED_HTML.sub("", line)
        if is_plain_text_email(path):
            remainder = AUTOESCAPE_OFF.sub("", remainder)
        if not RISKY.search(remainder):
            continue
        if (relative, line.strip()) in ALLOWLIST:
            continue
        found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_the_scan_covers_templates_and_python_files():
    files = {path.relative_to(ROOT).as_posix() for path in scanned_files()}
    assert "templates/base.html" in files
    assert "config/markdown.py" in files
    assert "config/settings.py" in files
    assert not any(name.startswith((".venv/", "node_modules/")) for name in files)


def test_the_rule_accepts_only_stored_html_names():
    accepted = ["{{ comment.body_html|safe }}", "{{ theme.summary_html|safe }}", "{{ paragraph.html|safe }}",
                "{{ preview_html|safe }}", "{{ section.body_html | safe }}"]
    refused = ["{{ comment.body|safe }}", "{{ preview|safe }}", "{{ html|safe }}", "{{ body|safeseq }}",
               "{{ comment.body_html|linebreaks|safe }}", "{{ x.html_title|safe }}", "{% autoescape off %}",
               "mark_safe(text)", "SafeString(text)"]
    for line in accepted:
        assert not RISKY.search(STORED_HTML.sub("", line)), line
    for line in refused:
        assert RISKY.search(STORED_HTML.sub("", line)), line


def test_allowlist_entries_still_exist():
    """A stale entry would silently allow the same text if it came back somewhere later."""
    for relative, snippet in ALLOWLIST:
        lines = [line.strip() for line in (ROOT / relative).read_text(encoding="utf-8").splitlines()]
        assert snippet in lines, f"{relative} no longer contains {snippet!r}: remove it from ALLOWLIST"


def test_autoescaping_is_only_switched_off_for_stored_sanitised_html():
    problems = [problem for path in scanned_files() for problem in violations_in(path)]
    assert not problems, (
        "Autoescaping switched off outside the allowed places. Print stored, sanitised HTML as "
        "{{ <name>_html|safe }}, or add an exact (file, line) pair to ALLOWLIST with the reason:\n"
        + "\n".join(problems)
    )
