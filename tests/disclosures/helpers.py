"""Reading the Disclosures pages as a person does (tests/htmltext.py, through lxml)."""

from __future__ import annotations

from tests.htmltext import page_text, table_rows

__all__ = ["page_text", "table_rows"]
