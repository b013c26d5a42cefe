"""Reads of the client record, scoped to the user and shaped for a fixed number of queries.

Later issues add caseload columns (next appointment, last contact, open goals, latest scores,
risk flags) as annotations in `caseload` — never as a query per row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import extensions, medical
from clients.models import Client, Consent, IdentityDecision, MedicalEvaluation
from hrp.access import (
    ADMIN_CLIENT_FIELDS,
    ClientAccess,
    client_for,
    clients_visible_q,
    supervisee_ids,
)
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
        .filter(therapist=therapist, merged_into__isnull=True)
        .select_related("referral", "intake")
        .annotate(consent_expiring=Exists(_expiring_consents(today)))
    )
    qs = medical.annotate(qs)
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
    return client_for(user, pk, queryset=extensions.annotate_flags(medical.annotate(qs)))


@dataclass(frozen=True)
class Flag:
    label: str
    # "risk", "warning", "info" or SCREENING: never a red "failed" badge (DOMAIN.md).
    level: str


# The level of a standard measure's screening result (AUDIT "possible dependence", DAST-10
# "substantial"): shown apart, under "Screening", so that "risk" means suicide and overdose.
SCREENING = "screening"


def split_flags(flags: list[Flag]) -> tuple[list[Flag], list[Flag]]:
    """(the flags, the screening results) of a client, for pages that show them apart."""
    return (
        [f for f in flags if f.level != SCREENING],
        [f for f in flags if f.level == SCREENING],
    )


def chart_flags(client: Client) -> list[Flag]:
    """Flags for the chart header and caseload: the record's own, then those other apps
    register (risk flags first among them), read from values annotated on `client`."""
    flags = extensions.extra_flags(client)
    if client.merged_into_id:
        flags.append(Flag(_("Merged into another record: read only"), "info"))
    if not client.legal_name.strip():
        # Said plainly, never as a problem: care goes on without it (issue 21). A missing
        # date of birth alone is no flag (it was optional long before): the actions that need
        # it say so (clients.identity.require_identity).
        flags.append(Flag(_("Identity not recorded: known by chosen name"), "info"))
    if client.consent_expiring:  # type: ignore[attr-defined]
        flags.append(Flag(_("Consent expires within 30 days"), "warning"))
    referral = getattr(client, "referral", None)
    if referral is not None and referral.is_mandated:
        flags.append(Flag(_("Mandated referral: agency receives attendance only"), "info"))
    intake = getattr(client, "intake", None)
    if intake is not None and intake.is_draft:
        flags.append(Flag(_("Intake in progress"), "info"))
    flags.extend(medical_flags(client))
    return flags


def medical_flags(client: Client) -> list[Flag]:
    """A flag while a medical evaluation is open (outstanding or never considered,
    clients.medical), once the intake is completed: during the intake the medical step is
    still ahead, and "Intake in progress" says so. Not for a discharged client, whom nobody is
    arranging care for any more (the reminder and the supervisor's column leave them out too).
    Read from `medical.annotate`'s values."""
    current = medical.status_of(client)
    if not current.is_open or getattr(client, "medical_intake_completed_at", None) is None:
        return []
    if client.status == Client.Status.DISCHARGED:
        return []
    return [Flag(current.label, "warning")]


def medical_evaluations_for(*, client: Client) -> QuerySet[MedicalEvaluation]:
    """Every evaluation recorded for the client, newest first, each with who recorded it and
    the row that corrects it, if any (one query; a client has a handful)."""
    return client.medical_evaluations.select_related(
        "recorded_by", "corrected_by", "corrects"
    ).order_by("-evaluated_on", "-id")


def medical_evaluation_for(*, client: Client, pk: int) -> MedicalEvaluation | None:
    return medical_evaluations_for(client=client).filter(pk=pk).first()


def latest_medical_evaluation_on(*, client: Client) -> datetime.date | None:
    """The date of the latest evaluation that counts (clients.medical), one index probe."""
    return (
        medical.counted()
        .filter(client=client)
        .order_by("-evaluated_on", "-id")
        .values_list("evaluated_on", flat=True)
        .first()
    )


def consents_for(*, client: Client) -> QuerySet[Consent]:
    return client.consents.select_related("created_by", "revocation_recorded_by")


# --- The chart's Overview and Timeline -------------------------------------------------------


def _may_see(access_needed: str, can: ClientAccess) -> bool:
    return access_needed == extensions.ChartSection.READ or can.write


def overview_panels_for(can: ClientAccess) -> list[extensions.OverviewPanel]:
    """The Overview's panels this reader may see, in order (the same rule as chart tabs)."""
    return [p for p in extensions.overview_panels() if _may_see(p.access, can)]


def overview_client(*, user: User, pk: int) -> tuple[Client, ClientAccess]:
    """The chart's client with what every Overview panel reads added to its query (each
    panel's `annotate`). Who may see a TREATING panel is only known once the client is loaded,
    so every panel's annotation is added: they are cheap, bounded reads, and a panel the
    reader may not see is never rendered."""
    base = extensions.annotate_for_overview(Client.objects.all(), extensions.overview_panels())
    return chart_client(user=user, pk=pk, queryset=base)


@dataclass(frozen=True)
class RenderedPanel:
    panel: extensions.OverviewPanel
    context: dict[str, Any]

    @property
    def heading_id(self) -> str:
        return f"panel-{self.panel.key}-h"


def overview(*, client: Client, can: ClientAccess) -> list[RenderedPanel]:
    """Each panel this reader may see with its context, leaving out those that return None."""
    rendered = []
    for panel in overview_panels_for(can):
        context = panel.context(client, can)
        if context is not None:
            rendered.append(RenderedPanel(panel, context))
    return rendered


TIMELINE_PAGE_SIZE = 50


def timeline_sources_for(can: ClientAccess) -> list[extensions.TimelineSource]:
    return [s for s in extensions.timeline_sources() if _may_see(s.access, can)]


@dataclass(frozen=True)
class TimelineItem:
    at: datetime.datetime  # the row's timeline_at: where the event sits in the list
    kind: str
    kind_label: str
    entry: extensions.TimelineEntry

    @property
    def has_time(self) -> bool:
        """False for a date-only event (its entry's `at` is a date): no time is shown."""
        return isinstance(self.entry.at, datetime.datetime)


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    number: int
    has_next: bool
    kind: str  # the kind shown, "" for every kind

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def days(self) -> list[tuple[datetime.date, list[TimelineItem]]]:
        """The page's items under a heading per day (in clinic time), newest first."""
        days: list[tuple[datetime.date, list[TimelineItem]]] = []
        for item in self.items:
            day = timezone.localdate(item.at)
            if not days or days[-1][0] != day:
                days.append((day, []))
            days[-1][1].append(item)
        return days


def _timeline_rows(source: extensions.TimelineSource, client: Client) -> QuerySet[Any]:
    # The same three columns, in the same order, from every source: all three are annotations
    # so none is placed ahead of the others as a model field would be.
    return (
        source.rows(client)
        .order_by()
        .annotate(
            timeline_kind=Value(source.key, output_field=CharField()),
            timeline_pk=F("pk"),
        )
        .values_list("timeline_at", "timeline_kind", "timeline_pk")
    )


def timeline(
    *,
    client: Client,
    can: ClientAccess,
    kind: str = "",
    page: int = 1,
    per_page: int = TIMELINE_PAGE_SIZE,
) -> TimelinePage:
    """One page of the client's clinical events, newest first, from every registered source
    this reader may see (or the one `kind`): the sources' rows in one UNION ALL, ordered and
    cut to the page in the database (one row more than the page says whether an older page
    exists), then one `load` per kind on the page. 1 + (kinds on the page) queries, and the
    rows read are a page's, whatever the client's history. Ties on the time keep a stable
    order (kind, then newest row first) so no event falls between two pages."""
    sources = [s for s in timeline_sources_for(can) if not kind or s.key == kind]
    if not sources:
        return TimelinePage([], page, False, kind)
    parts = [_timeline_rows(source, client) for source in sources]
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    offset = (page - 1) * per_page
    rows = list(
        union.order_by("-timeline_at", "timeline_kind", "-timeline_pk")[
            offset : offset + per_page + 1
        ]
    )
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    by_key = {s.key: s for s in sources}
    pks_by_kind: dict[str, list[int]] = {}
    for _at, row_kind, pk in rows:
        pks_by_kind.setdefault(row_kind, []).append(pk)
    loaded = {row_kind: by_key[row_kind].load(pks) for row_kind, pks in pks_by_kind.items()}
    items = [
        TimelineItem(at, row_kind, str(by_key[row_kind].label), loaded[row_kind][pk])
        for at, row_kind, pk in rows
        # A row deleted between the two reads is left out rather than failing the page.
        if pk in loaded[row_kind]
    ]
    return TimelinePage(items, page, has_next, kind)


def access_log(*, client: Client) -> QuerySet[AuditEvent]:
    """Who accessed or changed this record (HIPAA accounting), newest first."""
    return AuditEvent.objects.filter(chart_number=client.chart_number).select_related("actor")


def clients_for_admin(*, status: str = "", query: str = "") -> QuerySet[Client]:
    """Every client, with only the fields a clinic admin may see."""
    qs = (
        Client.objects.select_related("therapist")
        .only(*ADMIN_CLIENT_FIELDS)
        .filter(merged_into__isnull=True)
    )
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


def possible_duplicates(*, client: Client) -> QuerySet[Client]:
    """Other records with the same legal name and date of birth as `client` (the keyed hash of
    clients.identity, one index probe), not merged away and not already kept apart from it
    by a clinician. Only chart number, status and therapist are shown: the clinician may not
    treat the other record, and a chart number says nothing clinical."""
    if not client.identity_key or client.merged_into_id:
        return Client.objects.none()
    kept_apart = IdentityDecision.objects.filter(
        decision=IdentityDecision.Decision.KEPT_APART
    ).filter(Q(client=client, other=OuterRef("pk")) | Q(other=client, client=OuterRef("pk")))
    return (
        Client.objects.filter(identity_key=client.identity_key, merged_into__isnull=True)
        .exclude(pk=client.pk)
        .exclude(Exists(kept_apart))
        .select_related("therapist")
        .only(
            "id",
            "chart_number",
            "status",
            "created_at",
            "therapist_id",
            "merged_into_id",
            "therapist__full_name",
        )
        .order_by("created_at", "pk")
    )


def identity_decisions(*, client: Client) -> QuerySet[IdentityDecision]:
    """The decisions about duplicates that involve `client`, newest first."""
    return (
        IdentityDecision.objects.filter(Q(client=client) | Q(other=client))
        .select_related("client", "other", "decided_by")
        .order_by("-decided_at", "-id")
    )


def merges_to_review(*, supervisor: User) -> QuerySet[IdentityDecision]:
    """Decisions about duplicates (merges and records kept apart) on the clients of the
    supervisor's current supervisees, newest first, for the supervisor's review."""
    return (
        IdentityDecision.objects.filter(client__therapist_id__in=supervisee_ids(supervisor))
        .select_related("client", "other", "decided_by", "client__therapist")
        .order_by("-decided_at", "-id")
    )
