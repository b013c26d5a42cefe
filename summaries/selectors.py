"""Reads for progress summaries: the figures of one client's summary, the supervisor's caseload
summary (a constant number of queries whatever the number of clients), and the summary rows
the pages list.

Definitions (the summary page repeats them in plain words):
- The period is a range of dates in the clinic's time zone, both ends included.
- Attendance counts appointments that start in the period, by their recorded status; a moved
  appointment ("rescheduled") is counted at its new time only.
- Goals: those started on or before the period's end that are still active, or that had a
  review in the period; each with its reviews up to the period's end, oldest first.
- Use against the plan, per substance: the weekly check-ins whose week (Monday) starts in the
  period. "% of days within plan" = (7 x weeks recorded - days above plan) / (7 x weeks
  recorded), rounded to a whole percent; any day within the client's own plan counts, use or
  not, and weeks with no check-in are left out rather than guessed.
- Measures: each measure's administrations in the period (corrected ones replaced by their
  correction), with the score and its band.
- Session ratings: the client's total (0-40) for each rated session in the period.
- Flags: those open on the chart when the summary is prepared.
- Supplies: what was given (quantity) or referred elsewhere (times) per item on days in the
  period; records set aside as recorded in error are left out.
- Referrals: those offered by the period's end that were open at its end or had a step in it,
  each with its status at the period's end.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from assessments import selectors as assessment_selectors
from assessments.measures import MEASURES, Measure
from assessments.models import Administration
from assessments.selectors import Strength
from clients import extensions
from clients.models import Client
from clients.selectors import Flag, _expiring_consents, chart_flags, split_flags
from goals.models import Goal, GoalReview, UseCheckIn
from hrp import access, formats, svg
from hrp.accounts.models import User
from hrp.clinic import clinic_setting
from linkage import selectors as linkage_selectors
from linkage.selectors import ReferralSummary
from sessions import selectors as session_selectors
from sessions.models import Appointment, RatingAlert
from summaries.models import SummaryRequest
from supplies import selectors as supplies_selectors
from supplies.selectors import ItemTotal

DEFAULT_PERIOD_DAYS = 90


def default_period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last 90 days ending today, both ends included."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def period_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """[start 00:00, the day after end 00:00) in the clinic's time zone."""
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def percent_within_plan(weeks_recorded: int, days_above_plan: int) -> int | None:
    """(7 x weeks - days above plan) / (7 x weeks), as a whole percent; None without weeks."""
    if not weeks_recorded:
        return None
    days = 7 * weeks_recorded
    return round(100 * (days - days_above_plan) / days)


# --- One client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    attended: int
    missed: int
    cancelled_by_client: int
    cancelled_by_clinic: int
    scheduled: int

    @property
    def total(self) -> int:
        return (
            self.attended
            + self.missed
            + self.cancelled_by_client
            + self.cancelled_by_clinic
            + self.scheduled
        )


def _attendance(counts: dict[str, int]) -> Attendance:
    status = Appointment.Status
    return Attendance(
        attended=counts.get(status.ATTENDED, 0),
        missed=counts.get(status.NO_SHOW, 0),
        cancelled_by_client=counts.get(status.CANCELLED_CLIENT, 0),
        cancelled_by_clinic=counts.get(status.CANCELLED_CLINIC, 0),
        scheduled=counts.get(status.SCHEDULED, 0),
    )


@dataclass(frozen=True)
class GoalSummary:
    goal: Goal
    reviews: list[GoalReview]


@dataclass(frozen=True)
class UseWeek:
    week_start: datetime.date
    use_days: int
    days_above_plan: int


@dataclass(frozen=True)
class SubstanceSummary:
    name: str
    weeks: list[UseWeek]
    target_days: int | None  # an active goal's "at most N use days a week", if any
    chart: SafeString

    @property
    def weeks_recorded(self) -> int:
        return len(self.weeks)

    @property
    def use_days(self) -> int:
        return sum(w.use_days for w in self.weeks)

    @property
    def days_above_plan(self) -> int:
        return sum(w.days_above_plan for w in self.weeks)

    @property
    def percent_days_within_plan(self) -> int | None:
        return percent_within_plan(self.weeks_recorded, self.days_above_plan)


