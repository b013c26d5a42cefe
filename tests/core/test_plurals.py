"""Counts that a setting or a row can make 1 read as a singular ("1 hour", not "1 hours"):
ngettext and {% blocktranslate count %}, so that each language gets its own plural forms."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string

from hrp.accounts.authn import paused_message
from tests.htmltext import page_text


@pytest.mark.parametrize(
    ("minutes", "said"), [(1, "Try again in 1 minute,"), (30, "Try again in 30 minutes,")]
)
def test_the_password_pause_counts_its_minutes(settings, minutes: int, said: str) -> None:
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=minutes)
    assert said in paused_message()


@pytest.mark.parametrize(
    ("hours", "heading"),
    [
        (1, "Notes not signed 1 hour after the session 0"),
        (48, "Notes not signed 48 hours after the session 0"),
    ],
)
def test_the_late_notes_heading_counts_its_hours(hours: int, heading: str) -> None:
    html = render_to_string(
        "sessions/_late.html", {"late_hours": hours, "late": [], "late_page": {"total": 0}}
    )
    assert page_text(html).startswith(heading)
