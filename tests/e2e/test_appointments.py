"""Appointments through a real browser: a therapist books a weekly series of three from the
chart's Sessions section, books a fourth that overlaps the first (warned, then booked anyway),
sees both marked on the week's calendar (scheduling's week view), moves one (the old time
stays in the history), and reads the next appointment on the caseload; and records attendance
on yesterday's appointment, which becomes the caseload's last contact."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from clients import services as client_services
from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from sessions import services as session_services
from sessions.models import Appointment, AppointmentSeries, Modality
from sessions.selectors import week_start_of
from tests.e2e.helpers import open_chart_tab, sign_in_as, status_messages
from tests.factories import TEST_PASSWORD, TherapistFactory

OVERLAP_WARNING = (
    "This overlaps another appointment on the calendar. Tick “Book anyway” to keep it."
)
OVERLAP_BADGE = "overlaps another appointment"


def active_client(therapist: User) -> Client:
    """A client whose intake `therapist` has completed, so appointments can be booked."""
    client = client_services.intake_start(
        actor=therapist,
        legal_name="Noor Achterberg-Diallo",
        preferred_name="Noor",
        pronouns="she/her",
        reason_for_coming="Using more on weekends since the new job; wants a plan.",
        client_goals="Keep weekends, lose the Monday crashes.",
    )
    return client_services.intake_complete(actor=therapist, client=client)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """A wall-clock time on `day` in the clinic's time zone."""
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def upcoming_text(day: datetime.date, start: str, end: str) -> str:
    """How the Sessions section's "Coming up" list writes an appointment ("l j F Y, H:i")."""
    return f"{formats.weekday_date(day)}, {start}–{end} · In person"


def go_to_caseload(page: Page) -> None:
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="My caseload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")


def caseload_cell(page: Page, client: Client, column: str) -> Locator:
    """The cell of `client`'s caseload row under the column headed `column`."""
    headers = page.get_by_role("columnheader").all_inner_texts()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=client.display_name, exact=True)
    )
    return row.get_by_role("cell").nth(headers.index(column))


def open_sessions_tab(page: Page, client: Client) -> None:
    """From the caseload to the client's chart, then its Sessions section."""
    go_to_caseload(page)
    page.get_by_role("link", name=client.display_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{client.display_name} ({client.pronouns})"
    )
    open_chart_tab(page, "Sessions")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/sessions/$"))


def field(page: Page, label: str) -> Locator:
    """A form field in the page's main content by its label (the navigation bar's "Show
    navigation" button would otherwise match "How")."""
    return page.get_by_role("main").get_by_label(label)


def fill_when(page: Page, *, day: datetime.date, start: str, end: str) -> None:
    field(page, "Date").fill(day.isoformat())
    field(page, "Starts").fill(start)
    field(page, "Ends").fill(end)


def coming_up(page: Page) -> Locator:
    return page.get_by_role("region", name="Coming up").get_by_role("listitem")


