"""Hostile input, as a real browser sees it: no dialog opens and no policy violation is reported.

Every Markdown-specific hostile string goes into comments (several per comment), into thread
titles, and into every profile field; then Chromium loads the pages that show them. Any
`alert`/`confirm`/`prompt` would open a dialog; any inline script, handler or injected resource
would either run (a dialog) or be blocked by the Content Security Policy (a violation event).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.posting import services
from tests.browser.test_security_headers import watch
from tests.conftest import make_member
from tests.forum.conftest import make_theme
from tests.security.html_checks import markdown_xss_strings

pytestmark = pytest.mark.django_db(transaction=True)


def _chunks(strings: list[str], size: int) -> list[list[str]]:
    return [strings[i : i + size] for i in range(0, len(strings), size)]


@pytest.fixture
def hostile_world(db):
    # Stored directly, so drop NUL the way the forms refuse it (PostgreSQL cannot store it either).
    strings = [s.replace("\x00", "") for s in markdown_xss_strings()]
    one_liners = [s for s in strings if "\n" not in s]
    author = make_member(
        "hostile@example.org",
        display_name="Hostile Author",
        organisation_name=one_liners[0][:150],
        job_title=one_liners[1][:120],
        declared_interests="\n".join(one_liners[:40]),
    )
    theme = make_theme("hostile", title="Hostile input")
    thread = services.start_thread(theme=theme, author=author, title=one_liners[2][:150], body=strings[0])
    for chunk in _chunks(strings, 12):
        services.create_comment(thread=thread, author=author, body="\n\n".join(chunk))
    for title in one_liners[3:15]:
        services.start_thread(theme=theme, author=author, title=title[:150], body="Opening comment.")
    return {"author": author, "theme": theme, "thread": thread}


def _pages(world) -> list[str]:
    thread = world["thread"]
    thread.refresh_from_db()
    pages = [thread.get_page_url(n) for n in range(1, thread.num_pages + 1)]
    return [
        *pages,
        world["theme"].get_absolute_url(),
        reverse("forum:theme_list"),
        world["author"].get_absolute_url(),
        reverse("forum:search") + "?q=javascript",
        reverse("forum:search") + "?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ]


def test_pages_showing_hostile_input_open_no_dialog_and_break_no_policy(page, live_server, hostile_world):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    console = watch(page)
    for path in _pages(hostile_world):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path
        # Hover and focus everything a handler could hang on, then check again.
        page.evaluate("document.querySelectorAll('.cg-prose *').forEach(e => { e.focus && e.focus(); "
                      "e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); })")
        assert page.evaluate("window.__violations") == [], path
    assert dialogs == []
    assert [line for line in console if "Content Security Policy" in line] == []
