"""What sessions put on the chart's Overview (the next appointment and the last contact, the
last signed notes) and Timeline (signed notes; appointments attended, missed or cancelled),
registered from TherapySessionsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.extensions import (
    ChartSection,
    OverviewPanel,
    TimelineEntry,
    TimelineSource,
    register_overview_panel,
    register_timeline_source,
)
from clients.models import Client
from hrp import formats
from sessions import selectors
from sessions.models import Appointment, NoteStatus, SessionNote

SIGNED = [NoteStatus.AWAITING_COSIGN, NoteStatus.SIGNED, NoteStatus.COSIGNED]
# Appointments that happened or were called off: what the Timeline lists. Scheduled ones are
# the future (the Overview's next appointment); a moved one lives on as its replacement.
PAST = [
    Appointment.Status.ATTENDED,
    Appointment.Status.NO_SHOW,
    Appointment.Status.CANCELLED_CLIENT,
    Appointment.Status.CANCELLED_CLINIC,
]
RECENT_NOTES = 3


# --- Overview ---------------------------------------------------------------------------------


def _signed_notes() -> QuerySet[SessionNote]:
    return (
        SessionNote.objects.filter(status__in=SIGNED)
        .select_related("appointment", "signed_by")
        .only(
            "pk",
            "client_id",
            "status",
            "format",
            "signed_at",
            "appointment__starts_at",
            "appointment__modality",
            "signed_by__full_name",
        )
    )


def prefetch_recent_notes(qs: QuerySet[Client]) -> QuerySet[Client]:
    """The client's last signed notes (a sliced prefetch: a few rows whatever the history),
    with the next appointment and last contact the caseload reads too. Idempotent."""
    qs = selectors.prefetch_for_clients(qs)
    already = {
        getattr(lookup, "to_attr", None) for lookup in getattr(qs, "_prefetch_related_lookups", ())
    }
    if "prefetched_recent_notes" in already:
        return qs
    return qs.prefetch_related(
        Prefetch(
            "session_notes",
            queryset=_signed_notes().order_by("-signed_at", "-id")[:RECENT_NOTES],
            to_attr="prefetched_recent_notes",
        )
    )


def appointments_context(client: Client, can: Any) -> dict[str, Any]:
    return {
        "next": selectors.next_appointment(client),
        "last": selectors.last_contact(client),
        "may_book": can.write,
    }


def notes_context(client: Client, can: Any) -> dict[str, Any]:
    return {"notes": getattr(client, "prefetched_recent_notes", [])}


# --- Timeline ---------------------------------------------------------------------------------


def note_rows(client: Client) -> QuerySet[SessionNote]:
    return SessionNote.objects.filter(client=client, status__in=SIGNED).annotate(
        timeline_at=F("signed_at")
    )


def note_load(pks: list[int]) -> dict[int, TimelineEntry]:
    entries = {}
    for note in _signed_notes().filter(pk__in=pks):
        session_day = timezone.localtime(note.appointment.starts_at)
        entries[note.pk] = TimelineEntry(
            at=note.signed_at,
            title=_("Session note signed (%(format)s)") % {"format": note.get_format_display()},
            detail=_("Session of %(day)s · %(status)s")
            % {"day": formats.date(session_day), "status": note.get_status_display()},
            url=reverse("sessions:note", kwargs={"pk": note.client_id, "note_pk": note.pk}),
            who=note.signed_by.full_name if note.signed_by else "",
        )
    return entries


def appointment_rows(client: Client) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        client=client, status__in=PAST, starts_at__lte=timezone.now()
    ).annotate(timeline_at=F("starts_at"))


def appointment_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = (
        Appointment.objects.filter(pk__in=pks)
        .select_related("therapist")
        .only("pk", "client_id", "starts_at", "status", "modality", "therapist__full_name")
    )
    titles = {
        Appointment.Status.ATTENDED: _("Session attended"),
        Appointment.Status.NO_SHOW: _("Session: did not attend"),
        Appointment.Status.CANCELLED_CLIENT: _("Session cancelled by the client"),
        Appointment.Status.CANCELLED_CLINIC: _("Session cancelled by the clinic"),
    }
    return {
        a.pk: TimelineEntry(
            at=a.starts_at,
            title=titles.get(a.status, a.get_status_display()),
            detail=a.get_modality_display(),
            url=reverse("sessions:section", kwargs={"pk": a.client_id}),
            who=a.therapist.full_name,
        )
        for a in rows
    }


def register() -> None:
    register_overview_panel(
        OverviewPanel(
            key="appointments",
            label=gettext_lazy("Appointments"),
            template="sessions/_panel_appointments.html",
            context=appointments_context,
            order=20,
            annotate=prefetch_recent_notes,
        )
    )
    register_overview_panel(
        OverviewPanel(
            key="notes",
            label=gettext_lazy("Last session notes"),
            template="sessions/_panel_notes.html",
            context=notes_context,
            order=60,
            annotate=prefetch_recent_notes,
        )
    )
    register_timeline_source(
        TimelineSource(
            key="notes",
            label=gettext_lazy("Session notes"),
            rows=note_rows,
            load=note_load,
            order=30,
            access=ChartSection.READ,
        )
    )
    register_timeline_source(
        TimelineSource(
            key="appointments",
            label=gettext_lazy("Appointments"),
            rows=appointment_rows,
            load=appointment_load,
            order=31,
            access=ChartSection.READ,
        )
    )
