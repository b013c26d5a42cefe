"""hrp.spreadsheet: what a spreadsheet would run as a formula is shown as typed."""

from __future__ import annotations

import pytest

from hrp.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Robin", "Robin"),
        ("a=b", "a=b"),
        (None, ""),
        (150, "150"),
        ("", ""),
    ],
)
def test_a_formula_start_gets_an_apostrophe(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_a_row_is_made_safe_cell_by_cell() -> None:
    assert safe_row(["=x", "y", None]) == ["'=x", "y", ""]
