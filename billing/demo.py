"""Demo problem lists, fees and coded sessions for `manage.py seed_demo` (DEMO_MODE only), so
that the Diagnoses and billing tab, a superbill and the FHIR export's Condition and Encounter
resources have something to show. Jamie's and Marcus's problem lists hold their use disorder
and a social circumstance; their attended sessions of the last four weeks are coded 90834 (or
90837 for a longer one) in the clinic or by video, and the group meetings they attended
(groups.demo) 90853 in the clinic, coded by the group's facilitator. Skips a client who
already has diagnoses and an attendance already coded; the fee schedule is set once."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import codes, services
from billing.models import Diagnosis, Encounter, Fee
from billing.selectors import diagnoses_in_force
from clients.models import Client
from groups.models import Attendance
from hrp.accounts.models import User
from sessions.models import Appointment, Modality

SERVICES = {service.code: service for service in codes.SERVICE_CODES}
# Per demo client (legal name): the problem list, oldest first.
PROBLEM_LISTS = {
    "Jamie Alvarez": ["F10.10", "Z56.0"],
    "Marcus Bell": ["F11.20", "Z59.01"],
}
DEMO_FEES = {
    "90791": "200.00",
    "90832": "95.00",
    "90834": "150.00",
    "90837": "180.00",
    "H0004": "31.25",
    "90853": "65.00",
    "H0005": "45.00",
}
# How far back sessions are coded: the last four weeks, as a clinic bills monthly.
CODED_DAYS = 28


def _fees(admin: User) -> None:
    if Fee.objects.exists():
        return
    since = timezone.localdate() - datetime.timedelta(days=365)
    for code, amount in DEMO_FEES.items():
        services.fee_set(actor=admin, code=code, amount=Decimal(amount), effective_on=since)


def _psychotherapy_code(minutes: int) -> str | None:
    """The psychotherapy code whose time range holds `minutes` (billing.codes has the rule)."""
    for code in ("90837", "90834", "90832"):
        try:
            codes.units_for(SERVICES[code], minutes)
        except ValidationError:
            continue
        return code
    return None


@transaction.atomic
def seed_demo_billing(*, clients: list[Client]) -> int:
    """Problem lists and coded sessions for the demo clients named in PROBLEM_LISTS; returns
    how many clients were given them."""
    admin = User.objects.filter(is_clinic_admin=True, is_active=True).order_by("id").first()
    if admin is not None:
        _fees(admin)
    today = timezone.localdate()
    given = 0
    for client in clients:
        codes = PROBLEM_LISTS.get(client.legal_name)
        if not codes or Diagnosis.objects.filter(client=client).exists():
            continue
        therapist = client.therapist
        onset = (client.created_at.date() if client.created_at else today) - datetime.timedelta(
            days=30
        )
        for code in codes:
            services.diagnosis_add(actor=therapist, client=client, code=code, onset_on=onset)
        sessions = Appointment.objects.filter(
            client=client,
            status=Appointment.Status.ATTENDED,
            starts_at__date__gte=today - datetime.timedelta(days=CODED_DAYS),
            starts_at__date__lte=today,
        ).order_by("starts_at")
        for session in sessions:
            if Encounter.objects.filter(appointment=session).exists():
                continue
            minutes = session.duration_minutes
            code = _psychotherapy_code(minutes)
            if code is None:
                continue
            services.encounter_code(
                actor=therapist,
                client=client,
                appointment=session,
                code=code,
                minutes=minutes,
                # Telehealth in the client's home (10) for video and phone sessions.
                place_of_service="11" if session.modality == Modality.IN_PERSON else "10",
                diagnosis_codes=[codes[0]],
            )
        given += 1
    return given


@transaction.atomic
def seed_demo_group_billing(*, clients: list[Client]) -> int:
    """Code the group meetings the demo clients attended (90853, the meeting's length, the
    office), for those with a problem list, by the facilitator who rendered them; returns how
    many encounters were coded."""
    attendances = (
        Attendance.objects.filter(
            client__in=clients,
            status=Appointment.Status.ATTENDED,
            encounter__isnull=True,
            client__diagnoses__isnull=False,
        )
        .distinct()
        .select_related("client", "meeting")
        .order_by("meeting__starts_at", "id")
    )
    coded = 0
    for attendance in attendances:
        meeting = attendance.meeting
        in_force = list(
            diagnoses_in_force(attendance.client, timezone.localdate(meeting.starts_at))[:1]
        )
        if not in_force:
            continue
        services.encounter_code(
            actor=services.group_rendering(meeting),
            client=attendance.client,
            attendance=attendance,
            code="90853",
            minutes=int((meeting.ends_at - meeting.starts_at).total_seconds() // 60),
            place_of_service=codes.OFFICE,
            diagnosis_codes=[in_force[0].code],
        )
        coded += 1
    return coded
