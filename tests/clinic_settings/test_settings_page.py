"""The Clinic settings page: who reaches it, what it shows, saving (all or nothing, audited),
bad input, the cache in front of the saved values, and the settings taking effect where they
are used (late notes, the note format, idle logoff, the time zone on pages and in tasks)."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from assessments.measures import MEASURES
from hrp import clinic
from hrp.accounts.models import User
from hrp.accounts.receivers import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from hrp.audit.models import AuditEvent
from hrp.celery import app as celery_app
from hrp.core.models import ClinicSetting
from hrp.core.services import clinic_settings_save
from sessions import selectors as session_selectors
from sessions import services as session_services
from sessions.models import Appointment
from tests.clients.factories import ClientFactory
from tests.conftest import ROLE_FIXTURES, unreachable_redis_url
from tests.htmltext import parse
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory

ClientFor = Callable[[User | None], HttpClient]
CaptureOnCommit = Any  # pytest-django's django_capture_on_commit_callbacks fixture

SETTINGS_PAGE = reverse("core:clinic_settings")
MY_ACCOUNT = reverse("accounts:my_account")

DEFAULT_REMINDER_TIMINGS = {
    "session_day_hours": 24,
    "session_hour_minutes": 60,
    "review_due_days": 2,
    "measure_due_days": 0,
    "client_session_hours": 24,
    "risk_open_days": 2,
    "medical_evaluation_days": 14,
    "send_hour": 8,
}
DEFAULT_MEASURE_INTERVAL_WEEKS = {
    "PHQ9": 4,
    "GAD7": 4,
    "WHO5": 4,
    "AUDIT": 12,
    "AUDITC": 12,
    "DAST10": 12,
}
DEFAULTS: dict[str, Any] = {
    "TIME_ZONE": "America/New_York",
    "SLOT_MINUTES": 60,
    "VIDEO_LINK_PATTERN": "",
    "NOTE_FORMAT": "dap",
    "LATE_NOTE_HOURS": 24,
    "RATING_ALERT_THRESHOLD": 30,
    "RATING_ALERT_DROP": 5,
    "MEASURE_INTERVAL_WEEKS": DEFAULT_MEASURE_INTERVAL_WEEKS,
    "NO_CONTACT_DAYS": 30,
    "SAFETY_CRISIS_LINES": "988 Suicide & Crisis Lifeline: call or text 988, any time",
    "SAFETY_EMERGENCY_NUMBER": "911",
    "SELF_REPORT_LINK_DAYS": 7,
    "TOLERANCE_WINDOW_DAYS": 28,
    "IDLE_TIMEOUT_MINUTES": 15,
    "REMINDER_TIMINGS": DEFAULT_REMINDER_TIMINGS,
}


def shown(response: Any) -> dict[str, str | None]:
    """The value each field of a form shows: inputs' value, a select's selected option (None
    when none is selected)."""
    values: dict[str, str | None] = {}
    for field in parse(response).xpath("//input | //select"):
        name = field.get("name") or ""
        if field.tag == "select":
            selected = field.xpath(".//option[@selected]")
            values[name] = selected[-1].get("value") if selected else None
        elif name and name != "csrfmiddlewaretoken":
            values[name] = field.get("value")
    return values


def as_posted(values: dict[str, Any]) -> dict[str, str]:
    """The form data that submits `values` (setting name -> value)."""
    data = {}
    for name, value in values.items():
        if isinstance(value, dict):
            data.update({f"{name}__{key}": str(number) for key, number in value.items()})
        else:
            data[name] = str(value)
    return data


def current_form(**changes: str | None) -> dict[str, str]:
    """The page's form as currently filled in, with `changes` (post field -> typed text, or
    None to leave the field out)."""
    data = as_posted({spec.name: clinic.clinic_setting(spec.name) for spec in clinic.specs()})
    data.update(changes)
    return {field: value for field, value in data.items() if value is not None}


def save(actor: User, capture: CaptureOnCommit, **values: Any) -> dict[str, tuple[Any, Any]]:
    """Save `values` (setting name -> value) through the service, committed."""
    raw = {
        spec.name: values.get(spec.name, clinic.clinic_setting(spec.name))
        for spec in clinic.specs()
    }
    with capture(execute=True):
        return clinic_settings_save(actor=actor, raw=raw)


def audit_changes() -> list[tuple[int | None, str, str, dict[str, Any]]]:
    return list(
        AuditEvent.objects.filter(action="clinic.settings")
        .order_by("id")
        .values_list("actor_id", "category", "path", "changes")
    )


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _user(request: pytest.FixtureRequest, role: str) -> User | None:
    return request.getfixturevalue(role)


# --- Who reaches the page --------------------------------------------------------------------

EXPECTED = {
    "therapist": 404,
    "other_therapist": 404,
    "supervisor": 404,
    "other_supervisor": 404,
    "clinic_admin": 200,
    "anonymous": 302,
}


def test_the_defaults_come_from_the_configuration() -> None:
    assert {spec.name: clinic.clinic_setting(spec.name) for spec in clinic.specs()} == DEFAULTS


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_the_page_by_role(request: pytest.FixtureRequest, client_for: ClientFor, role: str) -> None:
    response = client_for(_user(request, role)).get(SETTINGS_PAGE)

    assert response.status_code == EXPECTED[role]
    if role == "anonymous":
        assert response["Location"] == f"/account/sign-in/?next={SETTINGS_PAGE}"


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_saving_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    role: str,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(_user(request, role)).post(
            SETTINGS_PAGE, current_form(LATE_NOTE_HOURS="48")
        )

    if role == "clinic_admin":
        assert response.status_code == 302
        assert response["Location"] == SETTINGS_PAGE
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 48
        return
    assert response.status_code == EXPECTED[role]
    assert ClinicSetting.objects.count() == 0
    assert audit_changes() == []
    assert clinic.clinic_setting("LATE_NOTE_HOURS") == 24


# --- What the page shows ---------------------------------------------------------------------


def test_every_setting_is_shown_with_its_value(client_for: ClientFor, clinic_admin: User) -> None:
    response = client_for(clinic_admin).get(SETTINGS_PAGE)

    assert response.status_code == 200
    assert shown(response) == as_posted(DEFAULTS)
    rows = [row for rows in response.context["groups"].values() for row in rows]
    assert [row["spec"].name for row in rows] == list(DEFAULTS)
    assert list(response.context["groups"]) == [
        "General",
        "Session notes and ratings",
        "Measures and follow-up",
        "Security",
        "Reminders",
    ]


def test_saved_values_are_shown(
    client_for: ClientFor,
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    save(
        clinic_admin,
        django_capture_on_commit_callbacks,
        TIME_ZONE="Europe/London",
        NOTE_FORMAT="narrative",
        NO_CONTACT_DAYS=45,
        REMINDER_TIMINGS={**DEFAULT_REMINDER_TIMINGS, "send_hour": 7},
    )

    response = client_for(clinic_admin).get(SETTINGS_PAGE)

    assert shown(response) == {
        **as_posted(DEFAULTS),
        "TIME_ZONE": "Europe/London",
        "NOTE_FORMAT": "narrative",
        "NO_CONTACT_DAYS": "45",
        "REMINDER_TIMINGS__send_hour": "7",
    }


# --- Saving ----------------------------------------------------------------------------------


def test_a_valid_save_changes_every_kind_of_setting(
    client_for: ClientFor,
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    typed = current_form(
        TIME_ZONE=" Europe/London ",  # time_zone
        NOTE_FORMAT="soap",  # choice
        LATE_NOTE_HOURS="48",  # int
        REMINDER_TIMINGS__send_hour="7",  # int_map
        REMINDER_TIMINGS__review_due_days="3",
        MEASURE_INTERVAL_WEEKS__PHQ9="2",  # int_map
    )

    http = client_for(clinic_admin)
    with django_capture_on_commit_callbacks(execute=True):  # the write-through runs on commit
        saved = http.post(SETTINGS_PAGE, typed)
    response = http.get(saved["Location"])

    assert (saved.status_code, saved["Location"]) == (302, SETTINGS_PAGE)
    assert messages_of(response) == ["Saved 5 changes."]
    new_timings = {**DEFAULT_REMINDER_TIMINGS, "send_hour": 7, "review_due_days": 3}
    new_intervals = {**DEFAULT_MEASURE_INTERVAL_WEEKS, "PHQ9": 2}
    assert {spec.name: clinic.clinic_setting(spec.name) for spec in clinic.specs()} == {
        **DEFAULTS,
        "TIME_ZONE": "Europe/London",
        "NOTE_FORMAT": "soap",
        "LATE_NOTE_HOURS": 48,
        "REMINDER_TIMINGS": new_timings,
        "MEASURE_INTERVAL_WEEKS": new_intervals,
    }
    assert dict(ClinicSetting.objects.values_list("key", "value")) == {
        "TIME_ZONE": "Europe/London",
        "NOTE_FORMAT": "soap",
        "LATE_NOTE_HOURS": 48,
        "REMINDER_TIMINGS": new_timings,
        "MEASURE_INTERVAL_WEEKS": new_intervals,
    }
    assert set(ClinicSetting.objects.values_list("updated_by", flat=True)) == {clinic_admin.pk}
    assert audit_changes() == [
        (
            clinic_admin.pk,
            AuditEvent.Category.CHANGE,
            SETTINGS_PAGE,
            {
                "TIME_ZONE": ["America/New_York", "Europe/London"],
                "NOTE_FORMAT": ["dap", "soap"],
                "LATE_NOTE_HOURS": [24, 48],
                "MEASURE_INTERVAL_WEEKS.PHQ9": [4, 2],
                "REMINDER_TIMINGS.review_due_days": [2, 3],
                "REMINDER_TIMINGS.send_hour": [8, 7],
            },
        )
    ]
    assert shown(response) == as_posted(
        {
            **DEFAULTS,
            "TIME_ZONE": "Europe/London",
            "NOTE_FORMAT": "soap",
            "LATE_NOTE_HOURS": 48,
            "REMINDER_TIMINGS": new_timings,
            "MEASURE_INTERVAL_WEEKS": new_intervals,
        }
    )


def test_a_second_save_records_old_and_new_from_the_first(
    clinic_admin: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    save(clinic_admin, django_capture_on_commit_callbacks, LATE_NOTE_HOURS=48)
    save(clinic_admin, django_capture_on_commit_callbacks, LATE_NOTE_HOURS=72, NOTE_FORMAT="soap")

    assert [changes for *_rest, changes in audit_changes()] == [
        {"LATE_NOTE_HOURS": [24, 48]},
        {"LATE_NOTE_HOURS": [48, 72], "NOTE_FORMAT": ["dap", "soap"]},
    ]
    assert ClinicSetting.objects.get(key="LATE_NOTE_HOURS").value == 72


def test_saving_what_is_already_there_changes_nothing(
    client_for: ClientFor,
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(clinic_admin).post(SETTINGS_PAGE, current_form(), follow=True)

    assert messages_of(response) == ["Nothing had changed."]
    assert ClinicSetting.objects.count() == 0
    assert audit_changes() == []


# --- Bad input -------------------------------------------------------------------------------

PHQ9_NAME = MEASURES["PHQ9"].name
BAD_INPUT: dict[str, tuple[dict[str, str | None], dict[str, list[str]]]] = {
    "late-note hours 0": (
        {"LATE_NOTE_HOURS": "0"},
        {"LATE_NOTE_HOURS": ["Use a number from 1 to 336."]},
    ),
    "late-note hours 337": (
        {"LATE_NOTE_HOURS": "337"},
        {"LATE_NOTE_HOURS": ["Use a number from 1 to 336."]},
    ),
    "late-note hours not a number": (
        {"LATE_NOTE_HOURS": "a day"},
        {"LATE_NOTE_HOURS": ["Enter a whole number."]},
    ),
    "late-note hours with a fraction": (
        {"LATE_NOTE_HOURS": "24.5"},
        {"LATE_NOTE_HOURS": ["Enter a whole number."]},
    ),
    "late-note hours left empty": (
        {"LATE_NOTE_HOURS": ""},
        {"LATE_NOTE_HOURS": ["Enter a whole number."]},
    ),
    "idle timeout 4": (
        {"IDLE_TIMEOUT_MINUTES": "4"},
        {"IDLE_TIMEOUT_MINUTES": ["Use a number from 5 to 60."]},
    ),
    "idle timeout 61": (
        {"IDLE_TIMEOUT_MINUTES": "61"},
        {"IDLE_TIMEOUT_MINUTES": ["Use a number from 5 to 60."]},
    ),
    "rating threshold 41": (
        {"RATING_ALERT_THRESHOLD": "41"},
        {"RATING_ALERT_THRESHOLD": ["Use a number from 0 to 40."]},
    ),
    "no-contact days 6": (
        {"NO_CONTACT_DAYS": "6"},
        {"NO_CONTACT_DAYS": ["Use a number from 7 to 365."]},
    ),
    "unknown note format": (
        {"NOTE_FORMAT": "verse"},
        {"NOTE_FORMAT": ["Choose one of the listed options."]},
    ),
    "unknown time zone": (
        {"TIME_ZONE": "Mars/Olympus"},
        {"TIME_ZONE": ["“Mars/Olympus” is not a time zone name such as America/New_York."]},
    ),
    "the server's local-time alias": (
        {"TIME_ZONE": "localtime"},
        {"TIME_ZONE": ["“localtime” is not a time zone name such as America/New_York."]},
    ),
    "a reminder timing missing": (
        {"REMINDER_TIMINGS__send_hour": None},
        {"REMINDER_TIMINGS": ["Enter a whole number for each."]},
    ),
    "a reminder timing empty": (
        {"REMINDER_TIMINGS__send_hour": ""},
        {"REMINDER_TIMINGS": ["Enter a whole number for each."]},
    ),
    "a reminder timing not a number": (
        {"REMINDER_TIMINGS__session_day_hours": "one day"},
        {"REMINDER_TIMINGS": ["Enter a whole number for each."]},
    ),
    "a reminder timing out of range": (
        {"REMINDER_TIMINGS__send_hour": "24"},
        {
            "REMINDER_TIMINGS": [
                "Hour of day for date-based reminders (0-23): use a number from 0 to 23."
            ]
        },
    ),
    "a measure interval out of range": (
        {"MEASURE_INTERVAL_WEEKS__PHQ9": "0"},
        {"MEASURE_INTERVAL_WEEKS": [f"{PHQ9_NAME}: use a number from 1 to 52."]},
    ),
    "crisis lines left empty": (
        {"SAFETY_CRISIS_LINES": "   "},
        {"SAFETY_CRISIS_LINES": ["Enter the text; it cannot be empty."]},
    ),
    "emergency number too long": (
        {"SAFETY_EMERGENCY_NUMBER": "1" * 21},
        {"SAFETY_EMERGENCY_NUMBER": ["Please keep this under 20 characters."]},
    ),
    "tolerance days 91": (
        {"TOLERANCE_WINDOW_DAYS": "91"},
        {"TOLERANCE_WINDOW_DAYS": ["Use a number from 7 to 90."]},
    ),
    "several at once": (
        {"LATE_NOTE_HOURS": "0", "TIME_ZONE": "Mars/Olympus", "MEASURE_INTERVAL_WEEKS__GAD7": "x"},
        {
            "TIME_ZONE": ["“Mars/Olympus” is not a time zone name such as America/New_York."],
            "LATE_NOTE_HOURS": ["Use a number from 1 to 336."],
            "MEASURE_INTERVAL_WEEKS": ["Enter a whole number for each."],
        },
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_saves_nothing_and_keeps_what_was_typed(
    client_for: ClientFor,
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    case: str,
) -> None:
    typed, errors = BAD_INPUT[case]
    # A valid change alongside: all or nothing, so it is not saved either.
    changes = {"NO_CONTACT_DAYS": "60", **typed} if "NO_CONTACT_DAYS" not in typed else typed
    data = current_form(**changes)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(clinic_admin).post(SETTINGS_PAGE, data)

    assert response.status_code == 400
    assert messages_of(response) == ["Nothing was saved: please correct the marked settings."]
    rows = [row for rows in response.context["groups"].values() for row in rows]
    assert {row["spec"].name: row["errors"] for row in rows if row["errors"]} == errors
    html = response.content.decode()
    for message in (m for messages in errors.values() for m in messages):
        assert f'<div class="invalid-feedback d-block">{message}</div>' in html
    # What was typed comes back (trimmed), a missing field as empty; a select cannot show an
    # option it does not have, so an unknown note format leaves none selected.
    expected = {field: value.strip() for field, value in data.items()}
    expected.update({field: "" for field, value in typed.items() if value is None})
    if "NOTE_FORMAT" in typed:
        expected["NOTE_FORMAT"] = None
    assert shown(response) == expected
    assert ClinicSetting.objects.count() == 0
    assert audit_changes() == []
    assert {spec.name: clinic.clinic_setting(spec.name) for spec in clinic.specs()} == DEFAULTS


def test_bad_input_after_a_save_keeps_the_saved_values(
    client_for: ClientFor,
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    save(clinic_admin, django_capture_on_commit_callbacks, LATE_NOTE_HOURS=48)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(clinic_admin).post(
            SETTINGS_PAGE, current_form(LATE_NOTE_HOURS="337", NOTE_FORMAT="soap")
        )

    assert response.status_code == 400
    assert clinic.clinic_setting("LATE_NOTE_HOURS") == 48
    assert clinic.clinic_setting("NOTE_FORMAT") == "dap"
    assert dict(ClinicSetting.objects.values_list("key", "value")) == {"LATE_NOTE_HOURS": 48}
    assert len(audit_changes()) == 1


# --- The cache -------------------------------------------------------------------------------


def test_a_saved_value_is_read_without_a_query(
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    django_assert_num_queries: Any,
) -> None:
    save(
        clinic_admin,
        django_capture_on_commit_callbacks,
        LATE_NOTE_HOURS=48,
        REMINDER_TIMINGS={**DEFAULT_REMINDER_TIMINGS, "send_hour": 6},
    )

    with django_assert_num_queries(0):
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 48
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 48
        assert clinic.clinic_setting("REMINDER_TIMINGS")["send_hour"] == 6
        assert clinic.clinic_setting("NOTE_FORMAT") == "dap"


def test_an_emptied_cache_is_refilled_from_the_database(
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    django_assert_num_queries: Any,
) -> None:
    save(
        clinic_admin,
        django_capture_on_commit_callbacks,
        LATE_NOTE_HOURS=48,
        TIME_ZONE="Asia/Tokyo",
        NOTE_FORMAT="narrative",
        MEASURE_INTERVAL_WEEKS={**DEFAULT_MEASURE_INTERVAL_WEEKS, "AUDIT": 26},
    )
    clinic.clear_cache()

    with django_assert_num_queries(1):
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 48
    with django_assert_num_queries(0):
        assert clinic.clinic_setting("TIME_ZONE") == "Asia/Tokyo"
        assert clinic.clinic_setting("NOTE_FORMAT") == "narrative"
        assert clinic.clinic_setting("MEASURE_INTERVAL_WEEKS")["AUDIT"] == 26
        assert clinic.clinic_setting("IDLE_TIMEOUT_MINUTES") == 15


def test_the_database_answers_when_the_cache_is_unreachable(
    clinic_admin: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    save(clinic_admin, django_capture_on_commit_callbacks, LATE_NOTE_HOURS=48)
    with unreachable_redis_url() as url:
        unreachable = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
        with override_settings(CACHES=unreachable):
            assert clinic.clinic_setting("LATE_NOTE_HOURS") == 48
            assert clinic.clinic_setting("NOTE_FORMAT") == "dap"


# --- Settings take effect --------------------------------------------------------------------


def test_late_note_hours_decide_which_notes_are_late(
    therapist: User, clinic_admin: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    record = ClientFactory(therapist=therapist)
    now = timezone.now()

    def attended(hours_ago: int) -> Appointment:
        ends_at = now - datetime.timedelta(hours=hours_ago)
        return AttendedAppointmentFactory(
            client=record, starts_at=ends_at - datetime.timedelta(minutes=50), ends_at=ends_at
        )

    ended_50h_ago, ended_30h_ago, ended_2h_ago = attended(50), attended(30), attended(2)

    def late() -> list[Appointment]:
        return list(session_selectors.late_notes(therapist_ids=[therapist.pk], now=now))

    assert late() == [ended_50h_ago, ended_30h_ago]
    save(clinic_admin, django_capture_on_commit_callbacks, LATE_NOTE_HOURS=48)
    assert late() == [ended_50h_ago]
    save(clinic_admin, django_capture_on_commit_callbacks, LATE_NOTE_HOURS=1)
    assert late() == [ended_50h_ago, ended_30h_ago, ended_2h_ago]


def test_the_note_format_applies_to_the_next_note_started(
    therapist: User, clinic_admin: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    record = ClientFactory(therapist=therapist)
    first, second = (AttendedAppointmentFactory(client=record) for _ in range(2))
    before = session_services.note_start(actor=therapist, appointment=first)

    save(clinic_admin, django_capture_on_commit_callbacks, NOTE_FORMAT="soap")
    after = session_services.note_start(actor=therapist, appointment=second)

    assert (before.format, after.format) == ("dap", "soap")
    before.refresh_from_db()
    assert before.format == "dap"


def _idle_for(client: HttpClient, seconds: int) -> None:
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - 3600
    session[SESSION_LAST_SEEN_KEY] = time.time() - seconds
    session.save()


@pytest.mark.parametrize(
    ("saved_minutes", "idle_minutes", "signed_out"),
    [
        (None, 6, False),  # the default, 15 minutes
        (5, 6, True),
        (5, 4, False),
        (30, 20, False),  # over the default, under the saved value
        (30, 31, True),
    ],
)
def test_the_idle_timeout_signs_out_after_the_saved_minutes(
    client_for: ClientFor,
    therapist: User,
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    saved_minutes: int | None,
    idle_minutes: int,
    signed_out: bool,
) -> None:
    if saved_minutes is not None:
        save(clinic_admin, django_capture_on_commit_callbacks, IDLE_TIMEOUT_MINUTES=saved_minutes)
    http = client_for(therapist)
    _idle_for(http, idle_minutes * 60)

    response = http.get(MY_ACCOUNT)

    if not signed_out:
        assert response.status_code == 200
        return
    assert response.status_code == 302
    assert response["Location"] == f"/account/sign-in/?next={MY_ACCOUNT}"
    sign_in_page = http.get(response["Location"])
    assert messages_of(sign_in_page) == [
        f"You were signed out after {saved_minutes} minutes without activity."
    ]
    assert http.get(MY_ACCOUNT).status_code == 302


# 15:00 UTC on Wednesday 15 January 2025: 10:00 that Wednesday in New York, midnight starting
# Thursday in Tokyo.
SESSION_START = datetime.datetime(2025, 1, 15, 15, 0, tzinfo=datetime.UTC)


def _calendar_times(html: str) -> list[tuple[str, str]]:
    """(day heading, time span) of each appointment on the calendar page."""
    found = []
    for heading, body in re.findall(r'<h2 class="h6"[^>]*>([^<]+)(.*?)</section>', html, re.S):
        found += [(heading.strip(), span) for span in re.findall(r"(\d\d:\d\d–\d\d:\d\d)", body)]
    return found


@pytest.mark.parametrize(
    ("zone", "calendar", "note_title"),
    [
        (
            None,  # the default, America/New_York
            [("Wed 15 Jan 2025", "10:00–10:50")],
            "Session note: Wed 15 Jan 2025, 10:00",
        ),
        (
            "Asia/Tokyo",
            [("Thu 16 Jan 2025", "00:00–00:50")],
            "Session note: Thu 16 Jan 2025, 00:00",
        ),
        (
            "Europe/London",
            [("Wed 15 Jan 2025", "15:00–15:50")],
            "Session note: Wed 15 Jan 2025, 15:00",
        ),
    ],
)
def test_the_time_zone_changes_how_times_are_shown(
    client_for: ClientFor,
    therapist: User,
    clinic_admin: User,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    zone: str | None,
    calendar: list[tuple[str, str]],
    note_title: str,
) -> None:
    record = ClientFactory(therapist=therapist)
    appointment = AttendedAppointmentFactory(
        client=record,
        starts_at=SESSION_START,
        ends_at=SESSION_START + datetime.timedelta(minutes=50),
    )
    note = SessionNoteFactory(appointment=appointment)
    if zone is not None:
        save(clinic_admin, django_capture_on_commit_callbacks, TIME_ZONE=zone)
    http = client_for(therapist)

    week = http.get(reverse("scheduling:week", args=[therapist.pk]), {"date": "2025-01-13"})
    note_page = http.get(reverse("sessions:note", kwargs={"pk": record.pk, "note_pk": note.pk}))

    assert _calendar_times(week.content.decode()) == calendar
    assert note_title in note_page.content.decode()


def test_a_time_zone_this_host_lacks_falls_back_to_the_configured_one(
    client_for: ClientFor, therapist: User
) -> None:
    # Saved on another host whose time zone data had it (written straight to the store).
    clinic.store({"TIME_ZONE": "Nowhere/Gone"})
    AttendedAppointmentFactory(
        client=ClientFactory(therapist=therapist),
        starts_at=SESSION_START,
        ends_at=SESSION_START + datetime.timedelta(minutes=50),
    )
    http = client_for(therapist)

    week = http.get(reverse("scheduling:week", args=[therapist.pk]), {"date": "2025-01-13"})

    assert week.status_code == 200
    assert _calendar_times(week.content.decode()) == [("Wed 15 Jan 2025", "10:00–10:50")]


@celery_app.task(name="tests.clinic_settings.current_zone")
def current_zone() -> str:
    return timezone.get_current_timezone_name()


def test_tasks_run_in_the_saved_time_zone(
    clinic_admin: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    try:
        assert current_zone.delay().get() == settings.TIME_ZONE
        save(clinic_admin, django_capture_on_commit_callbacks, TIME_ZONE="Asia/Tokyo")

        assert current_zone.delay().get() == "Asia/Tokyo"
    finally:
        # Eager tasks run in this thread, and nothing deactivates the zone after a task.
        timezone.deactivate()
