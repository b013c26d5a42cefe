"""Reads for billing: the service codes on offer, the problem list, the sessions and contacts to
code, what a superbill or an export shows, and plain querysets for the FHIR export."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from billing import codes
from billing.models import ClinicServiceCode, Diagnosis, DiagnosisChange, Encounter, Fee
from clients.models import Client, Consent
from groups.models import Attendance, GroupNote, Meeting
from sessions.models import Appointment, OutsideContact

# Consents under which a billing export may leave the clinic: a treatment summary, or a
# consent describing what may be disclosed (e.g. "diagnoses and services, for payment").
BILLING_SCOPES = (Consent.Scope.SUMMARY, Consent.Scope.OTHER)
# The chart lists the latest sessions and contacts to code; older ones stay coded or not.
RECENT_LIMIT = 20


def service_codes(*, include_addons: bool = False) -> dict[str, codes.ServiceCode]:
    """Every code a clinician may choose: the built-in ones, then the clinic's own (one
    query). Add-on codes (90840) come only with their primary code unless asked for."""
    found = {
        code: entry
        for code, entry in codes.BUILTIN_SERVICE_CODES.items()
        if include_addons or not entry.addon_only
    }
    for row in ClinicServiceCode.objects.filter(active=True).order_by("code"):
        found.setdefault(row.code, row.as_service_code())
    return found


def group_service_codes() -> dict[str, codes.ServiceCode]:
    """The codes offered for a member's attendance at a group meeting: the built-in group codes
    (90853 group psychotherapy, H0005 group counseling) and the clinic's own codes, which the
    clinic may have added for its groups (one query)."""
    return {
        code: entry
        for code, entry in service_codes().items()
        if entry.group or entry.system == "Clinic"
    }


def diagnoses_for_client(client: Client) -> QuerySet[Diagnosis]:
    """The client's problem list, every entry (active, resolved, entered in error) with its
    history; for the FHIR export each row has `code`, `system` (ICD-10-CM's URI), `official`
    and `display` wording, `code_set`, `onset_on`, `resolved_on` and `status`. Two queries."""
    return (
        Diagnosis.objects.filter(client=client)
        .prefetch_related(
            Prefetch(
                "changes",
                queryset=DiagnosisChange.objects.select_related("changed_by").order_by(
                    "changed_at", "id"
                ),
            )
        )
        .order_by("status", "code", "id")
    )


def diagnoses_in_force(client: Client, on: datetime.date) -> QuerySet[Diagnosis]:
    """Diagnoses an encounter on `on` may address: not entered in error, begun by then (or
    with no onset recorded) and not resolved before."""
    return (
        Diagnosis.objects.filter(client=client)
        .exclude(status=Diagnosis.Status.ENTERED_IN_ERROR)
        .filter(Q(onset_on__isnull=True) | Q(onset_on__lte=on))
        .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gte=on))
        .order_by("code", "id")
    )


def encounters_for_client(client: Client) -> QuerySet[Encounter]:
    """The client's coded encounters, oldest first, with the session or contact they bill and
    the clinicians: for the FHIR export each row has `code`, `code_system_uri`, `description`,
    `diagnosis_codes`, `started_at`, `ended_at`, `status` ("finished") and `place_of_service`.
    One query."""
    return (
        Encounter.objects.filter(client=client)
        .select_related("appointment", "contact", "attendance__meeting", "rendering", "supervising")
        .order_by("service_date", "id")
    )


def recent_sessions(client: Client) -> list[Appointment]:
    """The latest attended sessions, with their note's state and their coding (one query)."""
    return list(
        Appointment.objects.filter(client=client, status=Appointment.Status.ATTENDED)
        .select_related("note", "encounter", "therapist")
        .order_by("-starts_at", "-id")[:RECENT_LIMIT]
    )


def recent_contacts(client: Client) -> list[OutsideContact]:
    """The latest signed contacts outside sessions, with their coding (one query)."""
    return list(
        OutsideContact.objects.filter(client=client, signed_at__isnull=False)
        .select_related("encounter", "author")
        .order_by("-occurred_at", "-id")[:RECENT_LIMIT]
    )


def _group_note_signed() -> Exists:
    return Exists(
        GroupNote.objects.filter(meeting_id=OuterRef("meeting_id"), signed_at__isnull=False)
    )


def recent_group_meetings(client: Client) -> list[Attendance]:
    """The latest group meetings the client attended, with the group, this member's coding and
    whether the group note is signed (one query). Only this client's rows: never another
    member's."""
    return list(
        Attendance.objects.filter(client=client, status=Appointment.Status.ATTENDED)
        .select_related("meeting__group", "encounter")
        .annotate(note_signed=_group_note_signed())
        .order_by("-meeting__starts_at", "-id")[:RECENT_LIMIT]
    )


def attendance_for(client: Client, pk: int) -> Attendance | None:
    return (
        Attendance.objects.filter(client=client, pk=pk, status=Appointment.Status.ATTENDED)
        .select_related("meeting__group", "encounter")
        .first()
    )


@dataclass
class MemberRow:
    """One attending member on the meeting's coding page: their attendance (with client and
    coding), their diagnoses in force on the meeting's day, whether the coding is locked."""

    attendance: Attendance
    diagnoses: list[Diagnosis]
    locked: bool

    @property
    def encounter(self) -> Encounter | None:
        return getattr(self.attendance, "encounter", None)


def meeting_coding_rows(meeting: Meeting, *, note_signed: bool) -> list[MemberRow]:
    """The attending members of `meeting` with their coding and their diagnoses in force on
    its day (a coded member's row is locked once the group note is signed): two queries
    whatever the number of members."""
    day = timezone.localdate(meeting.starts_at)
    attendances = list(
        Attendance.objects.filter(meeting=meeting, status=Appointment.Status.ATTENDED)
        .select_related("client", "encounter")
        .order_by("client__preferred_name", "id")
    )
    diagnoses: dict[int, list[Diagnosis]] = {}
    in_force = (
        Diagnosis.objects.filter(client_id__in=[a.client_id for a in attendances])
        .exclude(status=Diagnosis.Status.ENTERED_IN_ERROR)
        .filter(Q(onset_on__isnull=True) | Q(onset_on__lte=day))
        .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gte=day))
        .order_by("client_id", "code", "id")
    )
    for diagnosis in in_force:
        diagnoses.setdefault(diagnosis.client_id, []).append(diagnosis)
    signed = note_signed
    return [
        MemberRow(
            attendance=a,
            diagnoses=diagnoses.get(a.client_id, []),
            locked=signed and getattr(a, "encounter", None) is not None,
        )
        for a in attendances
    ]


