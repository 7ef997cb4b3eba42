"""Parser-based checks that hostile input did not become markup, and the corpora to feed in.

Use it wherever people's text is printed back:

    from tests.security.html_checks import assert_no_injected_markup, assert_response_has_no_injected_markup
    from tests.security.html_checks import hostile_strings

    @pytest.mark.parametrize("body", hostile_strings(), ids=corpus_id)
    def test_comment_body_cannot_inject_markup(member_client, thread, body):
        member_client.post(reply_url, {"body": body})
        response = member_client.get(thread.get_absolute_url())
        assert_response_has_no_injected_markup(response, allowed_forms={"/search/"})

Two modes, picked from the input:

- **Fragment** (no `<html>` or `<body>` tag), e.g. the output of `config.markdown.render_markdown`:
  the whole fragment is user content.
- **Page** (a full response): user content is every element inside a container matching
  `user_content_selector` (default `div.cg-prose, blockquote.cg-prose`, where templates print
  stored `*_html` — keep printing stored HTML inside such a container). The container element
  itself is ours; its descendants are the user's.

What fails, anywhere on the page:
- `script`, unless outside user content and either loaded from our origin (`src` relative or on
  an `origin_hosts` host), carrying `csp_nonce` (the response's nonce; see
  `assert_response_has_no_injected_markup`, which reads it from the CSP header), or a JSON data
  block (`type="application/json"`, no `src`: browsers never run it; Django's `json_script` and
  allauth's WebAuthn pages pass their data this way);
- `iframe`, `frame`, `frameset`, `object`, `embed`, `applet`, `base`, `style` elements, and `meta`
  with `http-equiv` refresh or set-cookie;
- any `on*` event-handler attribute;
- any URL attribute (`href`, `src`, `action`, `formaction`, `xlink:href`, `srcset`, `poster`,
  `data`, `cite`, `background`, ...) whose scheme, after entity decoding and the whitespace and
  control-character stripping browsers do, is not http, https or mailto; `link` elements
  pointing to another host;
- a `form` that is not ours. Ours: outside user content, method get or post, action empty or
  same-origin, and either POST with a CSRF token input or GET with its action listed in
  `allowed_forms` (exact action values, e.g. `{"/search/", ""}`; `""` allows GET forms that
  submit to the page itself).

And inside user content only (what `config.markdown` never emits):
- any element not in `config.markdown.ALLOWED_TAGS`, any attribute not in its
  `ALLOWED_ATTRIBUTES` (plus the `rel` nh3 adds to links) — so `style=`, `id`/`name` (DOM
  clobbering), `class`, `hx-*`/`data-*` (htmx would act on them), `target` and form controls all
  fail, each named in the message.

`find_injected_markup(...)` returns the list of problems instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

DATA_DIR = Path(__file__).resolve().parent / "data"
SAFE_SCHEMES = {"http", "https", "mailto"}
DEFAULT_USER_CONTENT = "div.cg-prose, blockquote.cg-prose"
DEFAULT_ORIGIN_HOSTS = ("testserver", "localhost", "127.0.0.1")
ALWAYS_FORBIDDEN = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "portal"}
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "poster", "data", "cite", "background",
    "longdesc", "ping", "manifest", "codebase", "dynsrc", "lowsrc", "icon", "profile", "usemap",
    "archive", "classid",
}
CSRF_FIELD = "csrfmiddlewaretoken"
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see in an attribute value (already entity-decoded), lower case.

    Browsers drop tabs and newlines anywhere in a URL and C0 controls and spaces at either end,
    so `java&#x09;script:` and ` javascript:` are both javascript URLs.
    """
    cleaned = _TAB_OR_NEWLINE.sub("", value).strip(_C0_OR_SPACE)
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def _srcset_urls(value: str) -> list[str]:
    return [candidate.strip().split(" ")[0] for candidate in value.split(",") if candidate.strip()]


