"""`<time datetime>` values are valid HTML: at most three digits of a fraction of a second.

Django's `|date:'c'` writes microseconds, which the Nu HTML Checker reports as an error; templates
use the builtin `|html_datetime` filter (config/templatetags/dates.py) instead.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

from config.templatetags.dates import html_datetime

# HTML's valid global date and time string, as Django writes it: a fraction of a second, if any, has
# one to three digits, and an offset follows.
HTML_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$")
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"


def test_it_drops_the_microseconds_that_date_c_writes():
    moment = datetime.datetime(2026, 3, 1, 10, 15, 30, 123456, tzinfo=datetime.UTC)
    written = html_datetime(moment)
    assert HTML_DATETIME.match(written), written
    assert "." not in written
    assert Template("{{ moment|date:'c' }}").render(Context({"moment": moment})).count(".123456") == 1


def test_it_writes_the_time_in_the_current_time_zone_with_its_offset():
    moment = datetime.datetime(2026, 7, 1, 9, 0, 0, 500000, tzinfo=datetime.UTC)
    with timezone.override(ZoneInfo("Europe/London")):
        assert html_datetime(moment) == "2026-07-01T10:00:00+01:00"
        assert Template('<time datetime="{{ moment|html_datetime }}">').render(Context({"moment": moment})) == (
            '<time datetime="2026-07-01T10:00:00+01:00">'
        )


def test_a_date_stays_a_date_and_nothing_gives_nothing():
    assert html_datetime(datetime.date(2026, 3, 1)) == "2026-03-01"
    assert html_datetime(None) == ""
    assert html_datetime("") == ""


def test_every_template_writes_time_elements_with_it():
    """No template writes `datetime=` with `|date:'c'`; every `datetime=` goes through the filter."""
    offending = []
    for path in TEMPLATES_DIR.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for value in re.findall(r'datetime="([^"]*)"', line):
                if "{{" in value and "|html_datetime" not in value:
                    offending.append(f"{path.relative_to(TEMPLATES_DIR)}:{number}: {value}")
    assert offending == []


def test_htmx_attributes_carry_the_data_prefix():
    """htmx reads `data-hx-*` as well as `hx-*`, and only `data-*` attributes are valid HTML."""
    bare = re.compile(r"(?<![\w-])hx-[a-z-]+=")
    offending = [
        f"{path.relative_to(TEMPLATES_DIR)}:{number}"
        for path in TEMPLATES_DIR.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if bare.search(line)
    ]
    assert offending == []
