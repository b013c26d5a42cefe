"""Reads for the supervisor's workspace.

The dashboard shows a number per supervisee and column; each number opens the list behind it.
The lists come from `boards` (one supervisee at a time, on the column pages: the supervisee's
clients with what the flags need prefetched, this week's sessions, late notes, notes waiting
for co-signature, open rating alerts, in a fixed set of queries). The numbers come from
`dashboard`, which counts the same records in SQL (two queries, one row per supervisee each)
so that the dashboard does not read every client of every supervisee. The column meanings
below hold for both; tests/supervision/test_dashboard_counts.py pins that each number is the
length of its list.

Which records each column counts:

| column             | counts                                                              |
|--------------------|---------------------------------------------------------------------|
| caseload           | active clients                                                      |
| sessions_week      | appointments attended or still scheduled, Monday to Sunday of this  |
|                    | week in the clinic's time zone                                      |
| late_notes         | sessions.selectors.late_notes (attended, ended LATE_NOTE_HOURS ago, |
|                    | no note signed by the therapist)                                    |
| cosign             | notes signed by the supervisee, waiting for co-signature            |
| risk               | clients in care (active or on hold) with an unresolved risk flag    |
|                    | (risk.RiskFlag: suicide or overdose, from any source)               |
| screening          | clients in care whose latest result of a screening measure (the     |
|                    | registry's `Measure.screens`: AUDIT, DAST-10) is at its threshold:  |
|                    | a screening result to talk through, not risk                        |
| alerts             | session-rating alerts not yet acknowledged                          |
| no_contact         | active clients, with the clinic NO_CONTACT_DAYS or longer, with no  |
|                    | attended session in the last NO_CONTACT_DAYS                        |
| reviews_overdue    | open goals of active clients whose review date has passed           |
| measures_overdue   | measures of active clients whose interval ran out before today      |
| consents_expiring  | consents of clients in care, in force and expiring within           |
|                    | CONSENT_EXPIRY_WARNING_DAYS                                         |
| medical            | active clients whose intake is completed and whose medical          |
|                    | evaluation is open: recommended and not done, or never considered   |
|                    | (clients/medical.py)                                                |

Session and note columns count whatever the client's status (a late note stays late when the
client is discharged); risk flags and consents look at clients on hold too (they matter
whether or not sessions are happening); the rest look at active clients, as the caseload does
by default.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from assessments import selectors as assessment_selectors
from assessments.selectors import Due
from clients import medical
from clients.models import Client, Consent
from goals import selectors as goal_selectors
from goals.models import Goal
from hrp import access
from hrp.access import clients_visible_q, comments_visible_q, meetings_visible_q
from hrp.accounts.models import User
from hrp.clinic import clinic_setting
from risk import selectors as risk_selectors
from sessions import selectors as session_selectors
from sessions.models import Appointment, RatingAlert, SessionNote
from supervision.fidelity import ITEMS, RATING_LABELS, RATING_MAX, Item
from supervision.models import ChartComment, FidelityReview, SupervisionMeeting

# Defaults; the clinic's settings NO_CONTACT_DAYS and CONSENT_EXPIRY_WARNING_DAYS override them.
NO_CONTACT_DAYS = 30
CONSENT_EXPIRY_WARNING_DAYS = 30

IN_CARE = (Client.Status.ACTIVE, Client.Status.ON_HOLD)


def no_contact_days() -> int:
    return int(clinic_setting("NO_CONTACT_DAYS") or NO_CONTACT_DAYS)


def consent_expiry_warning_days() -> int:
    return int(getattr(settings, "CONSENT_EXPIRY_WARNING_DAYS", CONSENT_EXPIRY_WARNING_DAYS))


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    heading: Any  # the list page's heading
    template: str  # the list page's body


COLUMNS: list[Column] = [
    Column(
        "caseload",
        gettext_lazy("Active clients"),
        gettext_lazy("Active clients"),
        "",
    ),
    Column(
        "sessions_week",
        gettext_lazy("Sessions this week"),
        gettext_lazy("Sessions this week (attended or scheduled)"),
        "supervision/_list_sessions.html",
    ),
    Column(
        "late_notes",
        gettext_lazy("Notes late or unsigned"),
        gettext_lazy("Notes late or unsigned"),
        "supervision/_list_late.html",
    ),
    Column(
        "cosign",
        gettext_lazy("Waiting for co-signature"),
        gettext_lazy("Notes waiting for co-signature"),
        "supervision/_list_cosign.html",
    ),
    Column(
        "risk",
        gettext_lazy("Clients with a risk flag"),
        gettext_lazy("Clients with an open risk flag"),
        "supervision/_list_risk.html",
    ),
    Column(
        "screening",
        gettext_lazy("Screening results"),
        gettext_lazy("Clients with a screening result to talk through"),
        "supervision/_list_screening.html",
    ),
    Column(
        "alerts",
        gettext_lazy("Session-rating alerts"),
        gettext_lazy("Open session-rating alerts"),
        "supervision/_list_alerts.html",
    ),
    Column(
        "no_contact",
        gettext_lazy("No recent contact"),
        gettext_lazy("Active clients with no attended session recently"),
        "supervision/_list_no_contact.html",
    ),
    Column(
        "reviews_overdue",
        gettext_lazy("Goal reviews overdue"),
        gettext_lazy("Goal reviews overdue"),
        "supervision/_list_reviews.html",
    ),
    Column(
        "measures_overdue",
        gettext_lazy("Measures overdue"),
        gettext_lazy("Measures overdue"),
        "supervision/_list_measures.html",
    ),
    Column(
        "consents_expiring",
        gettext_lazy("Consents expiring"),
        gettext_lazy("Consents expiring soon"),
        "supervision/_list_consents.html",
    ),
    Column(
        "medical",
        gettext_lazy("Medical evaluation open"),
        gettext_lazy("Active clients whose medical evaluation is still open"),
        "supervision/_list_medical.html",
    ),
]
COLUMNS_BY_SLUG = {c.key.replace("_", "-"): c for c in COLUMNS}


@dataclass(frozen=True)
class RiskItem:
    client: Client
    reasons: list[str]


@dataclass(frozen=True)
class ScreeningItem:
    client: Client
    results: list[str]


@dataclass(frozen=True)
class NoContactItem:
    client: Client
    last_attended: datetime.datetime | None


@dataclass(frozen=True)
class MeasureItem:
    client: Client
    due: Due


@dataclass
class Board:
    """One supervisee's row: the records behind each of the dashboard's numbers."""

    therapist: User
    caseload: list[Client] = field(default_factory=list)
    sessions_week: list[Appointment] = field(default_factory=list)
    late_notes: list[Appointment] = field(default_factory=list)
    cosign: list[SessionNote] = field(default_factory=list)
    risk: list[RiskItem] = field(default_factory=list)
    screening: list[ScreeningItem] = field(default_factory=list)
    alerts: list[RatingAlert] = field(default_factory=list)
    no_contact: list[NoContactItem] = field(default_factory=list)
    reviews_overdue: list[Goal] = field(default_factory=list)
    measures_overdue: list[MeasureItem] = field(default_factory=list)
    consents_expiring: list[Consent] = field(default_factory=list)
    medical: list[Client] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {column.key: len(getattr(self, column.key)) for column in COLUMNS}

    def attention_key(self) -> tuple[int, ...]:
        """What needs attention first comes first: clients with an open risk flag, then late
        notes, then session-rating alerts, then notes waiting for co-signature, then clients
        with no recent contact, then overdue goal reviews and measures together, then expiring
        consents; more before fewer at each step (ties fall to the name, in `boards`)."""
        return (
            -len(self.risk),
            -len(self.late_notes),
            -len(self.alerts),
            -len(self.cosign),
            -len(self.no_contact),
            -(len(self.reviews_overdue) + len(self.measures_overdue)),
            -len(self.consents_expiring),
        )


def risk_reasons(client: Client) -> list[str]:
    """The client's unresolved risk flags (suicide, overdose), named, from prefetched records."""
    return risk_selectors.reasons(client)