def _is_same_origin(value: str, origin_hosts: Iterable[str]) -> bool:
    cleaned = _TAB_OR_NEWLINE.sub("", value).strip(_C0_OR_SPACE)
    if cleaned.startswith(("//", "\\\\", "/\\", "\\/")):
        return urlsplit("http:" + cleaned.replace("\\", "/")).hostname in set(origin_hosts)
    scheme = url_scheme(cleaned)
    if scheme is None:
        return True  # relative: our origin
    if scheme not in {"http", "https"}:
        return False
    return urlsplit(cleaned).hostname in set(origin_hosts)


def _snippet(element: Tag) -> str:
    text = str(element)
    return text if len(text) <= 160 else text[:157] + "..."


def _is_full_page(html: str) -> bool:
    return re.search(r"<(html|body)[\s>]", html, re.IGNORECASE) is not None


def find_injected_markup(
    html: str,
    *,
    allowed_forms: Iterable[str] = (),
    csp_nonce: str | None = None,
    user_content_selector: str = DEFAULT_USER_CONTENT,
    origin_hosts: Iterable[str] = DEFAULT_ORIGIN_HOSTS,
) -> list[str]:
    """Every problem found in `html`, as readable sentences (empty when the markup is clean)."""
    from config.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

    origin_hosts = tuple(origin_hosts)
    allowed_forms = set(allowed_forms)
    soup = BeautifulSoup(html, "html.parser")
    problems: list[str] = []

    if _is_full_page(html):
        user_elements: set[int] = set()
        for container in soup.select(user_content_selector):
            user_elements.update(id(descendant) for descendant in container.find_all(True))
    else:
        user_elements = {id(element) for element in soup.find_all(True)}

    for element in soup.find_all(True):
        name = element.name.lower()
        in_user_content = id(element) in user_elements
        where = "in user content" if in_user_content else "on the page"

        if name == "script":
            src = element.get("src")
            nonce = element.get("nonce")
            data_block = src is None and (element.get("type") or "").strip().lower() == "application/json"
            ours = not in_user_content and (
                (src is not None and _is_same_origin(src, origin_hosts))
                or (src is None and csp_nonce is not None and nonce == csp_nonce)
                or data_block
            )
            if not ours:
                problems.append(f"script {where} that is not ours: {_snippet(element)}")
        elif name in ALWAYS_FORBIDDEN:
            problems.append(f"<{name}> element {where}: {_snippet(element)}")
        elif name == "meta" and (element.get("http-equiv") or "").strip().lower() in {"refresh", "set-cookie"}:
            problems.append(f"<meta http-equiv> {where}: {_snippet(element)}")
        elif name == "link" and not in_user_content and not _is_same_origin(element.get("href") or "", origin_hosts):
            problems.append(f"<link> to another host: {_snippet(element)}")
        elif name == "form":
            problems.extend(_form_problems(element, in_user_content, allowed_forms, origin_hosts))

        for attribute, value in element.attrs.items():
            attribute = attribute.lower()
            values = value if isinstance(value, list) else [value]
            if attribute.startswith("on"):
                problems.append(f"event handler attribute {attribute} {where}: {_snippet(element)}")
            if attribute in URL_ATTRIBUTES or attribute == "srcset":
                urls = _srcset_urls(" ".join(values)) if attribute == "srcset" else [" ".join(values)]
                for url in urls:
                    scheme = url_scheme(url)
                    if scheme is not None and scheme not in SAFE_SCHEMES:
                        problems.append(f"{scheme}: URL in {attribute} {where}: {_snippet(element)}")

        if in_user_content:
            if name not in ALLOWED_TAGS:
                problems.append(f"<{name}> is not something the Markdown renderer emits, in user content: "
                                f"{_snippet(element)}")
            allowed_attributes = set(ALLOWED_ATTRIBUTES.get(name, ())) | ({"rel"} if name == "a" else set())
            for attribute in element.attrs:
                if attribute.lower() not in allowed_attributes:
                    problems.append(f"attribute {attribute} on <{name}> in user content: {_snippet(element)}")
    return problems


