"""Accessibility checks with axe-core (WCAG 2.2 A and AA rules), and valid HTML with the Nu checker."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from tests.browser import nu

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
_axe = Axe()


def axe_violations(page) -> list[str]:
    """Run axe on the page as it is now and describe each violation in one line."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response.get("violations", [])
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    ]


def assert_accessible(page) -> None:
    """No axe violations and no Nu HTML Checker errors on the page as it is now.

    Every page a browser test checks with axe is also checked with the Nu HTML Checker
    (tests/browser/nu.py), so no call site can miss it.
    """
    html_errors = nu.check_page(page)
    violations = axe_violations(page)
    problems = []
    if violations:
        problems.append(f"axe found problems on {page.url}:\n" + "\n".join(violations))
    if html_errors:
        problems.append(f"The Nu HTML Checker found errors on {page.url}:\n" + "\n".join(html_errors))
    assert problems == [], "\n".join(problems)
