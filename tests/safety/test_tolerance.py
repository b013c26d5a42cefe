"""Periods of lower tolerance: open from the first day to the last, both included, in clinic
time; while open, the chart header and the caseload say "Lower tolerance until <date>" (a
risk-level flag) at no extra query; recording one validates, audits and defaults its last day
from the clinic setting.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from clients.selectors import Flag
from hrp import clinic, formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from risk.models import RiskFlag
from safety import selectors, services
from safety.models import ToleranceWindow
from tests.clients.factories import ClientFactory
from tests.htmltext import parse, words
from tests.safety.helpers import days, window

ClientFor = Callable[[User | None], HttpClient]


def header_flags(response: object) -> list[str]:
    badges = parse(response).xpath("//ul[@aria-label='Flags']//span[contains(@class, 'badge')]")  # type: ignore[arg-type]
    return [words(e.text_content()) for e in badges]


def until(day: datetime.date) -> str:
    return f"Lower tolerance until {formats.date(day)}"


# --- The first and the last day -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "is_open"),
    [
        (0, 27, True),  # today is its first day
        (-27, 0, True),  # today is its last day
        (1, 28, False),  # starts tomorrow
        (-28, -1, False),  # ended yesterday
    ],
    ids=["first-day", "last-day", "day-before-first", "day-after-last"],
)
def test_the_window_is_open_on_its_first_and_last_day_only(
    client_for: ClientFor, therapist: User, record: Client, start: int, end: int, is_open: bool
) -> None:
    made = window(therapist, record, start=start, end=end)

    response = client_for(therapist).get(reverse("safety:section", kwargs={"pk": record.pk}))
    caseload = client_for(therapist).get(reverse("clients:caseload"))

    assert selectors.open_window_for(record) == (made if is_open else None)
    expected = [until(days(end))] if is_open else []
    assert [f for f in header_flags(response) if f.startswith("Lower")] == expected
    caseload_badges = [
        words(e.text_content())
        for e in parse(caseload).xpath("//td/span[contains(@class, 'flag-risk')]")
    ]
    # The window also opened an overdose risk flag (its own badge, tested below).
    assert [b for b in caseload_badges if b.startswith("Lower")] == expected
    assert len(parse(response).xpath("//*[@data-window='open']")) == (1 if is_open else 0)


def test_open_means_the_clinic_date_not_the_server_date(
    monkeypatch: pytest.MonkeyPatch, therapist: User, record: Client
) -> None:
    """At 23:00 in New York it is already tomorrow in UTC: the window that starts "tomorrow"
    (UTC) is not open yet, and the one that ended "yesterday" (UTC) is still open."""
    # 2026-03-10 03:00 UTC is 2026-03-09 23:00 in New York (EDT, UTC-4, since 8 March).
    late_evening = datetime.datetime(2026, 3, 10, 3, 0, tzinfo=datetime.UTC)
    with timezone.override("America/New_York"):
        monkeypatch.setattr(timezone, "now", lambda: late_evening)
        assert timezone.localdate() == datetime.date(2026, 3, 9)
        ends_today = ToleranceWindow.objects.create(
            client=record,
            reason=ToleranceWindow.Reason.BREAK,
            start_date=datetime.date(2026, 2, 10),
            end_date=datetime.date(2026, 3, 9),
            created_by=therapist,
        )
        ToleranceWindow.objects.create(
            client=record,
            reason=ToleranceWindow.Reason.RELEASE,
            start_date=datetime.date(2026, 3, 10),
            end_date=datetime.date(2026, 4, 6),
            created_by=therapist,
        )
        annotated = selectors.annotate_open_window(Client.objects.filter(pk=record.pk)).get()

        assert selectors.open_window_for(record) == ends_today
        assert annotated.tolerance_lower_until == datetime.date(2026, 3, 9)


def test_the_flag_is_a_risk_in_plain_words(therapist: User, record: Client) -> None:
    window(therapist, record, start=-5, end=9)
    annotated = selectors.annotate_open_window(Client.objects.filter(pk=record.pk)).get()

    assert selectors.tolerance_flags(annotated) == [Flag(until(days(9)), "risk")]


def test_of_two_open_windows_the_flag_names_the_later_last_day(
    therapist: User, record: Client
) -> None:
    window(therapist, record, start=-20, end=3)
    window(therapist, record, start=-2, end=20)
    annotated = selectors.annotate_open_window(Client.objects.filter(pk=record.pk)).get()

    assert annotated.tolerance_lower_until == days(20)


def test_another_clients_window_does_not_flag_this_client(therapist: User, record: Client) -> None:
    other = ClientFactory(therapist=therapist)
    window(therapist, other, start=-1, end=5)
    annotated = selectors.annotate_open_window(Client.objects.filter(pk=record.pk)).get()

    assert annotated.tolerance_lower_until is None


# --- Recording one --------------------------------------------------------------------------------


def test_without_a_last_day_the_window_lasts_the_clinics_number_of_days(
    therapist: User, record: Client
) -> None:
    default = window(therapist, record, start=0)
    clinic.store({"TOLERANCE_WINDOW_DAYS": 14})
    shorter = window(therapist, record, start=0)

    assert (default.start_date, default.end_date) == (days(0), days(27))  # 28 days in all
    assert (shorter.start_date, shorter.end_date) == (days(0), days(13))


def test_the_page_records_a_window_and_audits_it(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(
        reverse("safety:tolerance_new", kwargs={"pk": record.pk}),
        {
            "reason": "residential",
            "start_date": days(-2).isoformat(),
            "end_date": "",
            "note": "Left the residential programme on Friday",
        },
    )

    made = ToleranceWindow.objects.get()
    assert response.status_code == 302
    assert (made.client, made.reason, made.start_date, made.end_date, made.created_by) == (
        record,
        "residential",
        days(-2),
        days(25),
        therapist,
    )
    assert made.note == "Left the residential programme on Friday"
    event = AuditEvent.objects.get(action="tolerance.record")
    assert (event.actor, event.chart_number, event.changes) == (
        therapist,
        record.chart_number,
        {
            "reason": [None, "residential"],
            "start_date": [None, days(-2).isoformat()],
            "end_date": [None, days(25).isoformat()],
        },
    )


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        (
            {"reason": "", "start_date": "2026-01-01"},
            "reason",
            "This field is required.",
        ),
        (
            {"reason": "release", "start_date": "tomorrow"},
            "start_date",
            "Enter a date such as 2026-06-01.",
        ),
        (
            {"reason": "release", "start_date": "2026-03-10", "end_date": "2026-03-01"},
            "end_date",
            "The last day cannot be before the first.",
        ),
        (
            {"reason": "release", "start_date": "1850-01-01"},
            "start_date",
            "Enter a date from 1 Jan 1900 onwards; please check the year.",
        ),
        (
            {"reason": "prison", "start_date": "2026-03-10"},
            "reason",
            "Select a valid choice. prison is not one of the available choices.",
        ),
        (
            {"reason": "release", "start_date": "2026-03-10", "note": "x" * 10_005},
            "note",
            "Please keep this under 10,000 characters (it has 10005).",
        ),
    ],
    ids=["no-reason", "not-a-date", "end-before-start", "too-early", "unknown-reason", "long-note"],
)
def test_a_refused_window_stores_nothing_and_says_why(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    post: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client_for(therapist).post(
        reverse("safety:tolerance_new", kwargs={"pk": record.pk}), {"note": "typed", **post}
    )

    assert response.status_code == 400
    assert ToleranceWindow.objects.count() == 0
    assert AuditEvent.objects.filter(action="tolerance.record").count() == 0
    errors = parse(response).xpath(
        f"//*[starts-with(@id, 'error_') and contains(@id, '_id_{field}')]"
    )
    assert [words(e.text_content()) for e in errors] == [message]
    # What was typed is kept.
    typed = {"note": "typed", **post}["note"]
    assert parse(response).xpath("//*[@id='id_note']")[0].text_content().strip() == typed


def test_the_service_refuses_a_reader(supervisor: User, record: Client) -> None:
    with pytest.raises(Exception) as refused:
        services.tolerance_window_record(
            actor=supervisor, client=record, reason="release", start_date=days(0)
        )

    assert type(refused.value).__name__ == "PermissionDenied"
    assert ToleranceWindow.objects.count() == 0


# --- A window is a risk, followed up like every other ------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "flags"),
    [
        (-3, 25, 1),  # open today
        (-27, 0, 1),  # today is its last day
        (2, 29, 1),  # still to come (a release date already known)
        (-40, -1, 0),  # over yesterday: history, nothing to follow up
    ],
    ids=["open", "last-day", "to-come", "over"],
)
def test_a_window_not_yet_over_opens_one_overdose_flag(
    therapist: User, record: Client, start: int, end: int, flags: int
) -> None:
    made = window(therapist, record, start=start, end=end)

    opened = list(RiskFlag.objects.filter(client=record))
    assert [(f.kind, f.level, f.source_key, f.source_id, f.state) for f in opened] == [
        ("overdose", "some", "safety.tolerance", made.pk, "open")
    ][:flags]
