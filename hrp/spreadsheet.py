"""CSV cells that a spreadsheet opens as text, never as a formula: the one rule for every CSV
the clinic lets leave (the audit export, billing). A name or free text that starts with "=",
"+", "-", "@" or a control character would otherwise run as a formula when a billing clerk
opens the file (CSV injection); a leading apostrophe makes the spreadsheet show it as typed."""

from __future__ import annotations

from typing import Any

# Characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_row(values: list[Any]) -> list[str]:
    return [safe_cell(value) for value in values]