def screening_results(client: Client) -> list[str]:
    """The client's screening results at threshold (AUDIT, DAST-10), in the assessments app's
    neutral words, from prefetched records."""
    return [
        assessment_selectors.screening_label(administration)
        for administration in assessment_selectors.severity_flags(client)
    ]


def _week_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    monday = session_selectors.week_start_of(timezone.localtime(now, tz).date())
    begin = datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        monday + datetime.timedelta(days=7), datetime.time.min, tzinfo=tz
    )
    return begin, end


def _clients(
    *, supervisor: User, therapist_ids: list[int], now: datetime.datetime
) -> QuerySet[Client]:
    """The supervisees' clients in care, with the last attended session annotated and the
    assessment, goal and consent records the columns read prefetched (five queries;
    the risk flags' urgency is a column)."""
    today = timezone.localdate(now)
    warn_until = today + datetime.timedelta(days=consent_expiry_warning_days())
    last_attended = (
        Appointment.objects.filter(
            client=OuterRef("pk"), status=Appointment.Status.ATTENDED, starts_at__lte=now
        )
        .order_by("-starts_at")
        .values("starts_at")[:1]
    )
    qs = (
        Client.objects.filter(clients_visible_q(supervisor))
        # An inactive therapist's clients never show: they are handed over at deactivation,
        # and any left from before handovers existed wait in the unassigned queue.
        .filter(therapist_id__in=therapist_ids, therapist__is_active=True, status__in=IN_CARE)
        .annotate(last_attended=Subquery(last_attended))
        .prefetch_related(
            Prefetch(
                "consents",
                queryset=Consent.objects.filter(
                    revoked_on__isnull=True,
                    effective_on__lte=today,
                    expires_on__gte=today,
                    expires_on__lte=warn_until,
                ).order_by("expires_on", "id"),
                to_attr="expiring_consents",
            )
        )
        .order_by("preferred_name", "legal_name", "id")
    )
    qs = risk_selectors.annotate_urgency(assessment_selectors.prefetch_for_clients(qs))
    return goal_selectors.prefetch_for_clients(medical.annotate(qs))


