"""HTML to PDF with WeasyPrint, offline: no remote resource is ever fetched while rendering.

Charts are inline SVG in the HTML. The only files WeasyPrint may read are the project's own
static files (link a stylesheet as `static:path/to.css`), resolved by path; every other URL
(http, https, file, data...) is refused and noted in `OfflineFetcher.refused`.
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

PREFIX = "static:"


class OfflineFetcher(URLFetcher):
    def __init__(self) -> None:
        # Not URLFetcher.__init__: it builds network handlers and an SSL context (about 0.16 s
        # a document) that this fetcher, which never touches the network, does not use.
        self._fail_on_errors = False
        self._allowed_protocols = ["static"]
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = finders.find(url[len(PREFIX) :]) if url.startswith(PREFIX) else None
        if not path:
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url[:80]!r} while rendering a PDF")
        with open(path, "rb") as handle:
            body = handle.read()
        mime = "text/css" if url.endswith(".css") else "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": mime})


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render `template` (a Django template producing HTML) to PDF bytes."""
    html = render_to_string(template, context)
    return html_to_pdf(html)


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, reused by every document it renders. WeasyPrint
    otherwise makes a new one (a new Pango font map) per document, and a worker preparing
    thousands of summaries grew by about 0.4 MiB a document; reused, its memory stays flat
    and each document is a little faster. Safe to share because our stylesheets use system
    fonts only (no @font-face, the one thing a configuration accumulates)."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def html_to_pdf(html: str, fetcher: OfflineFetcher | None = None) -> bytes:
    fetcher = fetcher or OfflineFetcher()
    return HTML(string=html, base_url=PREFIX, url_fetcher=fetcher).write_pdf(
        font_config=_font_config()
    )
