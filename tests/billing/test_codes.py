"""Each service code's time rule at every boundary, the code sets kept as data, the NPI check."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from billing import codes
from billing.codes import BUILTIN_SERVICE_CODES, Units, units_for
from hrp.accounts.models import validate_npi

REFUSED = None

# (code, minutes, expected units or REFUSED): each range's first and last minute and the minute
# either side of it.
CASES = [
    ("90832", 15, REFUSED),
    ("90832", 16, Units(1)),
    ("90832", 37, Units(1)),
    ("90832", 38, REFUSED),
    ("90834", 37, REFUSED),
    ("90834", 38, Units(1)),
    ("90834", 52, Units(1)),
    ("90834", 53, REFUSED),
    ("90837", 52, REFUSED),
    ("90837", 53, Units(1)),
    ("90837", 480, Units(1)),
    ("90839", 29, REFUSED),
    ("90839", 30, Units(1)),
    ("90839", 74, Units(1)),
    ("90839", 75, Units(1, "90840", 1)),
    ("90839", 104, Units(1, "90840", 1)),
    ("90839", 105, Units(1, "90840", 2)),
    ("90839", 134, Units(1, "90840", 2)),
    ("90839", 135, Units(1, "90840", 3)),
    ("90846", 25, REFUSED),
    ("90846", 26, Units(1)),
    ("90847", 25, REFUSED),
    ("90847", 26, Units(1)),
    ("90847", 120, Units(1)),
    ("H0004", 7, REFUSED),
    ("H0004", 8, Units(1)),
    ("H0004", 22, Units(1)),
    ("H0004", 23, Units(2)),
    ("H0004", 37, Units(2)),
    ("H0004", 38, Units(3)),
    ("H0004", 60, Units(4)),
    ("90791", 1, Units(1)),
    ("90791", 180, Units(1)),
    ("90853", 90, Units(1)),
    ("H0001", 45, Units(1)),
    ("H0005", 90, Units(1)),
]


@pytest.mark.parametrize(("code", "minutes", "expected"), CASES)
def test_units_at_each_boundary(code: str, minutes: int, expected: Units | None) -> None:
    service = BUILTIN_SERVICE_CODES[code]
    if expected is REFUSED:
        with pytest.raises(ValidationError) as refused:
            units_for(service, minutes)
        assert list(refused.value.message_dict) == ["minutes"]
    else:
        assert units_for(service, minutes) == expected


def test_refusal_names_the_range_needed() -> None:
    with pytest.raises(ValidationError) as refused:
        units_for(BUILTIN_SERVICE_CODES["90834"], 30)
    assert refused.value.message_dict["minutes"] == [
        "90834 covers 38 to 52 minutes; this encounter lasted 30 minutes. "
        "Choose the code for that length."
    ]


def test_zero_minutes_is_refused_for_every_code() -> None:
    for service in codes.SERVICE_CODES:
        with pytest.raises(ValidationError):
            units_for(service, 0)


def test_person_first_wording_keeps_the_official_description() -> None:
    entry = codes.ICD10["F10.10"]
    assert entry.label == (
        "Alcohol use disorder, mild — F10.10 (official: Alcohol abuse, uncomplicated)"
    )
    assert codes.ICD10["F11.21"].official == "Opioid dependence, in remission"
    assert codes.ICD10["F41.1"].label == "Generalized anxiety disorder — F41.1"


def test_no_person_first_text_says_abuse_or_dependence() -> None:
    shown = [entry.shown.lower() for entry in codes.ICD10_CODES]
    assert [text for text in shown if "abuse" in text or "dependence" in text] == []


def test_codes_are_unique() -> None:
    assert len(codes.ICD10) == len(codes.ICD10_CODES)
    assert len(codes.BUILTIN_SERVICE_CODES) == len(codes.SERVICE_CODES)


@pytest.mark.parametrize("npi", ["1234567893", "1245319599"])
def test_valid_npi(npi: str) -> None:
    validate_npi(npi)


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678931", "１２３４５６７８９３"])
def test_invalid_npi(npi: str) -> None:
    with pytest.raises(ValidationError):
        validate_npi(npi)
