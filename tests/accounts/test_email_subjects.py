"""Every email allauth sends has a subject in sentence case, in our words."""

from __future__ import annotations

from pathlib import Path

import allauth
import pytest
from django.template.loader import render_to_string

ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
SUBJECTS = sorted(
    str(path.relative_to(ALLAUTH_TEMPLATES))
    for folder in ("account/email", "mfa/email")
    for path in (ALLAUTH_TEMPLATES / folder).glob("*_subject.txt")
)


@pytest.mark.parametrize("template", SUBJECTS)
def test_each_subject_is_ours_and_in_sentence_case(template):
    subject = render_to_string(template, {"current_site": {"name": "Common Ground"}}).strip()
    assert subject, template
    words = subject.split()
    assert all(not word[0].isupper() for word in words[1:]), f"{template}: {subject!r} is in Title Case"
