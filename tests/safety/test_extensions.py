"""What the safety app adds to other pages through the registries: the Overview panels
("Safety plan", "Overdose prevention"), the Timeline sources (plan versions, periods of lower
tolerance) and the reminders (a period starts; a session during one). Each is unit-tested on
its own function, with its query count fixed whatever the client's history."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import extensions
from clients.models import Client
from hrp.access import ClientAccess
from hrp.accounts.models import User
from notifications import services as reminder_services
from notifications.extensions import at_send_hour
from notifications.models import Reminder
from safety import selectors
from safety.reminders import ToleranceOpens
from sessions.reminders import SessionWithLowerTolerance
from tests.clients.factories import ClientFactory
from tests.safety.helpers import days, overdose_version, safety_version, window
from tests.sessions.factories import AppointmentFactory, at

NEW_YORK = "America/New_York"
WRITER = ClientAccess(read=True, write=True, supervise=False)
READER = ClientAccess(read=True, write=False, supervise=True)


def test_the_app_registers_its_panels_sources_section_and_flag() -> None:
    assert [p.key for p in extensions.overview_panels() if p.template.startswith("safety/")] == [
        "safety_plan",
        "overdose_prevention",
    ]
    assert [
        s.key
        for s in extensions.timeline_sources()
        if s.key in ("safety_plan", "overdose_plan", "tolerance")
    ] == [
        "safety_plan",
        "overdose_plan",
        "tolerance",
    ]
    assert extensions.chart_section("safety").order == 45
    assert "safety" in extensions.FLAG_SOURCES


# --- Overview panels -----------------------------------------------------------------------------


def test_without_a_plan_the_safety_panel_is_for_the_treating_clinician_only(
    record: Client,
) -> None:
    assert selectors.safety_panel(record, READER) is None
    assert selectors.safety_panel(record, WRITER) == {
        "version": None,
        "review_state": "",
        "url": reverse("safety:section", args=[record.pk]),
    }


@pytest.mark.parametrize("versions", [1, 4])
def test_the_safety_panel_reads_the_latest_version_in_one_query(
    django_assert_num_queries: object, therapist: User, record: Client, versions: int
) -> None:
    for n in range(versions):
        safety_version(therapist, record, coping_alone=f"Try {n}", reason=f"Change {n}")

    with django_assert_num_queries(1):  # type: ignore[operator]
        panel = selectors.safety_panel(record, READER)

    assert panel is not None
    assert (panel["version"].number, panel["version"].review_date, panel["review_state"]) == (
        versions,
        days(28),
        "",
    )


def test_a_review_date_past_is_overdue_and_within_a_week_is_due() -> None:
    today = datetime.date(2026, 5, 10)
    assert [
        selectors.review_state(today + datetime.timedelta(days=d), today) for d in (-1, 0, 7, 8)
    ] == ["overdue", "due", "due", ""]


@pytest.mark.parametrize("history", [1, 5])
def test_the_overdose_panel_shows_the_plan_and_the_open_window_in_two_queries(
    django_assert_num_queries: object, therapist: User, record: Client, history: int
) -> None:
    overdose_version(therapist, record)
    for n in range(history):
        window(therapist, record, start=-200 - 40 * n, end=-180 - 40 * n)  # closed, long ago
    open_one = window(therapist, record, start=-3, end=12)

    with django_assert_num_queries(2):  # type: ignore[operator]
        panel = selectors.overdose_panel(record, READER)

    assert panel is not None
    assert panel["window"] == open_one
    assert [(f, yes) for f, _label, yes in panel["version"].checks()] == [
        ("has_naloxone", True),
        ("knows_naloxone", True),
        ("fentanyl_strips", True),
        ("xylazine_strips", False),
    ]


def test_the_overdose_panel_is_left_out_for_a_reader_when_there_is_nothing(
    record: Client,
) -> None:
    assert selectors.overdose_panel(record, READER) is None


# --- Timeline ------------------------------------------------------------------------------------


def test_timeline_rows_carry_when_and_load_turns_them_into_entries(
    django_assert_num_queries: object, therapist: User, record: Client
) -> None:
    version = safety_version(therapist, record)
    overdose = overdose_version(therapist, record)
    made = window(therapist, record, start=-4, end=10)
    ClientFactory(therapist=therapist)  # another client's rows stay out

    with timezone.override(NEW_YORK):
        safety_rows = list(selectors.safety_timeline_rows(record).values_list("pk", "timeline_at"))
        window_rows = list(selectors.window_timeline_rows(record).values_list("pk", "timeline_at"))
        with django_assert_num_queries(1):  # type: ignore[operator]
            entries = selectors.window_timeline_load([made.pk])
    noon = datetime.datetime.combine(days(-4), datetime.time(12), tzinfo=ZoneInfo(NEW_YORK))

    assert safety_rows == [(version.pk, version.created_at)]
    assert window_rows == [(made.pk, noon)]
    assert entries[made.pk].at == noon
    assert entries[made.pk].title == "Lower tolerance: Release from prison or jail"
    assert entries[made.pk].url == reverse("safety:section", args=[record.pk])
    assert entries[made.pk].who == "Tess Therapist"
    with django_assert_num_queries(1):  # type: ignore[operator]
        loaded = selectors.overdose_timeline_load([overdose.pk])
    assert (loaded[overdose.pk].title, loaded[overdose.pk].url) == (
        "Overdose prevention plan, version 1",
        reverse("safety:overdose_version", args=[record.pk, 1]),
    )
    assert selectors.safety_timeline_load([version.pk])[version.pk].title == (
        "Safety plan, version 1"
    )


def test_the_timeline_sources_union_into_one_query(therapist: User, record: Client) -> None:
    """The Timeline unions every source's rows: ours must line up as (pk, timeline_at)."""
    safety_version(therapist, record)
    overdose_version(therapist, record)
    window(therapist, record, start=-1)
    parts = [
        source.rows(record).values_list("pk", "timeline_at")
        for source in extensions.timeline_sources()
        if source.key in ("safety_plan", "overdose_plan", "tolerance")
    ]

    union = parts[0].union(*parts[1:], all=True).order_by("-timeline_at")

    assert len(list(union)) == 3


