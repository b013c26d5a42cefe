"""The two clinic settings this app owns, through hrp.clinic.validate (the settings page's rule):
the slot length, and the video provider's pattern, which may be empty (links are pasted)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from hrp import clinic
from sessions import services as session_services

PATTERN_MESSAGE = (
    "Enter an https address with {code} in it, such as https://meet.example.org/hrp-{code}, "
    "or leave it empty."
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("  ", ""),
        (" https://meet.example.org/hrp-{code} ", "https://meet.example.org/hrp-{code}"),
        ("https://v.example.org/r?room={code}", "https://v.example.org/r?room={code}"),
    ],
)
def test_a_pattern_may_be_empty_or_an_https_address_with_code(raw: str, expected: str) -> None:
    assert clinic.validate("VIDEO_LINK_PATTERN", raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "http://meet.example.org/{code}",
        "https://meet.example.org/fixed-room",
        "https://meet.example.org/{code}/{code}",
        "https://user:pw@meet.example.org/{code}",
        "https://meet.example.org/a b/{code}",
        "javascript:{code}",
        "https://meet.example.org/" + "x" * 300 + "{code}",
    ],
)
def test_other_patterns_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as refused:
        clinic.validate("VIDEO_LINK_PATTERN", raw)
    assert refused.value.messages == [PATTERN_MESSAGE]


@pytest.mark.parametrize(("raw", "ok"), [("15", True), ("240", True), ("14", False), ("x", False)])
def test_slot_minutes_range(raw: str, ok: bool) -> None:
    if ok:
        assert clinic.validate("SLOT_MINUTES", raw) == int(raw)
    else:
        with pytest.raises(ValidationError):
            clinic.validate("SLOT_MINUTES", raw)


def test_no_pattern_makes_no_link(settings) -> None:
    settings.VIDEO_LINK_PATTERN = ""
    assert session_services.video_link_generate() == ""
    settings.VIDEO_LINK_PATTERN = "http://insecure.example.org/{code}"
    assert session_services.video_link_generate() == ""
    settings.VIDEO_LINK_PATTERN = "https://meet.example.org/{code}"
    first, second = session_services.video_link_generate(), session_services.video_link_generate()
    assert first != second
    assert first.startswith("https://meet.example.org/") and len(first) == 25 + 16