def medical_open(client: Client) -> bool:
    """The medical column's rule for a client loaded by `_clients` (as `medical_open_q`)."""
    completed = client.medical_intake_completed_at  # type: ignore[attr-defined]
    return completed is not None and medical.status_of(client).is_open


def medical_open_q() -> Q:
    return medical.open_q() & Q(intake__completed_at__isnull=False)


def boards(
    *, supervisor: User, therapists: Iterable[User], now: datetime.datetime | None = None
) -> list[Board]:
    """One board per therapist, sorted so that what needs attention first comes first.

    `therapists` must already be the supervisor's current supervisees (see
    hrp.access.supervisee_for / current_supervisees). Nine queries whatever the
    number of therapists, clients and notes; none when there are no therapists."""
    now = now or timezone.now()
    by_id = {t.pk: Board(therapist=t) for t in therapists}
    if not by_id:
        return []
    ids = list(by_id)
    today = timezone.localdate(now)
    silent_since = now - datetime.timedelta(days=no_contact_days())

    for client in _clients(supervisor=supervisor, therapist_ids=ids, now=now):
        board = by_id[client.therapist_id]
        active = client.status == Client.Status.ACTIVE
        reasons = risk_reasons(client)
        if reasons:
            board.risk.append(RiskItem(client, reasons))
        results = screening_results(client)
        if results:
            board.screening.append(ScreeningItem(client, results))
        board.consents_expiring.extend(client.expiring_consents)  # type: ignore[attr-defined]
        if not active:
            continue
        board.caseload.append(client)
        if medical_open(client):
            board.medical.append(client)
        last = client.last_attended  # type: ignore[attr-defined]
        if client.created_at <= silent_since and (last is None or last < silent_since):
            board.no_contact.append(NoContactItem(client, last))
        board.reviews_overdue.extend(
            g for g in goal_selectors.open_goals(client) if g.review_state(today) == "overdue"
        )
        board.measures_overdue.extend(
            MeasureItem(client, due)
            for due in assessment_selectors.due_measures(client)
            if due.due_on < today
        )

    begin, end = _week_bounds(now)
    week = (
        Appointment.objects.filter(
            therapist_id__in=ids,
            starts_at__gte=begin,
            starts_at__lt=end,
            status__in=[Appointment.Status.ATTENDED, Appointment.Status.SCHEDULED],
        )
        .select_related("client")
        .order_by("starts_at", "id")
    )
    for appointment in week:
        by_id[appointment.therapist_id].sessions_week.append(appointment)
    for appointment in session_selectors.late_notes(therapist_ids=ids, now=now):
        by_id[appointment.therapist_id].late_notes.append(appointment)
    waiting = (
        SessionNote.objects.filter(status=SessionNote.Status.AWAITING_COSIGN, author_id__in=ids)
        .select_related("client", "appointment")
        .defer(*(f"{name}" for name in (*SessionNote.TEXT_FIELDS, "goal_checkins")))
        .order_by("signed_at", "id")
    )
    for note in waiting:
        by_id[note.author_id].cosign.append(note)
    for alert in session_selectors.open_rating_alerts(user=supervisor).filter(
        client__therapist_id__in=ids
    ):
        by_id[alert.client.therapist_id].alerts.append(alert)

    return sorted(by_id.values(), key=lambda b: (*b.attention_key(), b.therapist.full_name))


