"""The README's first screen tells a newcomer how to sign in to the demo: which account, which
password, and how to get the second factor. The values it quotes are the demo's own, so they
cannot drift from what seed_demo creates and demo_code accepts."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management import get_commands

from hrp.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_STAFF

README = Path(__file__).resolve().parents[2] / "README.md"


def first_screen() -> list[str]:
    """The three lines under the title."""
    return README.read_text().splitlines()[2:5]


def test_the_first_screen_says_how_to_sign_in_to_the_demo_in_three_lines() -> None:
    lines = first_screen()
    assert [line.split("**")[1] for line in lines[:2]] == ["Try it:", "Second factor:"]
    assert lines[2].startswith("> Every person and record in the demo is invented")
    assert f"`{DEMO_PASSWORD}`" in lines[0]
    assert "`make run`" in lines[0]
    assert ".venv/bin/python manage.py demo_code therapist1@demo.hrp-clinic.test" in lines[1]
    assert get_commands()["demo_code"] == "home"


def test_every_account_the_first_screen_names_is_a_demo_account() -> None:
    emails = {staff.email for staff in DEMO_STAFF}
    named = re.findall(r"`([a-z0-9]+)@(?:demo\.hrp-clinic\.test)?`", " ".join(first_screen()))
    assert named == ["therapist1", "supervisor1", "trainee", "admin"]
    assert {f"{key}@{DEMO_DOMAIN}" for key in named} <= emails
    commands = re.findall(r"demo_code (\S+)`", " ".join(first_screen()))
    assert commands == ["therapist1@demo.hrp-clinic.test"]
    assert set(commands) <= emails
