"""The text a PDF reader shows, read with pypdf.

Searching a PDF's raw bytes for a word proves nothing: WeasyPrint writes text as glyph ids of a
subset font inside compressed streams. pypdf decodes them as a reader does. The document's
metadata (title, author) and bookmarks are read too, since a reader shows those as well and a
name must not leak through them either.
"""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.generic import Destination


def _outline_titles(outline: list) -> list[str]:
    titles: list[str] = []
    for entry in outline:
        if isinstance(entry, list):
            titles.extend(_outline_titles(entry))
        elif isinstance(entry, Destination) and entry.title:
            titles.append(str(entry.title))
    return titles


def pdf_text(pdf: bytes) -> str:
    """Every piece of text in `pdf`: the pages' text, then metadata and bookmark titles."""
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    metadata = [str(value) for value in (reader.metadata or {}).values()]
    return "\n".join(pages + metadata + _outline_titles(reader.outline))


def words(text: str) -> str:
    """Whitespace collapsed to single spaces, for comparing text that wraps across lines."""
    return " ".join(text.split())


def contains(pdf: bytes, text: str) -> bool:
    """Whether `text` appears in the PDF's text, ignoring how lines wrap."""
    return words(text) in words(pdf_text(pdf))