@dataclass(frozen=True)
class Tally:
    """One supervisee's dashboard row: the number behind each column, counted in SQL (the
    lists behind them are `Board`s, one supervisee at a time, on the column pages)."""

    therapist: User
    numbers: dict[str, int]

    def counts(self) -> dict[str, int]:
        return {column.key: self.numbers.get(column.key) or 0 for column in COLUMNS}

    def attention_key(self) -> tuple[int, ...]:
        """As Board.attention_key."""
        n = self.counts()
        return (
            -n["risk"],
            -n["late_notes"],
            -n["alerts"],
            -n["cosign"],
            -n["no_contact"],
            -(n["reviews_overdue"] + n["measures_overdue"]),
            -n["consents_expiring"],
        )


def _count(qs: QuerySet[Any]) -> Coalesce:
    """COUNT(*) of `qs` as a correlated subquery (one number per outer row)."""
    counted = qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def dashboard(*, supervisor: User, now: datetime.datetime | None = None) -> list[Tally]:
    """The supervisor's dashboard rows: every current supervisee whose account is active
    (a deactivated supervisee's row would list clients nobody can see), with each column's
    number counted exactly as `boards` lists it, sorted as `boards` sorts.

    Two queries whatever the number of supervisees, clients and history: the supervisees with
    the numbers counted per supervisee (sessions, notes, alerts, goals, consents), and one row
    per supervisee counting their clients in care (caseload, risk, no contact, measures). The
    rows read are the supervisees', not their clients' records: the flags are read through
    their indexes (note_pending, the unresolved risk flags' partial index, the newest row per client
    and measure) inside the counts."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    warn_until = today + datetime.timedelta(days=consent_expiry_warning_days())
    silent_since = now - datetime.timedelta(days=no_contact_days())
    begin, end = _week_bounds(now)
    # The outer row is an active current supervisee, so their clients are the ones
    # `clients_visible_q(supervisor)` lets through: the subqueries need not test it again.
    in_care = Q(client__status__in=IN_CARE)
    active = Q(client__status=Client.Status.ACTIVE)
    mine = OuterRef("pk")
    supervisees = list(
        User.objects.filter(is_active=True, pk__in=access.supervisee_ids(supervisor))
        .annotate(
            sessions_week=_count(
                Appointment.objects.filter(
                    therapist_id=mine,
                    starts_at__gte=begin,
                    starts_at__lt=end,
                    status__in=[Appointment.Status.ATTENDED, Appointment.Status.SCHEDULED],
                )
            ),
            late_notes=_count(
                Appointment.objects.filter(session_selectors.late_note_q(now), therapist_id=mine)
            ),
            cosign=_count(
                SessionNote.objects.filter(
                    status=SessionNote.Status.AWAITING_COSIGN, author_id=mine
                )
            ),
            alerts=_count(
                RatingAlert.objects.filter(acknowledged_at__isnull=True, client__therapist_id=mine)
            ),
            reviews_overdue=_count(
                Goal.objects.filter(
                    active,
                    client__therapist_id=mine,
                    status=Goal.Status.ACTIVE,
                    review_date__lt=today,
                )
            ),
            consents_expiring=_count(
                Consent.objects.filter(
                    in_care,
                    client__therapist_id=mine,
                    revoked_on__isnull=True,
                    effective_on__lte=today,
                    expires_on__gte=today,
                    expires_on__lte=warn_until,
                )
            ),
        )
        .order_by("full_name")
    )
    if not supervisees:
        return []
    is_active = Q(status=Client.Status.ACTIVE)
    per_therapist = (
        Client.objects.filter(clients_visible_q(supervisor))
        .filter(
            therapist_id__in=[t.pk for t in supervisees],
            therapist__is_active=True,
            status__in=IN_CARE,
        )
        .order_by()
        .values("therapist_id")
        .annotate(
            caseload=Count("pk", filter=is_active),
            risk=Count("pk", filter=risk_selectors.has_unresolved_q()),
            screening=Count("pk", filter=assessment_selectors.severity_flag_expression()),
            no_contact=Count(
                "pk",
                filter=is_active
                & Q(created_at__lte=silent_since)
                & ~Q(
                    Exists(
                        Appointment.objects.filter(
                            client=OuterRef("pk"),
                            status=Appointment.Status.ATTENDED,
                            starts_at__gte=silent_since,
                            starts_at__lte=now,
                        )
                    )
                ),
            ),
            measures_overdue=Sum(
                assessment_selectors.overdue_measures_expression(today), filter=is_active
            ),
            medical=Count("pk", filter=is_active & medical_open_q()),
        )
    )
    numbers = {row.pop("therapist_id"): row for row in per_therapist}
    tallies = [
        Tally(
            therapist=t,
            numbers={
                **numbers.get(t.pk, {}),
                **{key: getattr(t, key) for key in TALLIED_PER_THERAPIST},
            },
        )
        for t in supervisees
    ]
    return sorted(tallies, key=lambda b: (*b.attention_key(), b.therapist.full_name))


TALLIED_PER_THERAPIST = [
    "sessions_week",
    "late_notes",
    "cosign",
    "alerts",
    "reviews_overdue",
    "consents_expiring",
]


# --- Supervision records -----------------------------------------------------------------------


# The meetings page lists this many a page.
MEETINGS_PAGE_SIZE = 25


def meetings_for(*, user: User) -> QuerySet[SupervisionMeeting]:
    """Meetings `user` recorded as supervisor or attended as supervisee, newest first, with
    the two people and the number of clients discussed (`clients_discussed`). The list shows
    no guidance or follow-ups, so they are neither read nor decrypted; the number of clients
    is a scalar subquery, which a paginator's count leaves out."""
    discussed = (
        SupervisionMeeting.clients.through.objects.filter(supervisionmeeting_id=OuterRef("pk"))
        .order_by()
        .values("supervisionmeeting_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        SupervisionMeeting.objects.filter(meetings_visible_q(user))
        .select_related("supervisor", "supervisee")
        .defer("guidance", "follow_ups")
        .annotate(clients_discussed=Coalesce(Subquery(discussed), 0))
        .order_by("-met_on", "-id")
    )


def comments_for(*, user: User) -> QuerySet[ChartComment]:
    """Chart comments `user` wrote or that concern their clients, open ones first."""
    return (
        ChartComment.objects.filter(comments_visible_q(user))
        .select_related("client", "author", "acknowledged_by")
        .order_by(F("acknowledged_at").desc(nulls_first=True), "-created_at", "-id")
    )


# --- Fidelity reviews --------------------------------------------------------------------------

# The trend shows a trainee's latest reviews, not their whole history: one query whose rows do
# not grow with the years of supervision.
FIDELITY_TREND_LIMIT = 26


@dataclass(frozen=True)
class ItemTrend:
    item: Item
    # (session date, rating) oldest first, for the chart.
    points: list[tuple[datetime.date, int]]

    @property
    def average(self) -> float | None:
        if not self.points:
            return None
        return sum(r for _d, r in self.points) / len(self.points)


@dataclass(frozen=True)
class FidelityTrend:
    reviews: list[FidelityReview]  # newest first, for the table
    items: list[ItemTrend]
    rating_max: int = RATING_MAX


def fidelity_reviews_for(*, user: User) -> QuerySet[FidelityReview]:
    """The fidelity reviews `user` may read (hrp/access.py), with who wrote them."""
    return FidelityReview.objects.filter(access.fidelity_reviews_visible_q(user)).select_related(
        "supervisor", "therapist"
    )


def fidelity_trend(*, user: User, trainee: User) -> FidelityTrend:
    """The latest FIDELITY_TREND_LIMIT reviews of `trainee` that `user` may read, and each
    checklist item over them, oldest first. One query; the comment's text is not read."""
    reviews = list(
        fidelity_reviews_for(user=user)
        .filter(therapist=trainee)
        .defer("comment")
        .order_by("-session_on", "-id")[:FIDELITY_TREND_LIMIT]
    )
    oldest_first = list(reversed(reviews))
    items = []
    for item in ITEMS:
        points = [
            (review.session_on, review.ratings[item.key])
            for review in oldest_first
            if isinstance(review.ratings, dict) and review.ratings.get(item.key) in RATING_LABELS
        ]
        items.append(ItemTrend(item=item, points=points))
    for review in reviews:
        ratings = review.ratings if isinstance(review.ratings, dict) else {}
        review.rated = [(item, RATING_LABELS.get(ratings.get(item.key), "—")) for item in ITEMS]
    return FidelityTrend(reviews=reviews, items=items)
