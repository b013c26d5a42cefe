"""Reading the Disclosures pages as a person does."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


class _Rows(HTMLParser):
    """Body rows, as lists of cell text, of the table whose class list holds `css_class`."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.depth = 0  # >0 while inside the wanted table
        self.in_body = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and (self.depth or self.css_class in classes):
            self.depth += 1
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.depth and self.in_body and tag == "tr":
            self.rows.append([])
        elif self.depth and self.in_body and tag in ("td", "th"):
            self.cell = []
        elif self.cell is not None and tag == "br":
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(page: str, css_class: str) -> list[list[str]]:
    parser = _Rows(css_class)
    parser.feed(page)
    return parser.rows


def page_text(page: str) -> str:
    """The page's visible words (tags dropped, entities decoded, whitespace collapsed)."""
    without_tags = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(without_tags).split())
