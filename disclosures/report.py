"""The attendance-only report: the one place its content is decided.

Why no code path can put clinical content in it (DOMAIN.md, mandated referrals):

- The report templates (`disclosures/attendance_report.html`, page and `#report` partial) are
  rendered by `render_html` / `render_pdf` below, and only below, with exactly the context
  `report_context` returns: `{"report": AttendanceReport}`. No request is passed, so no
  context processor adds the user, the session or anything else.
- `AttendanceReport` holds only strings, dates and integers (frozen dataclasses, no model
  instances), so the template cannot follow a relation into the record.
- `build_report` is the one function that makes an `AttendanceReport`. Its inputs are the
  clinic's name, the `ClientIdentity` (legal name, chart number, date of birth: read with
  `.values()` of those three columns only), the agency's name, the period, and the
  `AttendanceRow`s that `selectors.attendance_rows` reads with `.values("starts_at", "status")`.
  Notes, goals, assessments, substances, the intake and even the appointment's modality and
  location never reach it.

The date of birth is included when recorded: it is identifying, not clinical, and an agency
matching a report to a person on its caseload needs more than a name (two people can share
one). The client consented to the disclosure to this agency of their attendance, which
necessarily identifies them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from hrp import formats
from hrp.pdf import html_to_pdf

TEMPLATE = "disclosures/attendance_report.html"

# 42 CFR §2.32(a)(1), as revised by the 2024 final rule (89 FR 12472). Verbatim: it must travel
# with every disclosure and must not be reworded, so it lives here and only here.
REDISCLOSURE_NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or "
    "testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR "
    "2.64 or 2.65. In addition, the Federal rules prohibit you from making any other use or "
    "disclosure of this record unless at least one of the following applies: (i) Further use "
    "or disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed in this record or as otherwise permitted by 42 CFR part 2. "
    "(ii) You are a covered entity or business associate and have received the record for "
    "treatment, payment, or health care operations, or (iii) You have received the record from "
    "a program other than a covered entity or business associate and further disclosure is "
    "permitted under 42 CFR 2.33(b) to a contractor, subcontractor, or legal representative "
    "for payment and health care operations. A general authorization for the release of "
    "medical or other information is NOT sufficient to meet the required elements of written "
    "consent to further use or redisclose the record (see 42 CFR 2.31)."
)

# Appointment status (sessions.models.Appointment.Status values) -> the words the agency reads.
# Plain, non-punitive (DOMAIN.md): "did not attend", never "no-show" or "non-compliant". An
# appointment still marked "scheduled" in the past is reported as not yet recorded rather than
# guessed at.
STATUS_LABELS: dict[str, Any] = {
    "scheduled": _("Attendance not yet recorded"),
    "attended": _("Attended"),
    "cancelled_client": _("Cancelled by the client"),
    "cancelled_clinic": _("Cancelled by the clinic"),
    "no_show": _("Did not attend"),
    "rescheduled": _("Moved to another time"),
}


@dataclass(frozen=True)
class ClientIdentity:
    legal_name: str
    chart_number: str
    date_of_birth: datetime.date | None


@dataclass(frozen=True)
class AttendanceRow:
    """One appointment as the report shows it: local date and start time, and its status."""

    date: datetime.date
    time: datetime.time
    status: str

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class AttendanceCounts:
    """`scheduled` counts every appointment booked in the period except those moved to another
    time: the replacement is counted where it falls, so a moved session is not counted twice.
    scheduled = attended + cancelled_by_client + cancelled_by_clinic + missed + not_recorded."""

    scheduled: int
    attended: int
    cancelled_by_client: int
    cancelled_by_clinic: int
    missed: int
    not_recorded: int
    moved: int

    @classmethod
    def of(cls, rows: Iterable[AttendanceRow]) -> AttendanceCounts:
        tally = dict.fromkeys(STATUS_LABELS, 0)
        for row in rows:
            tally[row.status] += 1
        return cls(
            scheduled=sum(tally.values()) - tally["rescheduled"],
            attended=tally["attended"],
            cancelled_by_client=tally["cancelled_client"],
            cancelled_by_clinic=tally["cancelled_clinic"],
            missed=tally["no_show"],
            not_recorded=tally["scheduled"],
            moved=tally["rescheduled"],
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "scheduled": self.scheduled,
            "attended": self.attended,
            "cancelled_by_client": self.cancelled_by_client,
            "cancelled_by_clinic": self.cancelled_by_clinic,
            "missed": self.missed,
            "not_recorded": self.not_recorded,
            "moved": self.moved,
        }


@dataclass(frozen=True)
class AttendanceReport:
    clinic_name: str
    client: ClientIdentity
    agency: str
    period_start: datetime.date
    period_end: datetime.date
    rows: tuple[AttendanceRow, ...]
    counts: AttendanceCounts
    notice: str = REDISCLOSURE_NOTICE


def build_report(
    *,
    clinic_name: str,
    client: ClientIdentity,
    agency: str,
    period_start: datetime.date,
    period_end: datetime.date,
    rows: Iterable[AttendanceRow],
) -> AttendanceReport:
    """The report's whole content, from identity and attendance rows only (see module doc)."""
    ordered = tuple(sorted(rows, key=lambda r: (r.date, r.time)))
    return AttendanceReport(
        clinic_name=clinic_name,
        client=client,
        agency=agency,
        period_start=period_start,
        period_end=period_end,
        rows=ordered,
        counts=AttendanceCounts.of(ordered),
    )


def report_context(report: AttendanceReport) -> dict[str, Any]:
    """The only context the report templates ever receive."""
    if not isinstance(report, AttendanceReport):
        raise TypeError("The attendance report renders an AttendanceReport only.")
    return {"report": report}


def render_html(report: AttendanceReport) -> str:
    """The report's body (the `#report` partial), for the preview page."""
    return render_to_string(f"{TEMPLATE}#report", report_context(report))


def render_pdf(report: AttendanceReport) -> bytes:
    """The report as the PDF the agency receives: the same `#report` partial in a print page."""
    return html_to_pdf(render_to_string(TEMPLATE, report_context(report)))


def pdf_filename_for(*, chart_number: str, start: datetime.date, end: datetime.date) -> str:
    """Chart number and period only: a file name is seen by mail servers and file listings,
    so it never carries the client's name."""
    return (
        f"attendance-report_{chart_number}_{formats.iso_date(start)}_to_{formats.iso_date(end)}.pdf"
    )
