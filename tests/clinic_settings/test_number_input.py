"""Numbers typed on the clinic settings page are read by hrp/bounds.py: ASCII digits only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from hrp import clinic


@pytest.mark.parametrize("raw", ["٣٠", "３０", "+30", "3_0", "30.0", "²", ""])
def test_a_whole_number_setting_takes_ascii_digits_only(raw: str) -> None:
    with pytest.raises(ValidationError) as refused:
        clinic.validate("RATING_ALERT_THRESHOLD", raw)
    assert refused.value.messages == ["Enter a whole number."]


def test_a_whole_number_setting_still_takes_plain_digits() -> None:
    assert clinic.validate("RATING_ALERT_THRESHOLD", " 30 ") == 30


def test_a_timing_in_other_digits_is_refused() -> None:
    timings = {key: "1" for key, _label, _low, _high in clinic.spec_for("REMINDER_TIMINGS").keys}
    timings[next(iter(timings))] = "١"
    with pytest.raises(ValidationError) as refused:
        clinic.validate("REMINDER_TIMINGS", timings)
    assert refused.value.messages == ["Enter a whole number for each."]
