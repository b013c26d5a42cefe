"""HTML to PDF with WeasyPrint, offline: no remote resource is ever fetched while rendering.

Charts are inline SVG in the HTML; the only files WeasyPrint may read are the project's own
static files (for the print stylesheet), resolved by path, never over the network.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


class RemoteResourceRefused(Exception):
    """Raised when a document asks for anything that is not one of our static files."""


def _offline_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    prefix = "static:"
    if url.startswith(prefix):
        path = finders.find(url[len(prefix) :])
        if path:
            with open(path, "rb") as handle:
                return {"string": handle.read(), "mime_type": _mime(url)}
    raise RemoteResourceRefused(f"refused to fetch {url[:80]!r} while rendering a PDF")


def _mime(url: str) -> str:
    return "text/css" if url.endswith(".css") else "application/octet-stream"


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render `template` to PDF bytes. Link stylesheets as `static:path/to.css`."""
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url="static:", url_fetcher=_offline_fetcher).write_pdf()