# --- Reminders -----------------------------------------------------------------------------------


def test_the_therapist_is_reminded_on_the_morning_a_window_opens(
    therapist: User, record: Client
) -> None:
    made = window(therapist, record, start=1)  # recorded today, opens tomorrow
    morning = at_send_hour(days(1))

    specs = ToleranceOpens().plan(morning)

    assert [(s.kind, s.object_id, s.recipient_id, s.due_at) for s in specs] == [
        (Reminder.Kind.TOLERANCE_OPENS, made.pk, therapist.pk, morning)
    ]
    reminder_services.plan_reminders(now=morning)
    reminder = Reminder.objects.get(kind=Reminder.Kind.TOLERANCE_OPENS)
    text, url = ToleranceOpens().render(reminder)
    assert text == "A date noted on a client's chart starts today: please look at the chart."
    assert url == reverse("safety:section", args=[record.pk])
    assert ToleranceOpens().still_needed(reminder, morning) is True


def test_a_window_recorded_after_its_first_morning_is_not_reminded(
    therapist: User, record: Client
) -> None:
    window(therapist, record, start=-1)

    assert ToleranceOpens().plan(timezone.now()) == []


def test_a_session_during_an_open_window_is_reminded_the_day_before(
    therapist: User, record: Client
) -> None:
    window(therapist, record, start=-2, end=5)
    # Booked a week ago: a reminder is planned only when it falls due after the booking, and
    # "24 hours before 15:00 tomorrow" is already past when this runs late in the day.
    booked = timezone.now() - datetime.timedelta(days=7)
    inside = AppointmentFactory(client=record, starts_at=at(days(1), "15:00"), created_at=booked)
    AppointmentFactory(client=record, starts_at=at(days(6), "10:00"))  # after the window
    other = ClientFactory(therapist=therapist)
    AppointmentFactory(client=other, starts_at=at(days(1), "11:00"))  # no window
    now = inside.starts_at - datetime.timedelta(hours=24)

    specs = SessionWithLowerTolerance().plan(now)

    assert [(s.kind, s.object_id, s.recipient_id) for s in specs] == [
        (Reminder.Kind.TOLERANCE_SESSION, inside.pk, therapist.pk)
    ]
    reminder = specs[0].row()
    text, url = SessionWithLowerTolerance().render(reminder)
    assert text.startswith("Before the session on ")
    assert text.endswith(" at 15:00, please look at the chart.")
    assert url == reverse("safety:section", args=[record.pk])
    assert SessionWithLowerTolerance().still_needed(reminder, now) is True