@dataclass(frozen=True)
class MeasurePoint:
    date: datetime.date
    score: int
    band_label: str


@dataclass(frozen=True)
class MeasureSummary:
    measure: Measure
    points: list[MeasurePoint]
    chart: SafeString

    @property
    def change(self) -> int | None:
        return self.points[-1].score - self.points[0].score if len(self.points) > 1 else None


@dataclass(frozen=True)
class RatingPoint:
    date: datetime.date
    total: int
    alert: bool


@dataclass(frozen=True)
class SummaryData:
    client: Client
    start: datetime.date
    end: datetime.date
    attendance: Attendance
    goals: list[GoalSummary]
    substances: list[SubstanceSummary]
    measures: list[MeasureSummary]
    ratings: list[RatingPoint]
    ratings_chart: SafeString | None
    flags: list[Flag]
    screening: list[Flag]  # screening results, shown apart from the flags
    prepared_at: datetime.datetime = field(default_factory=timezone.now)
    supplies: list[ItemTotal] = field(default_factory=list)
    referrals: list[ReferralSummary] = field(default_factory=list)
    # The client's strengths and resources as they stood at the period's end (issue 16).
    strengths: list[Strength] = field(default_factory=list)

    @property
    def average_rating(self) -> float | None:
        if not self.ratings:
            return None
        return round(sum(p.total for p in self.ratings) / len(self.ratings), 1)


def _summary_clients_qs() -> QuerySet[Client]:
    qs = Client.objects.select_related("therapist", "referral", "intake").annotate(
        consent_expiring=Exists(_expiring_consents(timezone.localdate()))
    )
    return extensions.annotate_flags(qs)


def summary_client(pk: int) -> Client:
    """The client of a summary being prepared, with what the chart header's flags read.

    Access was checked when the summary was requested and is checked again whenever it is
    shown or downloaded; the worker preparing it acts for no user.
    """
    return _summary_clients_qs().get(pk=pk)


def summary_clients(pks: Iterable[int]) -> dict[int, Client]:
    """`summary_client` for a group of clients (the monthly round), in the same fixed number
    of queries whatever the size of the group; missing ids are left out."""
    return {client.pk: client for client in _summary_clients_qs().filter(pk__in=list(pks))}


def _week_label(day: datetime.date) -> str:
    return formats.day_month(day)


def summary_data(client: Client, start: datetime.date, end: datetime.date) -> SummaryData:
    """Every figure of a client's progress summary for the period [start, end] (module
    docstring for the definitions). `client` should come from `summary_client` (or
    `clients.selectors.chart_client`) so that its flags are read from annotations."""
    return summaries_data([client], start, end)[client.pk]


