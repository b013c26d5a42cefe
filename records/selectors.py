"""Reads for the Record copies tab and the client's own copy: each a fixed number of queries
whatever the client's history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Min, QuerySet

from assessments.models import Administration
from clients.models import Client, Consent
from disclosures.models import Disclosure
from hrp.audit.models import AuditEvent
from records.models import RecordRequest
from sessions.models import NoteStatus, SessionNote


def requests_for(client: Client) -> QuerySet[RecordRequest]:
    """The client's requests for their record, newest first, with who recorded and released
    them, in one query."""
    return RecordRequest.objects.filter(client=client).select_related("recorded_by", "released_by")


@dataclass(frozen=True)
class AccessSummaryRow:
    person: str
    category: str
    events: int
    first: object
    last: object


def access_summary(client: Client) -> list[AccessSummaryRow]:
    """Who opened or changed the record, and how often, from the audit trail (hrp.audit): one
    row per person and kind of event, counted in the database (one query, however long the
    trail)."""
    rows = (
        AuditEvent.objects.filter(chart_number=client.chart_number)
        .values("actor__full_name", "category")
        .annotate(events=Count("id"), first=Min("at"), last=Max("at"))
        .order_by("actor__full_name", "category")
    )
    labels = dict(AuditEvent.Category.choices)
    return [
        AccessSummaryRow(
            person=row["actor__full_name"] or "—",
            category=str(labels.get(row["category"], row["category"])),
            events=row["events"],
            first=row["first"],
            last=row["last"],
        )
        for row in rows
    ]


def measures_for(client: Client) -> QuerySet[Administration]:
    return (
        Administration.objects.filter(client=client)
        .only("pk", "client_id", "measure_code", "score", "band", "administered_at", "corrects_id")
        .order_by("-administered_at", "-id")
    )


def consents_for(client: Client) -> QuerySet[Consent]:
    return Consent.objects.filter(client=client).order_by("-effective_on", "-id")


def disclosures_for(client: Client) -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(client=client).select_related("consent")


# The note's text fields a reader sees, in the order the note page shows them.
NOTE_TEXT_FIELDS = (
    "agenda",
    "data",
    "objective",
    "assessment",
    "plan",
    "narrative",
    "risk_actions",
    "next_time",
)


def signed_notes_for(client: Client) -> list[tuple[object, list[tuple[str, str]]]]:
    """The client's signed session notes (progress notes: part of the record a client may
    have; drafts are not yet the record), oldest first, as (session start, [(label, text)]),
    in one query."""
    notes = (
        SessionNote.objects.filter(
            client=client,
            status__in=(NoteStatus.AWAITING_COSIGN, NoteStatus.SIGNED, NoteStatus.COSIGNED),
        )
        .select_related("appointment")
        .only("pk", "client_id", "appointment__starts_at", *NOTE_TEXT_FIELDS)
        .order_by("appointment__starts_at", "id")
    )
    return [
        (
            note.appointment.starts_at,
            [
                (str(SessionNote._meta.get_field(name).verbose_name), getattr(note, name))
                for name in NOTE_TEXT_FIELDS
                if getattr(note, name).strip()
            ],
        )
        for note in notes
    ]