def appointment_for(client: Client, pk: int) -> Appointment | None:
    return (
        Appointment.objects.filter(client=client, pk=pk, status=Appointment.Status.ATTENDED)
        .select_related("note", "encounter", "therapist")
        .first()
    )


def contact_for(client: Client, pk: int) -> OutsideContact | None:
    return (
        OutsideContact.objects.filter(client=client, pk=pk, signed_at__isnull=False)
        .select_related("encounter", "author")
        .first()
    )


def consents_for_billing(client: Client) -> QuerySet[Consent]:
    """Consents in force today under which a billing export may leave the clinic."""
    return (
        Consent.objects.in_force(timezone.localdate())
        .filter(client=client, scope__in=BILLING_SCOPES)
        .order_by("-effective_on", "-id")
    )


def _fee(code_field: str) -> Subquery:
    return Subquery(
        Fee.objects.filter(code=OuterRef(code_field), effective_on__lte=OuterRef("service_date"))
        .order_by("-effective_on")
        .values("amount")[:1]
    )


def encounters_in_period(
    client: Client, start: datetime.date, end: datetime.date
) -> QuerySet[Encounter]:
    """The encounters of [start, end] with the fee per unit in force on each date of service
    (`fee`, and `addon_fee` for an add-on code; None when the schedule has none). One query."""
    return (
        encounters_for_client(client)
        .filter(service_date__gte=start, service_date__lte=end)
        .annotate(fee=_fee("code"), addon_fee=_fee("addon_code"))
    )


@dataclass(frozen=True)
class Line:
    """One billed line: a service code (or an add-on code) on a date."""

    encounter: Encounter
    code: str
    description: str
    units: int
    fee: Decimal
    pointers: str  # the diagnosis pointers (A, B...) into the superbill's diagnosis list

    @property
    def charge(self) -> Decimal:
        return self.fee * self.units


@dataclass(frozen=True)
class Superbill:
    client: Client
    start: datetime.date
    end: datetime.date
    diagnoses: list[tuple[str, codes.DiagnosisCode]]  # (pointer letter, code)
    lines: list[Line]
    clinicians: list[Any]  # rendering and supervising, in order of appearance

    @property
    def total(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0.00"))

    @property
    def total_units(self) -> int:
        return sum(line.units for line in self.lines)


POINTERS = "ABCDEFGHIJKL"


def fee_schedule() -> list[Fee]:
    """The fee schedule, every row, by code and newest date first (one query)."""
    return list(Fee.objects.order_by("code", "-effective_on"))


def clinic_codes() -> list[ClinicServiceCode]:
    return list(ClinicServiceCode.objects.order_by("code"))