def _by_client(rows: Iterable[Any]) -> dict[int, list[Any]]:
    """Rows split per client, each list keeping the query's order."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.client_id].append(row)
    return grouped


def summaries_data(
    clients: Sequence[Client], start: datetime.date, end: datetime.date
) -> dict[int, SummaryData]:
    """`summary_data` for several clients over the same period, by client id: one query per
    kind of figure for the whole group (attendance, goals and their reviews, check-ins,
    measures, ratings, the clinic's threshold), so a group of 1 and a group of 50 cost the
    same number of queries, and each query reads only the period's rows. One code path: a
    single summary is a group of one, so both give the same figures."""
    ids = [client.pk for client in clients]
    begin, finish = period_bounds(start, end)

    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for client_id, state, n in (
        Appointment.objects.filter(client_id__in=ids, starts_at__gte=begin, starts_at__lt=finish)
        .values_list("client_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[client_id][state] = n

    goals = _by_client(
        Goal.objects.filter(client_id__in=ids, start_date__lte=end)
        .filter(
            Q(status=Goal.Status.ACTIVE)
            | Q(reviews__reviewed_on__gte=start, reviews__reviewed_on__lte=end)
        )
        .distinct()
        .select_related("substance")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=GoalReview.objects.filter(reviewed_on__lte=end).order_by(
                    "reviewed_on", "id"
                ),
                to_attr="reviews_until_end",
            )
        )
        .order_by("status", "review_date", "id")
    )
    checkins = _by_client(
        UseCheckIn.objects.filter(client_id__in=ids, week_start__gte=start, week_start__lte=end)
        .select_related("substance")
        .order_by("substance__recorded_at", "substance_id", "week_start")
    )
    administrations = _by_client(
        Administration.objects.filter(
            client_id__in=ids,
            administered_at__gte=begin,
            administered_at__lt=finish,
            corrected_by__isnull=True,
        )
        .only("id", "client_id", "measure_code", "score", "band", "administered_at")
        .order_by("administered_at", "id")
    )
    # Each rated session once, by the one rule of sessions.selectors.rated_sessions (the
    # client's own later rating when there is one, else the in-session one).
    notes = _by_client(
        session_selectors.rated_sessions(list(ids))
        .filter(starts_at__gte=begin, starts_at__lt=finish)
        .annotate(has_alert=Exists(RatingAlert.objects.filter(note__appointment_id=OuterRef("pk"))))
        .only("id", "client_id", "starts_at")
        .order_by("starts_at", "id")
    )
    supplies = supplies_selectors.totals_by_client(ids, start, end)
    referrals = linkage_selectors.summaries_by_client(ids, begin, finish)
    strengths = assessment_selectors.strengths_by_client(clients, as_of=end)
    # Read once for the group: the same value on every summary of the round.
    threshold = clinic_setting("RATING_ALERT_THRESHOLD")

    return {
        client.pk: _client_summary(
            client,
            start,
            end,
            counts=counts.get(client.pk, {}),
            goals=goals.get(client.pk, []),
            checkins=checkins.get(client.pk, []),
            administrations=administrations.get(client.pk, []),
            notes=notes.get(client.pk, []),
            threshold=threshold,
            supplies=supplies.get(client.pk, []),
            referrals=referrals.get(client.pk, []),
            strengths=strengths.get(client.pk, []),
        )
        for client in clients
    }


def _client_summary(
    client: Client,
    start: datetime.date,
    end: datetime.date,
    *,
    counts: dict[str, int],
    goals: list[Goal],
    checkins: list[UseCheckIn],
    administrations: list[Administration],
    notes: list[Appointment],  # rated sessions (sessions.selectors.rated_sessions)
    threshold: int,
    supplies: list[ItemTotal],
    referrals: list[ReferralSummary],
    strengths: list[Strength],
) -> SummaryData:
    """One client's figures from the rows `summaries_data` read (no query)."""
    goal_summaries = [GoalSummary(g, list(g.reviews_until_end)) for g in goals]  # type: ignore[attr-defined]
    targets: dict[int, int] = {}
    for goal in goals:
        if (
            goal.is_open
            and goal.substance_id
            and goal.target == Goal.Target.MAX_USE_DAYS
            and goal.target_value is not None
        ):
            targets.setdefault(goal.substance_id, int(goal.target_value))

    by_substance: dict[int, list[UseCheckIn]] = defaultdict(list)
    for checkin in checkins:
        by_substance[checkin.substance_id].append(checkin)
    substances = []
    for substance_id, rows in by_substance.items():
        name = rows[0].substance.name
        weeks = [UseWeek(c.week_start, c.use_days, c.days_above_plan) for c in rows]
        target = targets.get(substance_id)
        substances.append(
            SubstanceSummary(
                name=name,
                weeks=weeks,
                target_days=target,
                chart=svg.bar_chart(
                    _("%(name)s: use days a week") % {"name": name},
                    [_week_label(w.week_start) for w in weeks],
                    [w.use_days for w in weeks],
                    y_max=7,
                    target=target,
                    target_label=_("goal: at most %(n)d") % {"n": target}
                    if target is not None
                    else "",
                ),
            )
        )

    by_measure: dict[str, list[Administration]] = defaultdict(list)
    for administration in administrations:
        by_measure[administration.measure_code].append(administration)
    measures = []
    for code in MEASURES:  # the registry's order, the same in every summary
        measure_rows = by_measure.get(code)
        if not measure_rows:
            continue
        measure = MEASURES[code]
        points = [
            MeasurePoint(timezone.localdate(a.administered_at), a.score, a.band_label)
            for a in measure_rows
        ]
        measures.append(
            MeasureSummary(
                measure=measure,
                points=points,
                chart=svg.line_chart(
                    _("%(measure)s scores") % {"measure": measure.name},
                    [formats.day_month(p.date) for p in points],
                    [p.score for p in points],
                    y_max=measure.score_max,
                    bands=_bands(code),
                ),
            )
        )

    ratings = [
        RatingPoint(timezone.localdate(n.starts_at), n.rating_total or 0, n.has_alert)  # type: ignore[attr-defined]
        for n in notes
    ]
    ratings_chart = None
    if ratings:
        ratings_chart = svg.line_chart(
            _("Session rating totals (0-40)"),
            [formats.day_month(p.date) for p in ratings],
            [p.total for p in ratings],
            y_max=40,
            threshold=threshold,
            threshold_label=_("clinic threshold %(n)d") % {"n": threshold},
        )

    flags, screening = split_flags(chart_flags(client))
    return SummaryData(
        client=client,
        start=start,
        end=end,
        attendance=_attendance(counts),
        goals=goal_summaries,
        substances=substances,
        measures=measures,
        ratings=ratings,
        ratings_chart=ratings_chart,
        flags=flags,
        screening=screening,
        supplies=supplies,
        referrals=referrals,
        strengths=strengths,
    )


def _bands(code: str) -> list[svg.Band]:
    return [svg.Band(b.low, b.high, str(b.label)) for b in MEASURES[code].bands]


# --- A supervisor's caseload ------------------------------------------------------------------


@dataclass
class CaseloadRow:
    client: Client
    attended: int = 0
    missed: int = 0
    cancelled_by_client: int = 0
    cancelled_by_clinic: int = 0
    active_goals: int = 0
    goal_reviews: int = 0
    weeks_recorded: int = 0
    days_above_plan: int = 0
    rated_sessions: int = 0
    rating_sum: int = 0
    open_rating_alerts: int = 0

    @property
    def percent_days_within_plan(self) -> int | None:
        return percent_within_plan(self.weeks_recorded, self.days_above_plan)

    @property
    def average_rating(self) -> float | None:
        if not self.rated_sessions:
            return None
        return round(self.rating_sum / self.rated_sessions, 1)


def caseload_clients(supervisor: User, start: datetime.date) -> QuerySet[Client]:
    """The clients of the supervisor's current supervisees (not those discharged before the
    period), through the same rule that lets the supervisor read their charts."""
    return (
        Client.objects.filter(access.clients_visible_q(supervisor))
        .filter(therapist_id__in=access.supervisee_ids(supervisor))
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=start))
        .select_related("therapist")
        .only(
            "id",
            "chart_number",
            "preferred_name",
            "legal_name",
            "status",
            "therapist__id",
            "therapist__full_name",
        )
        .order_by("therapist__full_name", "chart_number")
    )


