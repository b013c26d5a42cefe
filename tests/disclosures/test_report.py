"""The attendance report's content: attendance and identity only, exact counts at the period's
edges, the redisclosure notice verbatim, and no clinical content in the preview or the PDF."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import zoneinfo
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Consent
from disclosures import report, selectors, services
from disclosures.models import Disclosure
from disclosures.report import (
    REDISCLOSURE_NOTICE,
    AttendanceCounts,
    AttendanceReport,
    AttendanceRow,
    ClientIdentity,
)
from hrp import formats
from hrp.accounts.models import User
from tests.disclosures.conftest import MARKERS, PERIOD_END, PERIOD_START
from tests.disclosures.factories import AgencyConsentFactory
from tests.disclosures.helpers import page_text
from tests.pdftext import pdf_text, words
from tests.sessions.factories import AppointmentFactory, at

ClientFor = Callable[[User | None], HttpClient]

# The 2024 rule's text of 42 CFR §2.32(a)(1), kept here independently of the code so that an
# edit to the constant fails this test.
NOTICE_2024 = (
    "This record which has been disclosed to you is protected by Federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony "
    "that describes the information contained in this record, in any civil, criminal, "
    "administrative, or legislative proceedings by any Federal, State, or local authority, "
    "against the patient, unless authorized by the consent of the patient, except as provided at "
    "42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In "
    "addition, the Federal rules prohibit you from making any other use or disclosure of this "
    "record unless at least one of the following applies: (i) Further use or disclosure is "
    "expressly permitted by the written consent of the individual whose information is being "
    "disclosed in this record or as otherwise permitted by 42 CFR part 2. (ii) You are a covered "
    "entity or business associate and have received the record for treatment, payment, or health "
    "care operations, or (iii) You have received the record from a program other than a covered "
    "entity or business associate and further disclosure is permitted under 42 CFR 2.33(b) to a "
    "contractor, subcontractor, or legal representative for payment and health care operations. "
    "A general authorization for the release of medical or other information is NOT sufficient "
    "to meet the required elements of written consent to further use or redisclose the record "
    "(see 42 CFR 2.31)."
)


def _params(consent: Consent) -> dict[str, str]:
    return {
        "consent": str(consent.pk),
        "start": PERIOD_START.isoformat(),
        "end": PERIOD_END.isoformat(),
    }


def _found(text: str) -> list[str]:
    """The marker words present in `text`, also if a renderer split one across pieces."""
    squeezed = "".join(text.split())
    return sorted(m for m in MARKERS.values() if m in text or m in squeezed)


def test_notice_is_the_2024_rule_verbatim() -> None:
    assert REDISCLOSURE_NOTICE == NOTICE_2024


def test_preview_and_pdf_carry_no_clinical_content(
    client_for: ClientFor, therapist: User, marked_record: Client, consent: Consent
) -> None:
    web = client_for(therapist)

    preview = web.get(
        reverse("disclosures:attendance_preview", args=[marked_record.pk]), _params(consent)
    )
    download = web.post(
        reverse("disclosures:attendance_download", args=[marked_record.pk]), _params(consent)
    )

    assert preview.status_code == 200
    assert download.status_code == 200
    pdf = download.content
    text = pdf_text(pdf)
    # The extractor reads the PDF for real: what must be there is there...
    assert pdf.startswith(b"%PDF-")
    assert "Robin Example" in text
    assert marked_record.chart_number in text
    assert "4 Jul 1990" in text
    assert "County Probation" in text
    assert NOTICE_2024 in words(text)
    # ...and nothing from notes, goals, assessments, substances or the intake is.
    assert _found(text) == []
    page = preview.content.decode()
    assert NOTICE_2024 in page_text(page)
    assert _found(page) == []
    # Nor in what was recorded about the disclosure.
    disclosure = Disclosure.objects.get()
    assert _found(repr(list(Disclosure.objects.values()))) == []
    assert disclosure.sha256 == hashlib.sha256(pdf).hexdigest()


def test_preview_shows_the_pdf_content(
    client_for: ClientFor, therapist: User, marked_record: Client, consent: Consent
) -> None:
    """Same words in the preview's report as in the PDF's pages."""
    web = client_for(therapist)
    preview = web.get(
        reverse("disclosures:attendance_preview", args=[marked_record.pk]), _params(consent)
    )
    download = web.post(
        reverse("disclosures:attendance_download", args=[marked_record.pk]), _params(consent)
    )

    pdf_words = words(pdf_text(download.content))
    shown = page_text(str(preview.context["preview"]))
    assert shown in pdf_words
    assert shown.startswith("HRP Clinic Attendance report Client Robin Example Chart number ")
    period = f"{formats.date(PERIOD_START)} – {formats.date(PERIOD_END)}"
    assert f"Period {period} Summary" in shown


def test_counts_are_exact_at_the_period_edges(record: Client) -> None:
    start, end = datetime.date(2025, 3, 3), datetime.date(2025, 3, 30)
    consent = AgencyConsentFactory(
        client=record,
        signed_on=datetime.date(2025, 3, 1),
        effective_on=datetime.date(2025, 3, 1),
        expires_on=datetime.date(2026, 3, 1),
    )
    seeded = [
        (at(start - datetime.timedelta(days=1), "23:59"), "attended"),  # the day before: out
        (at(start, "00:00"), "attended"),  # first minute: in
        (at(start + datetime.timedelta(days=2), "10:00"), "cancelled_client"),
        (at(start + datetime.timedelta(days=3), "11:00"), "cancelled_clinic"),
        (at(start + datetime.timedelta(days=4), "12:00"), "no_show"),
        (at(start + datetime.timedelta(days=5), "13:00"), "rescheduled"),
        (at(start + datetime.timedelta(days=6), "14:00"), "attended"),
        (at(start + datetime.timedelta(days=7), "15:00"), "scheduled"),  # never marked
        (at(start + datetime.timedelta(days=8), "16:00"), "no_show"),
        (at(end, "23:59"), "attended"),  # last minute of the last day: in
        (at(end + datetime.timedelta(days=1), "00:00"), "attended"),  # next day: out
    ]
    for starts_at, status in seeded:
        AppointmentFactory(client=record, starts_at=starts_at, status=status)
    AppointmentFactory(starts_at=at(start + datetime.timedelta(days=2), "10:00"))  # another client

    prepared = services.attendance_report_prepare(
        client=record, consent=consent, start=start, end=end, today=datetime.date(2025, 4, 1)
    )

    assert [(r.date.isoformat(), r.time.isoformat("minutes"), r.status) for r in prepared.rows] == [
        ("2025-03-03", "00:00", "attended"),
        ("2025-03-05", "10:00", "cancelled_client"),
        ("2025-03-06", "11:00", "cancelled_clinic"),
        ("2025-03-07", "12:00", "no_show"),
        ("2025-03-08", "13:00", "rescheduled"),
        ("2025-03-09", "14:00", "attended"),
        ("2025-03-10", "15:00", "scheduled"),
        ("2025-03-11", "16:00", "no_show"),
        ("2025-03-30", "23:59", "attended"),
    ]
    assert prepared.counts == AttendanceCounts(
        scheduled=8,
        attended=3,
        cancelled_by_client=1,
        cancelled_by_clinic=1,
        missed=2,
        not_recorded=1,
        moved=1,
    )
    assert [r.label for r in prepared.rows] == [
        "Attended",
        "Cancelled by the client",
        "Cancelled by the clinic",
        "Did not attend",
        "Moved to another time",
        "Attended",
        "Attendance not yet recorded",
        "Did not attend",
        "Attended",
    ]


def test_attendance_rows_read_only_start_and_status(record: Client) -> None:
    AppointmentFactory(client=record, starts_at=at(PERIOD_START, "09:00"), status="attended")

    with CaptureQueriesContext(connection) as queries:
        rows = selectors.attendance_rows(record, PERIOD_START, PERIOD_END)

    assert rows == [AttendanceRow(PERIOD_START, datetime.time(9), "attended")]
    assert len(queries.captured_queries) == 1
    select_clause = queries.captured_queries[0]["sql"].split(" FROM ")[0]
    columns = sorted(
        c.split(" AS ")[0].strip().split(".")[-1].strip('"') for c in select_clause[7:].split(",")
    )
    assert columns == ["starts_at", "status"]


def test_the_template_receives_only_the_report(record: Client, consent: Consent) -> None:
    prepared = services.attendance_report_prepare(
        client=record, consent=consent, start=PERIOD_START, end=PERIOD_END
    )

    assert list(report.report_context(prepared)) == ["report"]
    assert [f.name for f in dataclasses.fields(AttendanceReport)] == [
        "clinic_name",
        "client",
        "agency",
        "period_start",
        "period_end",
        "rows",
        "counts",
        "notice",
    ]
    assert [f.name for f in dataclasses.fields(ClientIdentity)] == [
        "legal_name",
        "chart_number",
        "date_of_birth",
    ]
    assert prepared.client == ClientIdentity(
        "Robin Example", record.chart_number, datetime.date(1990, 7, 4)
    )
    with pytest.raises(TypeError):
        report.report_context({"report": prepared, "client": record})  # type: ignore[arg-type]


def test_date_of_birth_left_out_when_not_recorded(record: Client, consent: Consent) -> None:
    Client.objects.filter(pk=record.pk).update(date_of_birth=None)

    prepared = services.attendance_report_prepare(
        client=record, consent=consent, start=PERIOD_START, end=PERIOD_END
    )
    shown = page_text(report.render_html(prepared))

    assert "Date of birth" not in shown
    assert f"Chart number {record.chart_number} Prepared for County Probation Period" in shown
    assert "No sessions were scheduled in this period." in shown


def test_pdf_filename_names_chart_and_period_only() -> None:
    assert (
        report.pdf_filename_for(
            chart_number="C-ABC234", start=datetime.date(2025, 1, 1), end=datetime.date(2025, 3, 31)
        )
        == "attendance-report_C-ABC234_2025-01-01_to_2025-03-31.pdf"
    )


def test_the_marker_check_would_see_a_leak(record: Client, consent: Consent) -> None:
    """Control: a marker word that did reach the PDF is found by the same extraction."""
    prepared = services.attendance_report_prepare(
        client=record, consent=consent, start=PERIOD_START, end=PERIOD_END
    )
    leaked = dataclasses.replace(prepared, agency=f"County {MARKERS['note.agenda']} Probation")

    assert _found(pdf_text(report.render_pdf(leaked))) == [MARKERS["note.agenda"]]
    assert _found(report.render_html(leaked)) == [MARKERS["note.agenda"]]


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Auckland", "UTC"])
def test_period_edges_follow_the_clinic_time_zone(record: Client, zone: str) -> None:
    end = datetime.date(2025, 6, 30)
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        AppointmentFactory(client=record, starts_at=at(end, "23:59"), status="attended")
        AppointmentFactory(
            client=record,
            starts_at=at(end + datetime.timedelta(days=1), "00:00"),
            status="attended",
        )

        rows = selectors.attendance_rows(record, datetime.date(2025, 6, 1), end)

    assert rows == [AttendanceRow(end, datetime.time(23, 59), "attended")]
