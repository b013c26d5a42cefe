"""Clinic settings by registration: hrp/clinic.py declares only the settings every app uses and
imports no app; each app registers the settings it owns (with the choices only it knows, such
as its measures or note formats) from its ready()."""

from __future__ import annotations

import ast
from pathlib import Path

import assessments.clinic_settings
import notifications.clinic_settings
import sessions.clinic_settings
import supervision.clinic_settings
from assessments.measures import MEASURES
from hrp import clinic
from sessions.vocab import NoteFormat

APPS = {"clients", "assessments", "goals", "sessions", "notifications", "supervision"}


def test_the_page_lists_every_registered_setting_in_order() -> None:
    assert [spec.name for spec in clinic.specs()] == [
        "TIME_ZONE",
        "SLOT_MINUTES",
        "VIDEO_LINK_PATTERN",
        "NOTE_FORMAT",
        "LATE_NOTE_HOURS",
        "RATING_ALERT_THRESHOLD",
        "RATING_ALERT_DROP",
        "MEASURE_INTERVAL_WEEKS",
        "NO_CONTACT_DAYS",
        "SAFETY_CRISIS_LINES",
        "SAFETY_EMERGENCY_NUMBER",
        "SELF_REPORT_LINK_DAYS",
        "TOLERANCE_WINDOW_DAYS",
        "IDLE_TIMEOUT_MINUTES",
        "REMINDER_TIMINGS",
    ]


def test_each_app_registers_the_settings_it_owns() -> None:
    owned = {
        "sessions": [s.name for s in sessions.clinic_settings.SETTINGS],
        "assessments": [s.name for s in assessments.clinic_settings.SETTINGS],
        "supervision": [s.name for s in supervision.clinic_settings.SETTINGS],
        "notifications": [s.name for s in notifications.clinic_settings.SETTINGS],
    }
    assert owned == {
        "sessions": [
            "NOTE_FORMAT",
            "LATE_NOTE_HOURS",
            "RATING_ALERT_THRESHOLD",
            "RATING_ALERT_DROP",
            "VIDEO_LINK_PATTERN",
        ],
        "assessments": ["MEASURE_INTERVAL_WEEKS"],
        "supervision": ["NO_CONTACT_DAYS"],
        "notifications": ["REMINDER_TIMINGS"],
    }
    for specs in (
        sessions.clinic_settings.SETTINGS,
        assessments.clinic_settings.SETTINGS,
        supervision.clinic_settings.SETTINGS,
        notifications.clinic_settings.SETTINGS,
    ):
        for spec in specs:
            assert clinic.spec_for(spec.name) is spec


def test_the_apps_contribute_their_choices() -> None:
    assert clinic.spec_for("NOTE_FORMAT").choices == tuple(NoteFormat.choices)
    assert [key for key, *_rest in clinic.spec_for("MEASURE_INTERVAL_WEEKS").keys] == list(MEASURES)


def test_hrp_clinic_imports_no_app() -> None:
    tree = ast.parse((Path(clinic.__file__)).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
    assert imported & APPS == set()
    assert imported >= {"django"}  # guards the walk itself
