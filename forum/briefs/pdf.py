"""The brief as a PDF, drawn by WeasyPrint from the brief's own HTML and print stylesheet.

WeasyPrint needs Pango on the system. Where it cannot be loaded, `available()` is False and the
brief's page says the PDF cannot be made here (the HTML brief, printed from the browser, works).
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

try:  # the library, and the system libraries it opens when imported
    import weasyprint
except (ImportError, OSError) as error:  # pragma: no cover - depends on the machine
    weasyprint = None
    log.warning("WeasyPrint cannot be loaded, so briefs have no PDF: %s", error)

STYLESHEET = Path(__file__).resolve().parent / "brief.css"


def available() -> bool:
    return weasyprint is not None


def render_pdf(html: str) -> bytes:
    """The PDF of a brief's standalone HTML. Links are made absolute from SITE_URL; nothing is
    fetched from another host (the stylesheet is read from disk, and there are no images)."""
    if weasyprint is None:
        raise RuntimeError("WeasyPrint is not available on this machine.")
    document = weasyprint.HTML(string=html, base_url=settings.SITE_URL, url_fetcher=_refuse_fetching)
    return document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])


def _refuse_fetching(url: str, *args, **kwargs):
    raise ValueError(f"The brief fetches nothing: {url}")