def _form_problems(form: Tag, in_user_content: bool, allowed_forms: set[str], origin_hosts) -> list[str]:
    if in_user_content:
        return [f"form in user content: {_snippet(form)}"]
    method = (form.get("method") or "get").strip().lower()
    action = form.get("action")
    action = "" if action is None else action.strip()
    if method not in {"get", "post"}:
        return [f"form with method {method!r}: {_snippet(form)}"]
    if action and not _is_same_origin(action, origin_hosts):
        return [f"form posting to another site: {_snippet(form)}"]
    for control in form.find_all(attrs={"formaction": True}):
        if not _is_same_origin(control["formaction"], origin_hosts):
            return [f"form control submitting to another site: {_snippet(control)}"]
    if method == "post":
        token = form.find("input", attrs={"name": CSRF_FIELD})
        if token is None or not re.fullmatch(r"[A-Za-z0-9]{64}", token.get("value") or ""):
            return [f"POST form without a CSRF token: {_snippet(form)}"]
        return []
    if action not in allowed_forms:
        return [f"GET form to {action!r}, which is not in allowed_forms: {_snippet(form)}"]
    return []


def assert_no_injected_markup(
    html: str,
    *,
    allowed_forms: Iterable[str] = (),
    csp_nonce: str | None = None,
    user_content_selector: str = DEFAULT_USER_CONTENT,
    origin_hosts: Iterable[str] = DEFAULT_ORIGIN_HOSTS,
) -> None:
    """Fail with every problem listed if `html` holds markup hostile input could have injected."""
    problems = find_injected_markup(
        html,
        allowed_forms=allowed_forms,
        csp_nonce=csp_nonce,
        user_content_selector=user_content_selector,
        origin_hosts=origin_hosts,
    )
    if problems:
        raise AssertionError("Injected markup found:\n- " + "\n- ".join(problems))


def csp_nonce_of(response) -> str | None:
    match = re.search(r"'nonce-([^']+)'", response.get("Content-Security-Policy", ""))
    return match.group(1) if match else None


def assert_response_has_no_injected_markup(response, **kwargs) -> None:
    """`assert_no_injected_markup` on a test-client response, trusting only its own CSP nonce."""
    kwargs.setdefault("csp_nonce", csp_nonce_of(response))
    assert_no_injected_markup(response.content.decode(response.charset or "utf-8"), **kwargs)


# The corpora.

CORPUS_SEPARATOR = re.compile(r"^%%(?: .*)?$")


def markdown_xss_strings() -> list[str]:
    """Our Markdown-specific hostile strings (data/markdown_xss.txt).

    The file starts with a header; each entry follows a line that is `%%` or `%% comment`, and
    runs to the next such line (its final newline dropped), so entries may span lines and hold
    tabs and blank lines exactly as written.
    """
    entries: list[str] = []
    current: list[str] | None = None
    with open(DATA_DIR / "markdown_xss.txt", encoding="utf-8", newline="") as corpus:
        text = corpus.read()  # newline="": a carriage return inside an entry stays one
    for line in text.split("\n"):
        if CORPUS_SEPARATOR.match(line):
            if current is not None:
                entries.append("\n".join(current))
            current = []
        elif current is not None:
            current.append(line)
    if current is not None:
        entries.append("\n".join(current))
    return [entry.rstrip("\n") for entry in entries if entry.strip()]


def naughty_strings() -> list[str]:
    """The Big List of Naughty Strings (data/blns.txt, MIT; see data/blns.LICENSE): one string per
    line, `#` lines are comments."""
    with open(DATA_DIR / "blns.txt", encoding="utf-8", newline="") as corpus:
        lines = corpus.read().split("\n")
    return [line for line in lines if line and not line.startswith("#")]


def hostile_strings() -> list[str]:
    """Both corpora: ours first, then the naughty strings."""
    return markdown_xss_strings() + naughty_strings()


def corpus_id(value: str) -> str:
    """A short, printable pytest id for a corpus string."""
    printable = "".join(ch if ch.isprintable() and ch not in "[]" else "?" for ch in value)
    return printable[:40] or "empty"
