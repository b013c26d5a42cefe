"""Reads for disclosures: attendance rows, the consents a report may be produced under, and the
accounting of disclosures shown on the chart."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from clients.models import Client, Consent
from disclosures.models import Disclosure
from disclosures.report import AttendanceRow, ClientIdentity
from sessions.models import Appointment

# The consent scopes that allow an attendance report. Only "attendance": a "treatment summary"
# consent is about clinical content and its recipient expects a summary, not a log of dates;
# "other" is free text no program can check; counseling notes are a different disclosure
# altogether. A consent must name what may be disclosed (42 CFR §2.31(a)(3)), and an attendance
# report goes out only under a consent that names attendance.
ATTENDANCE_SCOPES = (Consent.Scope.ATTENDANCE,)


def local_day_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """[start 00:00, the day after end 00:00) in the clinic's time zone: a session at 23:59 on
    the last day is in, 00:00 the next day out. The current time zone is the clinic's: the
    default (settings.TIME_ZONE, from CLINIC_TIME_ZONE), or the one a request activated."""
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def attendance_rows(
    client: Client, start: datetime.date, end: datetime.date
) -> list[AttendanceRow]:
    """The client's appointments starting within the period, as date, time and status only.

    Deliberately `.values("starts_at", "status")`: no Appointment instance is built, so nothing
    reachable from one (its note, location, series, therapist) can leak into the report.
    """
    since, until = local_day_bounds(start, end)
    tz = timezone.get_current_timezone()
    rows = []
    for values in (
        Appointment.objects.filter(client=client, starts_at__gte=since, starts_at__lt=until)
        .order_by("starts_at", "id")
        .values("starts_at", "status")
    ):
        local = values["starts_at"].astimezone(tz)
        rows.append(AttendanceRow(date=local.date(), time=local.time(), status=values["status"]))
    return rows


def client_identity(client: Client) -> ClientIdentity:
    """The three identifying columns the report prints, read on their own (see report.py)."""
    values = Client.objects.filter(pk=client.pk).values(
        "legal_name", "chart_number", "date_of_birth"
    )[0]
    return ClientIdentity(**values)


def referral_agency(client: Client) -> str:
    """The referring agency's name, or "" without a referral naming one."""
    referral = getattr(client, "referral", None)
    return referral.agency.strip() if referral is not None else ""


def valid_consents_for_report(client: Client, on: datetime.date) -> QuerySet[Consent]:
    """Consents under which an attendance report may be produced on `on`.

    In force that day (effective, not expired, not revoked), scope allowing attendance (see
    ATTENDANCE_SCOPES), and naming the referral's agency: the agency's name appears, ignoring
    case, within the consent's recipient ("County Probation" matches "Kings County Probation
    Department, Officer Lee"). Without a referral naming an agency there is none.
    """
    agency = referral_agency(client)
    if not agency:
        # icontains "" would match every consent.
        return Consent.objects.none()
    return (
        Consent.objects.in_force(on)
        .filter(client=client, scope__in=ATTENDANCE_SCOPES, recipient__icontains=agency)
        .order_by("-effective_on", "-id")
    )


def disclosures_for(client: Client) -> QuerySet[Disclosure]:
    """The accounting of disclosures for the chart, newest first, in one query."""
    return Disclosure.objects.filter(client=client).select_related("consent", "disclosed_by")


# The consent scopes under which information may go with a referral to another service: a
# treatment summary, or "other" with its details (which the clinician reads before sharing).
# Not attendance only (a different purpose) and not counseling notes (their own consent).
REFERRAL_SCOPES = (Consent.Scope.SUMMARY, Consent.Scope.OTHER)


def valid_consents_for_referral(
    client: Client, recipient: str, on: datetime.date
) -> QuerySet[Consent]:
    """Consents under which information may be shared with `recipient` (a referral's provider)
    on `on`: in force that day, a scope in REFERRAL_SCOPES, naming the recipient (its name
    appears, ignoring case, within the consent's recipient). None without a recipient."""
    recipient = recipient.strip()
    if not recipient:
        return Consent.objects.none()
    return (
        Consent.objects.in_force(on)
        .filter(client=client, scope__in=REFERRAL_SCOPES, recipient__icontains=recipient)
        .not_to_mandated_agency(client)
        .order_by("-effective_on", "-id")
    )


# The consent scopes under which a progress summary may leave the clinic: a treatment summary
# only. "Other" is free text no program can check against a document it did not write, and
# attendance only or counseling notes are other disclosures.
SUMMARY_SCOPES = (Consent.Scope.SUMMARY,)


def valid_consents_for_summary(client: Client, on: datetime.date) -> QuerySet[Consent]:
    """Consents under which the client's progress summary may go to their recipient on `on`:
    in force that day, a scope in SUMMARY_SCOPES, and not naming the agency of a mandated
    referral (which sees attendance only, clients.models.Consent.scope_refusal)."""
    return (
        Consent.objects.in_force(on)
        .filter(client=client, scope__in=SUMMARY_SCOPES)
        .not_to_mandated_agency(client)
        .order_by("-effective_on", "-id")
    )