def caseload_summary(
    supervisor: User, start: datetime.date, end: datetime.date
) -> list[CaseloadRow]:
    """One row per client of the supervisor's current supervisees with the period's key
    counts: six queries whatever the number of clients (clients, then one grouped query each
    for appointments, goals, goal reviews, use check-ins and session ratings)."""
    begin, finish = period_bounds(start, end)
    clients = list(caseload_clients(supervisor, start))
    rows = {c.pk: CaseloadRow(client=c) for c in clients}
    if not rows:
        return []
    ids = list(rows)

    status = Appointment.Status
    fields = {
        status.ATTENDED: "attended",
        status.NO_SHOW: "missed",
        status.CANCELLED_CLIENT: "cancelled_by_client",
        status.CANCELLED_CLINIC: "cancelled_by_clinic",
    }
    for client_id, state, n in (
        Appointment.objects.filter(
            client_id__in=ids, starts_at__gte=begin, starts_at__lt=finish, status__in=fields
        )
        .values_list("client_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        setattr(rows[client_id], fields[state], n)

    for client_id, n in (
        Goal.objects.filter(client_id__in=ids, status=Goal.Status.ACTIVE, start_date__lte=end)
        .values_list("client_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        rows[client_id].active_goals = n

    for client_id, n in (
        GoalReview.objects.filter(
            goal__client_id__in=ids, reviewed_on__gte=start, reviewed_on__lte=end
        )
        .values_list("goal__client_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        rows[client_id].goal_reviews = n

    for client_id, weeks, above in (
        UseCheckIn.objects.filter(client_id__in=ids, week_start__gte=start, week_start__lte=end)
        .values_list("client_id")
        .annotate(weeks=Count("id"), above=Sum("days_above_plan"))
        .order_by()
    ):
        rows[client_id].weeks_recorded = weeks
        rows[client_id].days_above_plan = above or 0

    for client_id, n, total, alerts in (
        session_selectors.rated_sessions(list(ids))
        .filter(starts_at__gte=begin, starts_at__lt=finish)
        .values_list("client_id")
        .annotate(
            n=Count("id"),
            total=Sum("rating_total"),
            alerts=Count(
                "note__rating_alert",
                filter=Q(note__rating_alert__acknowledged_at__isnull=True),
            ),
        )
        .order_by()
    ):
        row = rows[client_id]
        row.rated_sessions = n
        row.rating_sum = total
        row.open_rating_alerts = alerts

    return [rows[c.pk] for c in clients]


# --- Summary rows -----------------------------------------------------------------------------

# The list and the status fragment never load the encrypted bytes.
LIGHT_FIELDS = ("pdf", "html")


def summaries_for(client: Client) -> QuerySet[SummaryRequest]:
    """The client's summaries (requested and monthly), newest first, without their bytes."""
    return (
        SummaryRequest.objects.filter(client=client)
        .defer(*LIGHT_FIELDS)
        .order_by("-requested_at", "-id")
    )


def caseload_summaries_for(supervisor: User) -> QuerySet[SummaryRequest]:
    """The supervisor's caseload summaries they may still open (see summary_for)."""
    moved = access.supervisions_ended_within(
        supervisor, OuterRef("requested_at"), OuterRef("finished_at")
    )
    return (
        SummaryRequest.objects.filter(kind=SummaryRequest.Kind.CASELOAD, supervisor=supervisor)
        .exclude(Exists(moved))
        .defer(*LIGHT_FIELDS)
        .order_by("-requested_at", "-id")
    )


def summary_for(
    user: Any, pk: int, *, with_bytes: bool = False
) -> tuple[SummaryRequest, access.ClientAccess]:
    """A summary as `user` may see it, with what they may do with it; 404 otherwise.

    A client's summary (requested or monthly) is visible to whoever may read the client's
    chart now (hrp.access.client_for: the therapist and their supervisor), and is acted on
    (tried again) by the client's care team. A caseload summary is visible to the supervisor
    it was prepared for, while they are a supervisor and while every trainee it covered is
    still theirs: once a trainee moves to another supervisor, the summaries that showed that
    trainee's clients are gone for the old supervisor (checked at each request).
    """
    # The client's therapist too: the clinician's copy of the PDF names them.
    qs = SummaryRequest.objects.select_related("client", "client__therapist")
    if not with_bytes:
        qs = qs.defer(*LIGHT_FIELDS)
    try:
        summary = qs.get(pk=pk)
    except SummaryRequest.DoesNotExist:
        raise Http404 from None
    if summary.kind == SummaryRequest.Kind.CASELOAD:
        if not (access.is_supervisor(user) and summary.supervisor_id == user.pk):
            raise Http404
        if access.supervisions_ended_within(
            user, summary.requested_at, summary.finished_at
        ).exists():
            raise Http404
        return summary, access.ClientAccess(read=True, write=False, supervise=True)
    _client, can = access.client_for(user, summary.client_id)
    return summary, can