@pytest.mark.e2e
def test_therapist_books_a_weekly_series_sees_an_overlap_and_moves_an_appointment(
    page: Page,
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist)
    today = timezone.localdate()
    # Tuesday of next week: two to eight days ahead, and always one "Next week" click away.
    first_day = week_start_of(today) + datetime.timedelta(weeks=1, days=1)
    series_days = [first_day + datetime.timedelta(weeks=n) for n in range(3)]

    sign_in_as(page, therapist)
    open_sessions_tab(page, client)
    expect(page.get_by_role("region", name="Coming up")).to_contain_text("No appointment booked.")

    # A weekly series of three.
    page.get_by_role("link", name="Book an appointment").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/appointments/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Book an appointment with {client.display_name}"
    )
    fill_when(page, day=first_day, start="10:00", end="10:50")
    expect(field(page, "How")).to_have_value(Modality.IN_PERSON)
    field(page, "How").select_option(label="In person")
    field(page, "Repeats").select_option(label="Weekly")
    field(page, "Number of appointments").fill("3")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/sessions/$"))
    expect(status_messages(page)).to_have_text("3 appointments booked.")
    expect(coming_up(page)).to_have_count(3)
    for row, day in zip(coming_up(page).all(), series_days, strict=True):
        expect(row).to_contain_text(upcoming_text(day, "10:00", "10:50"))
    series = list(Appointment.objects.filter(client=client).order_by("starts_at"))
    assert [(a.starts_at, a.ends_at) for a in series] == [
        (at(day, 10), at(day, 10, 50)) for day in series_days
    ]

    # A fourth, overlapping the first: a warning first, then booked anyway.
    page.get_by_role("link", name="Book an appointment").click()
    fill_when(page, day=first_day, start="10:30", end="11:20")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/appointments/new/$"))
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text(OVERLAP_WARNING)
    expect(warning.get_by_role("listitem")).to_have_text(
        [f"{formats.weekday_date(first_day)}, 10:00–10:50"]
    )
    assert Appointment.objects.filter(client=client).count() == 3
    # The form keeps what was typed.
    expect(field(page, "Date")).to_have_value(first_day.isoformat())
    expect(field(page, "Starts")).to_have_value("10:30")
    field(page, "Book anyway").check()
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/sessions/$"))
    expect(status_messages(page)).to_have_text("1 appointment booked.")
    expect(coming_up(page)).to_have_count(4)
    expect(coming_up(page).nth(0)).to_contain_text(upcoming_text(first_day, "10:00", "10:50"))
    expect(coming_up(page).nth(1)).to_contain_text(upcoming_text(first_day, "10:30", "11:20"))
    overlapping = Appointment.objects.get(client=client, series=None)

    # The calendar for that week marks both.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Calendar"
    ).click()
    expect(page).to_have_url(re.compile(rf"/schedule/clinicians/{therapist.pk}/week/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"My calendar: week of {formats.date(week_start_of(today))}"
    )
    page.get_by_role("navigation", name="Move through the calendar").get_by_role(
        "link", name="Next week"
    ).click()
    monday = week_start_of(first_day)
    expect(page).to_have_url(
        re.compile(rf"/schedule/clinicians/{therapist.pk}/week/\?date={monday.isoformat()}$")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"My calendar: week of {formats.date(monday)}"
    )
    expect(page.get_by_role("alert")).to_have_text("2 appointments here overlap another.")
    tuesday = page.get_by_role("region", name=formats.weekday_date(first_day), exact=True)
    entries = tuesday.get_by_role("listitem")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("10:00–10:50")
    expect(entries.nth(1)).to_contain_text("10:30–11:20")
    for entry in entries.all():
        expect(entry.get_by_role("link", name=client.display_name, exact=True)).to_be_visible()
        expect(entry).to_contain_text("In person · Scheduled")
        expect(entry.get_by_text(OVERLAP_BADGE, exact=True)).to_be_visible()

    # Move the overlapping one to the afternoon, from the client's Sessions section.
    entries.nth(1).get_by_role("link", name=client.display_name).click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/sessions/$"))
    coming_up(page).filter(has_text="10:30–11:20").get_by_role("link", name="Move").click()
    expect(page).to_have_url(
        re.compile(rf"/clients/{client.pk}/appointments/{overlapping.pk}/move/$")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Move an appointment")
    expect(field(page, "Date")).to_have_value(first_day.isoformat())
    expect(field(page, "Starts")).to_have_value("10:30")
    expect(field(page, "Ends")).to_have_value("11:20")
    fill_when(page, day=first_day, start="14:00", end="14:50")
    page.get_by_role("button", name="Move", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/sessions/$"))
    expect(status_messages(page)).to_have_text(
        "Appointment moved. The earlier time stays in the history."
    )
    expect(coming_up(page)).to_have_count(4)
    expect(coming_up(page).nth(0)).to_contain_text(upcoming_text(first_day, "10:00", "10:50"))
    expect(coming_up(page).nth(1)).to_contain_text(
        upcoming_text(first_day, "14:00", "14:50") + " (moved)"
    )
    expect(coming_up(page).filter(has_text="10:30")).to_have_count(0)
    history_rows = page.get_by_role("region", name="History").locator("tbody tr")
    expect(history_rows).to_have_count(1)
    expect(history_rows.get_by_role("cell")).to_have_text(
        [
            f"{first_day:%a} {first_day.day} {first_day:%b} {first_day.year}, 10:30",
            "In person",
            "Moved to another time",
            "—",  # Note: a moved appointment has none
            "",
        ]
    )

    # The calendar no longer marks an overlap that week.
    page.goto(f"/schedule/clinicians/{therapist.pk}/week/?date={first_day.isoformat()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"My calendar: week of {formats.date(monday)}"
    )
    expect(page.get_by_role("alert")).to_have_count(0)
    entries = page.get_by_role(
        "region", name=formats.weekday_date(first_day), exact=True
    ).get_by_role("listitem")
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text("10:00–10:50")
    expect(entries.nth(1)).to_contain_text("10:30–11:20")
    expect(entries.nth(1)).to_contain_text("In person · Moved to another time")
    expect(entries.nth(2)).to_contain_text("14:00–14:50")
    expect(page.get_by_text(OVERLAP_BADGE, exact=True)).to_have_count(0)

    # The caseload shows the first of the series as the next appointment; no contact yet.
    go_to_caseload(page)
    expect(caseload_cell(page, client, "Next appointment")).to_have_text(
        f"{formats.weekday_date(first_day)}, 10:00"
    )
    expect(caseload_cell(page, client, "Last contact")).to_have_text("—")

    # And in the database.
    overlapping.refresh_from_db()
    assert overlapping.status == Appointment.Status.RESCHEDULED
    assert (overlapping.starts_at, overlapping.ends_at) == (
        at(first_day, 10, 30),
        at(first_day, 11, 20),
    )
    moved = overlapping.rescheduled_to
    assert (moved.starts_at, moved.ends_at, moved.status) == (
        at(first_day, 14),
        at(first_day, 14, 50),
        Appointment.Status.SCHEDULED,
    )
    assert moved.series is None
    series_row = AppointmentSeries.objects.get(client=client)
    assert (series_row.frequency, series_row.occurrences) == (
        AppointmentSeries.Frequency.WEEKLY,
        3,
    )
    assert (
        list(
            Appointment.objects.filter(series=series_row)
            .order_by("starts_at")
            .values_list("status", "modality", "therapist")
        )
        == [(Appointment.Status.SCHEDULED, Modality.IN_PERSON, therapist.pk)] * 3
    )


@pytest.mark.e2e
def test_therapist_records_attendance_and_the_caseload_shows_the_last_contact(
    page: Page,
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    (appointment,) = session_services.appointment_book(
        actor=therapist,
        client=client,
        starts_at=at(yesterday, 10),
        ends_at=at(yesterday, 10, 50),
        modality=Modality.IN_PERSON,
    )

    sign_in_as(page, therapist)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(caseload_cell(page, client, "Last contact")).to_have_text("—")
    expect(caseload_cell(page, client, "Next appointment")).to_have_text("None booked")
    open_sessions_tab(page, client)
    expect(page.get_by_role("region", name="Coming up")).to_contain_text("No appointment booked.")
    row = page.get_by_role("region", name="History").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(2)).to_have_text("Scheduled")
    # One link per row; the outcome is recorded on the appointment's own page.
    row.get_by_role("link", name="Record outcome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Record the outcome of an appointment"
    )
    page.get_by_label("Outcome").select_option(label="Attended")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/sessions/$"))
    expect(status_messages(page)).to_have_text("Attendance recorded.")
    row = page.get_by_role("region", name="History").locator("tbody tr")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Attended")
    row.get_by_role("link", name="Record outcome").click()
    expect(page.get_by_label("Outcome")).to_have_value(Appointment.Status.ATTENDED)
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/sessions/$"))

    go_to_caseload(page)
    expect(caseload_cell(page, client, "Last contact")).to_have_text(
        f"{yesterday.day} {yesterday:%b} {yesterday.year}"
    )
    expect(caseload_cell(page, client, "Next appointment")).to_have_text("None booked")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.notice_hours) == (Appointment.Status.ATTENDED, None)
