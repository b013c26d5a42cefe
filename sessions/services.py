"""Writes for appointments: booking (single or a series), rescheduling and attendance. Each
audits what it changed; nothing is deleted (a cancellation is a status)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from sessions.models import Appointment, AppointmentSeries

MAX_SERIES = 52


def overlapping(
    *,
    therapist: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude: Any = None,
) -> QuerySet[Appointment]:
    """The therapist's other appointments still on the calendar that overlap this time."""
    qs = Appointment.objects.filter(
        therapist=therapist,
        status__in=[Appointment.Status.SCHEDULED, Appointment.Status.ATTENDED],
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs


def series_times(
    *,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    frequency: str = "",
    occurrences: int = 1,
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Start and end of every appointment a booking would make (one, or the whole series)."""
    if not frequency:
        return [(starts_at, ends_at)]
    step = datetime.timedelta(weeks=1 if frequency == AppointmentSeries.Frequency.WEEKLY else 2)
    return [(starts_at + step * i, ends_at + step * i) for i in range(occurrences)]


def overlapping_any(
    *, therapist: User, times: list[tuple[datetime.datetime, datetime.datetime]]
) -> list[Appointment]:
    """The therapist's appointments that overlap any of `times`, in time order."""
    found: dict[int, Appointment] = {}
    for starts_at, ends_at in times:
        for appointment in overlapping(
            therapist=therapist, starts_at=starts_at, ends_at=ends_at
        ).select_related("client"):
            found[appointment.pk] = appointment
    return sorted(found.values(), key=lambda a: a.starts_at)


def _validate_times(starts_at: datetime.datetime, ends_at: datetime.datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    if ends_at - starts_at > datetime.timedelta(hours=8):
        raise ValidationError({"ends_at": _("An appointment lasts at most 8 hours.")})


def _audit(action: str, *, actor: User, request: HttpRequest | None, obj: Appointment, **kw: Any):
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        request=request,
        obj=obj,
        chart_number=obj.client.chart_number,
        **kw,
    )


@transaction.atomic
def appointment_book(
    *,
    actor: User,
    request: HttpRequest | None,
    client: Client,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    modality: str,
    location: str = "",
    frequency: str = "",
    occurrences: int = 1,
) -> list[Appointment]:
    """Book one appointment, or a weekly / fortnightly series of `occurrences`, with the
    client's therapist. Double-booking is allowed (a warning, not a refusal: clinics book
    groups and back-to-back handovers), see `overlapping`. Side effect: `appointment.book`."""
    _validate_times(starts_at, ends_at)
    if client.therapist_id is None:
        raise ValidationError(_("Assign a therapist to the client first."))
    series = None
    if frequency:
        if not 2 <= occurrences <= MAX_SERIES:
            raise ValidationError(
                {"occurrences": _("A series has 2 to %(n)d appointments.") % {"n": MAX_SERIES}}
            )
        series = AppointmentSeries.objects.create(
            client=client,
            therapist=client.therapist,
            frequency=frequency,
            occurrences=occurrences,
            created_by=actor,
        )
    else:
        occurrences = 1
    booked = []
    times = series_times(
        starts_at=starts_at, ends_at=ends_at, frequency=frequency, occurrences=occurrences
    )
    for start, end in times:
        appointment = Appointment.objects.create(
            client=client,
            therapist=client.therapist,
            starts_at=start,
            ends_at=end,
            modality=modality,
            location=location,
            series=series,
            created_by=actor,
        )
        _audit(
            "appointment.book",
            actor=actor,
            request=request,
            obj=appointment,
            changes={"starts_at": (None, appointment.starts_at), "status": (None, "scheduled")},
        )
        booked.append(appointment)
    return booked


@transaction.atomic
def appointment_reschedule(
    *,
    actor: User,
    request: HttpRequest | None,
    appointment: Appointment,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
) -> Appointment:
    """Move an appointment: the old one stays, marked "moved", linked to the new one, so the
    history of changes is kept. Side effect: `appointment.reschedule`."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not appointment.is_open:
        raise ValidationError(_("Only a scheduled appointment can be moved."))
    _validate_times(starts_at, ends_at)
    appointment.status = Appointment.Status.RESCHEDULED
    appointment.save(update_fields=["status"])
    new = Appointment.objects.create(
        client=appointment.client,
        therapist=appointment.therapist,
        starts_at=starts_at,
        ends_at=ends_at,
        modality=appointment.modality,
        location=appointment.location,
        series=appointment.series,
        rescheduled_from=appointment,
        created_by=actor,
    )
    _audit(
        "appointment.reschedule",
        actor=actor,
        request=request,
        obj=new,
        changes={"starts_at": (appointment.starts_at, new.starts_at)},
    )
    return new


@transaction.atomic
def appointment_record_attendance(
    *,
    actor: User,
    request: HttpRequest | None,
    appointment: Appointment,
    status: str,
    notice_hours: int | None = None,
) -> Appointment:
    """Mark an appointment attended, cancelled (by client or clinic, with the notice given) or
    not attended. Attendance is recorded once it has started; a cancellation any time before.
    Side effect: `appointment.attendance` with the old and new status and notice, when either
    changed."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    allowed = {
        Appointment.Status.ATTENDED,
        Appointment.Status.NO_SHOW,
        Appointment.Status.CANCELLED_CLIENT,
        Appointment.Status.CANCELLED_CLINIC,
        Appointment.Status.SCHEDULED,
    }
    if status not in allowed:
        raise ValidationError({"status": _("Choose one of the listed outcomes.")})
    if appointment.status == Appointment.Status.RESCHEDULED:
        raise ValidationError(_("This appointment was moved; record attendance on the new one."))
    started = appointment.starts_at <= timezone.now()
    if status in (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW) and not started:
        raise ValidationError(
            {"status": _("Attendance can be recorded once the appointment has started.")}
        )
    cancelled = status in (Appointment.Status.CANCELLED_CLIENT, Appointment.Status.CANCELLED_CLINIC)
    if cancelled and notice_hours is None:
        raise ValidationError({"notice_hours": _("Say how many hours' notice was given.")})
    old, old_notice = appointment.status, appointment.notice_hours
    appointment.status = status
    appointment.notice_hours = notice_hours if cancelled else None
    appointment.save(update_fields=["status", "notice_hours"])
    changes: dict[str, tuple[Any, Any]] = {}
    if old != status:
        changes["status"] = (old, status)
    if old_notice != appointment.notice_hours:
        # Correcting the notice of a cancellation is a change too.
        changes["notice_hours"] = (old_notice, appointment.notice_hours)
    if changes:
        _audit(
            "appointment.attendance",
            actor=actor,
            request=request,
            obj=appointment,
            changes=changes,
        )
    return appointment
