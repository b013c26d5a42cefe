"""Reading goal pages as a person (or a browser) sees them: what each form field holds, the
cells of each table, and the chart's data."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from django.http import HttpResponse


class _FormValues(HTMLParser):
    """What the forms on a page hold in each field: input values (the checked ones for radios),
    textarea contents and selected options, as the browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and a.get("type") not in ("hidden", "submit"):
            if a.get("type") not in ("radio", "checkbox") or "checked" in a:
                self.values[name] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            # Django writes a newline after <textarea>, which browsers drop.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_values(response: HttpResponse) -> dict[str, str]:
    """The fields of the page's forms, without the page header's search box."""
    parser = _FormValues()
    parser.feed(response.content.decode())
    return {k: v for k, v in parser.values.items() if k not in ("q", "csrfmiddlewaretoken")}


class _Table(HTMLParser):
    """The header cells and, row by row, the body cells of the page's tables, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self._part = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("thead", "tbody"):
            self._part = tag
        elif tag == "tr" and self._part == "tbody":
            self.rows.append([])
        elif tag in ("th", "td") and self._part:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("thead", "tbody"):
            self._part = ""
        elif tag in ("th", "td") and self._cell is not None:
            cell = " ".join("".join(self._cell).split())
            (self.header if self._part == "thead" else self.rows[-1]).append(cell)
            self._cell = None


def table(response: HttpResponse) -> tuple[list[str], list[list[str]]]:
    parser = _Table()
    parser.feed(response.content.decode())
    return parser.header, parser.rows


def chart_data(response: HttpResponse) -> Any:
    """The progress chart's data, from its `json_script`; None when the page has no chart."""
    match = re.search(
        r'<script id="progress-data" type="application/json">(.*?)</script>',
        response.content.decode(),
    )
    return json.loads(match.group(1)) if match else None
