"""Reading pages as a person (or a browser) sees them, through lxml's HTML parser.

A page is parsed once as a browser would; the helpers then read what a person sees in it (the
words, a table's cells) or what a browser would submit (a form's fields).
"""

from __future__ import annotations

from dataclasses import dataclass

import lxml.etree
import lxml.html
from django.http import HttpResponse

Page = str | bytes | HttpResponse


def parse(page: Page) -> lxml.html.HtmlElement:
    """The page (or fragment) as an element tree."""
    if isinstance(page, HttpResponse):
        page = page.content
    if isinstance(page, bytes):
        page = page.decode()
    return lxml.html.fromstring(page)


def words(text: str) -> str:
    """Whitespace collapsed to single spaces."""
    return " ".join(text.split())


def with_class(css_class: str) -> str:
    """An XPath predicate: the element's class list holds `css_class`."""
    return f"[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]"


def cell_text(element: lxml.html.HtmlElement) -> str:
    """An element's text as shown: inline markup joins its words, a line break separates them."""
    for br in element.iter("br"):
        br.tail = " " + (br.tail or "")
    return words("".join(element.itertext()))


def page_text(page: Page) -> str:
    """The page's visible words: tags separate words, entities decoded, whitespace collapsed."""
    return words(" ".join(parse(page).itertext()))


def table(page: Page) -> tuple[list[str], list[list[str]]]:
    """The header cells and, row by row, the body cells of the page's tables, as text."""
    root = parse(page)
    header = [cell_text(cell) for cell in root.xpath("//thead//th | //thead//td")]
    rows = [
        [cell_text(cell) for cell in row.xpath("./th | ./td")] for row in root.xpath("//tbody/tr")
    ]
    return header, rows


def table_rows(page: Page, css_class: str) -> list[list[str]]:
    """Body rows, as lists of cell text, of the tables whose class list holds `css_class`."""
    tables = parse(page).xpath(f"//table{with_class(css_class)}")
    return [
        [cell_text(cell) for cell in row.xpath("./th | ./td")]
        for found in tables
        for row in found.xpath("./tbody/tr")
    ]


def form_values(page: Page) -> dict[str, str]:
    """What the page's forms hold in each field, as a browser would submit them: input values
    (the checked ones for radios and checkboxes), textarea contents and selected options;
    without hidden fields, buttons, and the page header's search box."""
    values: dict[str, str] = {}
    for field in parse(page).xpath("//input | //textarea | //select"):
        name = field.get("name") or ""
        if field.tag == "input":
            kind = field.get("type")
            if kind in ("hidden", "submit"):
                continue
            if kind not in ("radio", "checkbox") or field.get("checked") is not None:
                values[name] = field.get("value") or ""
        elif field.tag == "textarea":
            # Django writes a newline after <textarea>, which browsers drop.
            values[name] = (field.text or "").removeprefix("\n")
        else:
            selected = field.xpath(".//option[@selected]")
            if selected:
                values[name] = selected[-1].get("value") or ""
    return {k: v for k, v in values.items() if k not in ("q", "csrfmiddlewaretoken")}


@dataclass
class FormAudit:
    """A page's form controls, the ids its labels point at, and what a strict CSP would block."""

    controls: list[str]  # each visible control's id (or "<tag name=...>" when it has none)
    labelled: set[str]
    inline: list[str]  # tags carrying inline style, event handlers, or inline script/style


def form_audit(page: Page) -> FormAudit:
    audit = FormAudit(controls=[], labelled=set(), inline=[])
    for element in parse(page).iter(lxml.etree.Element):
        tag, attrs = element.tag, element.attrib
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            audit.inline.append(tag)
        if tag in ("script", "style") and not attrs.get("src"):
            audit.inline.append(tag)
        if tag == "label" and attrs.get("for"):
            audit.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            audit.controls.append(attrs.get("id") or f"<{tag} name={attrs.get('name')}>")
    return audit
