"""Reads of the client record, scoped to the user and shaped for a fixed number of queries.

Later issues add caseload columns (next appointment, last contact, open goals, latest scores,
risk flags) as annotations in `caseload` — never as a query per row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import extensions
from clients.models import Client, Consent, TherapistAssignment
from hrp.access import ADMIN_CLIENT_FIELDS, ClientAccess, client_for, clients_visible_q
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent

CASELOAD_SORTS = {
    "name": ["preferred_name", "legal_name"],
    "-name": ["-preferred_name", "-legal_name"],
    "chart": ["chart_number"],
    "status": ["status", "preferred_name"],
    "newest": ["-created_at"],
}


def _expiring_consents(today: datetime.date) -> QuerySet[Consent]:
    return Consent.objects.filter(
        client=OuterRef("pk"),
        revoked_on__isnull=True,
        effective_on__lte=today,
        expires_on__gte=today,
        expires_on__lte=today + datetime.timedelta(days=Consent.EXPIRING_WITHIN_DAYS),
    )


def search_q(query: str) -> Q:
    query = query.strip()
    if not query:
        return Q()
    return (
        Q(preferred_name__icontains=query)
        | Q(legal_name__icontains=query)
        | Q(chart_number__iexact=query)
        | Q(chart_number__iexact=f"C-{query}")
    )


def caseload(
    *,
    user: User,
    therapist: User,
    status: str = "active",
    query: str = "",
    sort: str = "name",
    columns: bool = True,
) -> QuerySet[Client]:
    """The clients assigned to `therapist`, as `user` may see them (the therapist themself or
    their supervisor), with the caseload's columns annotated. Pages that show only their own
    app's data (the due lists) pass columns=False and add what they need."""
    today = timezone.localdate()
    qs = (
        Client.objects.filter(clients_visible_q(user))
        .filter(therapist=therapist)
        .select_related("referral", "intake")
        .annotate(consent_expiring=Exists(_expiring_consents(today)))
    )
    if columns:
        qs = extensions.annotate_for_caseload(qs)
    if status in Client.Status.values:
        qs = qs.filter(status=status)
    elif status != "all":
        qs = qs.filter(status=Client.Status.ACTIVE)
    return qs.filter(search_q(query)).order_by(*CASELOAD_SORTS.get(sort, CASELOAD_SORTS["name"]))


def intake_drafts(*, user: User) -> QuerySet[Client]:
    """Intakes this therapist started and has not completed: resumable drafts."""
    return (
        Client.objects.filter(therapist=user, intake__completed_at__isnull=True)
        .select_related("intake")
        .order_by("-intake__updated_at")
    )


def chart_client(
    *, user: User, pk: int, queryset: QuerySet[Client] | None = None
) -> tuple[Client, ClientAccess]:
    """A client for the chart header, with what the header shows loaded in one query, and
    what `user` may do with it (hrp.access.client_for). `queryset` lets a section add what
    it shows before the header's flags are added (a flag source skips what is already there)."""
    today = timezone.localdate()
    base = Client.objects.all() if queryset is None else queryset
    qs = base.select_related("therapist", "referral", "intake").annotate(
        consent_expiring=Exists(_expiring_consents(today))
    )
    return client_for(user, pk, queryset=extensions.annotate_flags(qs))


@dataclass(frozen=True)
class Flag:
    label: str
    level: str  # "risk", "warning" or "info": never a red "failed" badge (DOMAIN.md)


def chart_flags(client: Client) -> list[Flag]:
    """Flags for the chart header and caseload: the record's own, then those other apps
    register (risk flags first among them), read from values annotated on `client`."""
    flags = extensions.extra_flags(client)
    if client.consent_expiring:  # type: ignore[attr-defined]
        flags.append(Flag(_("Consent expires within 30 days"), "warning"))
    referral = getattr(client, "referral", None)
    if referral is not None and referral.is_mandated:
        flags.append(Flag(_("Mandated referral: agency receives attendance only"), "info"))
    intake = getattr(client, "intake", None)
    if intake is not None and intake.is_draft:
        flags.append(Flag(_("Intake in progress"), "info"))
    return flags


def consents_for(*, client: Client) -> QuerySet[Consent]:
    return client.consents.select_related("created_by", "revocation_recorded_by")


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime.datetime
    label: str
    detail: str = ""


def timeline(*, client: Client) -> list[TimelineEvent]:
    """The client's events, newest first, composed from the record's own rows (a fixed number
    of queries). Sessions, assessments and goals add their events as their issues land."""
    events: list[TimelineEvent] = [TimelineEvent(client.created_at, _("Intake started"))]
    intake = client.intake
    if intake.completed_at:
        events.append(TimelineEvent(intake.completed_at, _("Intake completed")))
    for assignment in TherapistAssignment.objects.filter(client=client).select_related("therapist"):
        events.append(
            TimelineEvent(
                assignment.started_at,
                _("Assigned to %(name)s") % {"name": assignment.therapist.full_name},
                assignment.reason,
            )
        )
    for consent in client.consents.all():
        start = timezone.make_aware(datetime.datetime.combine(consent.signed_on, datetime.time(12)))
        events.append(TimelineEvent(start, _("Consent signed: %(to)s") % {"to": consent.recipient}))
        if consent.revoked_on:
            revoked = timezone.make_aware(
                datetime.datetime.combine(consent.revoked_on, datetime.time(12))
            )
            events.append(
                TimelineEvent(revoked, _("Consent revoked: %(to)s") % {"to": consent.recipient})
            )
    if client.status == Client.Status.DISCHARGED and client.discharged_on:
        discharged = timezone.make_aware(
            datetime.datetime.combine(client.discharged_on, datetime.time(12))
        )
        events.append(TimelineEvent(discharged, _("Discharged")))
    return sorted(events, key=lambda e: e.at, reverse=True)


def access_log(*, client: Client) -> QuerySet[AuditEvent]:
    """Who accessed or changed this record (HIPAA accounting), newest first."""
    return AuditEvent.objects.filter(chart_number=client.chart_number).select_related("actor")


def clients_for_admin(*, status: str = "", query: str = "") -> QuerySet[Client]:
    """Every client, with only the fields a clinic admin may see."""
    qs = Client.objects.select_related("therapist").only(*ADMIN_CLIENT_FIELDS)
    if status in Client.Status.values:
        qs = qs.filter(status=status)
    return qs.filter(search_q(query)).order_by("preferred_name", "legal_name")


def therapists_for_assignment() -> QuerySet[User]:
    return User.objects.active().filter(is_therapist=True).order_by("full_name")


def open_clients_of(therapist: User) -> QuerySet[Client]:
    """A therapist's clients who are not discharged, with only the fields a clinic admin may
    see: what the deactivation page lists and hands over."""
    return (
        Client.objects.select_related("therapist")
        .only(*ADMIN_CLIENT_FIELDS)
        .filter(therapist=therapist)
        .exclude(status=Client.Status.DISCHARGED)
        .order_by("preferred_name", "legal_name", "pk")
    )


def unassigned_queue() -> QuerySet[Client]:
    """Clients who are not discharged and have nobody to care for them, admin-safe fields
    only: those a handover sent to the queue (no therapist) and those still assigned to an
    account deactivated before handovers existed. In name order (one query)."""
    return (
        Client.objects.select_related("therapist")
        .only(*ADMIN_CLIENT_FIELDS)
        .filter(Q(therapist__isnull=True) | Q(therapist__is_active=False))
        .exclude(status=Client.Status.DISCHARGED)
        .order_by("preferred_name", "legal_name", "pk")
    )
