"""Reads for assessments: trends, latest scores, due measures and flags.

The caseload and chart header read the same things for many clients at once. They get them
through `prefetch_for_clients`, one extra query per kind of record whatever the number of
clients, and the helpers below work on the prefetched lists without touching the database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.db.models.lookups import Exact, LessThan
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.measures import MEASURES, Measure, screening_measures
from assessments.models import OVERDOSE_FACTORS, Administration, HarmAssessment
from clients.models import Client
from clients.selectors import SCREENING, Flag
from hrp.clinic import clinic_setting


def measure_interval(code: str) -> datetime.timedelta:
    """The clinic's re-administration interval for a measure (the MEASURE_INTERVAL_WEEKS setting,
    else the registry's default)."""
    weeks = clinic_setting("MEASURE_INTERVAL_WEEKS").get(code)
    return datetime.timedelta(weeks=weeks) if weeks else MEASURES[code].default_interval


def _not_corrected() -> Exists:
    # `corrects` is set on the few corrections only: saying so lets PostgreSQL read them from
    # their unique index instead of hashing the whole table for an anti-join.
    return ~Exists(
        Administration.objects.filter(corrects_id=OuterRef("pk"), corrects__isnull=False)
    )


def prefetch_for_clients(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Attach what the caseload, chart header and dashboard show of each client's assessments,
    read so that the rows do not grow with the client's history (two queries for any number
    of clients). Idempotent: the caseload column and the flag source both ask for it.

    `prefetched_current_administrations`: per measure, the latest administration that no later
    one corrects (the first row per client and measure by `ROW_NUMBER()`, in the order of the
    (client, measure, date) index: as `DISTINCT ON`, and portable to the SQLite demo).
    `prefetched_harm_assessments`: the latest harm assessment only."""
    already = _prefetched(qs)
    if CURRENT_ADMINISTRATIONS in already or FULL_HISTORY in already:
        return qs
    current = (
        Administration.objects.filter(_not_corrected())
        .annotate(
            rank_in_group=Window(
                RowNumber(),
                partition_by=[F("client_id"), F("measure_code")],
                order_by=[F("administered_at").desc(), F("id").desc()],
            )
        )
        .filter(rank_in_group=1)
        .defer("answers")
        .order_by("-administered_at", "-id")
    )
    return qs.prefetch_related(
        Prefetch("administrations", queryset=current, to_attr=CURRENT_ADMINISTRATIONS),
        _latest_harm_prefetch(),
    )


# --- The same flags as SQL expressions on a client query (OuterRef("pk")), for pages that count
# them over many clients without reading each client's records (the supervisor dashboard).


def _latest_current_of(code: str, *, by_date_only: bool = False) -> QuerySet[Administration]:
    # Walks the (client, measure, date) index from the newest row: one row read per client.
    # Reading only the date, ties on it need no order by id (no sort step per client).
    order = ["-administered_at"] if by_date_only else ["-administered_at", "-id"]
    return Administration.objects.filter(
        _not_corrected(), client=OuterRef("pk"), measure_code=code
    ).order_by(*order)


def severity_flag_expression() -> Q:
    """True for a client whose latest AUDIT / DAST-10 is at its severity threshold, as
    `severity_flags` has it. (Suicide and overdose risk are risk.RiskFlag rows.)"""
    flagged = Q(pk__in=[])
    # Only measures with a threshold ever set `severity_flag` (assessments/services.py).
    for code in screening_measures():
        latest = _latest_current_of(code).values("severity_flag")[:1]
        flagged |= Q(Exact(Subquery(latest), True))
    return flagged


def overdue_measures_expression(today: datetime.date) -> Any:
    """How many of the client's measures are overdue as `due_measures` has them (due before
    `today`): per measure, the latest current administration is older than today's start less
    the interval."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz)
    total: Any = Value(0)
    for code in MEASURES:
        latest = _latest_current_of(code, by_date_only=True).values("administered_at")[:1]
        total += Case(
            When(LessThan(Subquery(latest), start - measure_interval(code)), then=Value(1)),
            default=Value(0),
        )
    return total


def _latest_harm_prefetch() -> Prefetch:
    return Prefetch(
        "harm_assessments",
        queryset=HarmAssessment.objects.only(
            "id",
            "client_id",
            "assessed_on",
            "overdose_risk",
            *[key for key, _label in _overdose_factor_fields()],
        )
        # A sliced prefetch: Django reads the first row per client (ROW_NUMBER() per client).
        .order_by("-assessed_on", "-id")[:1],
        to_attr="prefetched_harm_assessments",
    )


CURRENT_ADMINISTRATIONS = "prefetched_current_administrations"
FULL_HISTORY = "prefetched_administrations"


def _prefetched(qs: QuerySet[Client]) -> set[str | None]:
    return {
        getattr(lookup, "to_attr", None) for lookup in getattr(qs, "_prefetch_related_lookups", ())
    }


def with_history(qs: QuerySet[Client]) -> QuerySet[Client]:
    """For the pages of one client that show their measures' history (the chart's Assessments
    section, a trend): every administration, newest first, in place of the latest ones that
    `prefetch_for_clients` would load; flags and latest scores then read the same list. Never
    for lists of clients."""
    return qs.prefetch_related(
        Prefetch(
            "administrations",
            queryset=Administration.objects.order_by("-administered_at", "-id"),
            to_attr=FULL_HISTORY,
        ),
        _latest_harm_prefetch(),
    )


def _newest_first(administrations: list[Administration]) -> list[Administration]:
    return sorted(administrations, key=lambda a: (a.administered_at, a.pk), reverse=True)


def _overdose_factor_fields() -> list[tuple[str, Any]]:
    return OVERDOSE_FACTORS


def _administrations(client: Client) -> list[Administration]:
    """The client's whole history, newest first: for the pages that show it (trend, history),
    never for lists of clients."""
    cached = getattr(client, FULL_HISTORY, None)
    if cached is None:
        cached = list(client.administrations.order_by("-administered_at", "-id"))
    return cached


def _current(administrations: list[Administration]) -> list[Administration]:
    """Administrations that have not been corrected by a later one."""
    corrected = {a.corrects_id for a in administrations if a.corrects_id}
    return [a for a in administrations if a.pk not in corrected]


def _current_for_flags(client: Client) -> list[Administration]:
    """Current administrations, newest first: from `prefetch_for_clients` when the client came
    through it (the latest of each measure only), else the client's whole history."""
    prefetched = getattr(client, CURRENT_ADMINISTRATIONS, None)
    if prefetched is not None:
        return _newest_first(prefetched)
    return _current(_administrations(client))


def latest_by_measure(client: Client) -> dict[str, Administration]:
    latest: dict[str, Administration] = {}
    for administration in _current_for_flags(client):
        latest.setdefault(administration.measure_code, administration)
    return latest


def screening_label(administration: Administration) -> str:
    """A screening result in neutral words: the measure, its score and its band ("AUDIT 22:
    possible dependence"), as the registry names the band."""
    return _("%(measure)s %(score)d: %(band)s") % {
        "measure": administration.measure.name,
        "score": administration.score,
        "band": administration.band_short,
    }


def severity_flags(client: Client) -> list[Administration]:
    """The latest AUDIT / DAST-10 when it is at or above its severity threshold, in the
    registry's order (so every page lists them alike)."""
    latest = latest_by_measure(client)
    return [latest[code] for code in MEASURES if code in latest and latest[code].severity_flag]


def latest_harm_assessment(client: Client) -> HarmAssessment | None:
    cached = getattr(client, "prefetched_harm_assessments", None)
    if cached is None:
        cached = list(client.harm_assessments.order_by("-assessed_on", "-id")[:1])
    return cached[0] if cached else None


@dataclass(frozen=True)
class Due:
    measure: Measure
    last: Administration
    due_on: datetime.date

    @property
    def overdue(self) -> bool:
        return self.due_on < timezone.localdate()


def due_measures(client: Client, *, within_days: int = 0) -> list[Due]:
    """Measures the client has had before whose interval has run out (or runs out within
    `within_days`). A measure never given is not "due": starting one is a clinical choice."""
    horizon = timezone.localdate() + datetime.timedelta(days=within_days)
    due = []
    for code, last in latest_by_measure(client).items():
        due_on = timezone.localdate(last.administered_at + measure_interval(code))
        if due_on <= horizon:
            due.append(Due(MEASURES[code], last, due_on))
    return sorted(due, key=lambda d: d.due_on)


def due_for_clients(
    clients: QuerySet[Client], *, within_days: int = 0
) -> list[tuple[Client, list[Due]]]:
    """`due_measures` for a list of clients (the therapist's due list), in the clients' order,
    only the clients with something due.

    Two queries whatever the history: the clients, each with the id of its latest current
    administration of every measure (one index probe per client and measure, LIMIT 1, as the
    dashboard counts them), then those administrations. The window prefetch of
    `prefetch_for_clients` would rank every administration the clients ever had."""
    latest = {
        f"latest_{code}_id": Subquery(_latest_current_of(code).values("id")[:1])
        for code in MEASURES
    }
    rows = list(clients.annotate(**latest))
    ids = [getattr(c, name) for c in rows for name in latest if getattr(c, name) is not None]
    # The list shows the measure and its due date: the rest of each row is not read.
    by_id = Administration.objects.only("id", "client_id", "measure_code", "administered_at")
    by_id = by_id.in_bulk(ids)
    horizon = timezone.localdate() + datetime.timedelta(days=within_days)
    listed = []
    for client in rows:
        due = []
        for code in MEASURES:
            last = by_id.get(getattr(client, f"latest_{code}_id"))
            if last is None:
                continue
            due_on = timezone.localdate(last.administered_at + measure_interval(code))
            if due_on <= horizon:
                due.append(Due(MEASURES[code], last, due_on))
        if due:
            listed.append((client, sorted(due, key=lambda d: d.due_on)))
    return listed


@dataclass(frozen=True)
class TrendPoint:
    administration: Administration
    at: datetime.datetime
    score: int
    band_label: str
    change_from_previous: int | None
    meaningful: bool


@dataclass(frozen=True)
class Trend:
    measure: Measure
    points: list[TrendPoint]
    change_since_first: int | None
    change_since_last: int | None
    meaningful_since_first: bool
    meaningful_since_last: bool

    @property
    def direction_since_first(self) -> str:
        return _direction(self.measure, self.change_since_first)

    @property
    def direction_since_last(self) -> str:
        return _direction(self.measure, self.change_since_last)


def _direction(measure: Measure, change: int | None) -> str:
    if not change:
        return "same"
    better = change > 0 if measure.higher_is_better else change < 0
    return "better" if better else "worse"


def _meaningful(measure: Measure, change: int | None) -> bool:
    return bool(
        change is not None
        and measure.meaningful_change is not None
        and abs(change) >= measure.meaningful_change
    )


def trend(client: Client, measure: Measure) -> Trend:
    """A client's scores on one measure, oldest first, with change since the first and the
    previous administration and meaningful change marked (PHQ-9 5+, GAD-7 4+, WHO-5 10+)."""
    administrations = [
        a for a in reversed(_current(_administrations(client))) if a.measure_code == measure.code
    ]
    points: list[TrendPoint] = []
    previous: Administration | None = None
    for a in administrations:
        change = a.score - previous.score if previous else None
        points.append(
            TrendPoint(
                a, a.administered_at, a.score, a.band_label, change, _meaningful(measure, change)
            )
        )
        previous = a
    since_first = points[-1].score - points[0].score if len(points) > 1 else None
    since_last = points[-1].change_from_previous if points else None
    return Trend(
        measure=measure,
        points=points,
        change_since_first=since_first,
        change_since_last=since_last,
        meaningful_since_first=_meaningful(measure, since_first),
        meaningful_since_last=_meaningful(measure, since_last),
    )


def history(client: Client) -> list[Administration]:
    """Every administration of the client, newest first, corrections included."""
    return _administrations(client)


def chart_data(trend: Trend) -> dict[str, Any]:
    """What the trend chart script draws: points and band edges, as plain JSON."""
    measure = trend.measure
    return {
        "label": measure.name,
        "max": measure.score_max,
        "higherIsBetter": measure.higher_is_better,
        "points": [
            {"x": timezone.localtime(p.at).strftime("%Y-%m-%d"), "y": p.score} for p in trend.points
        ],
        "bands": [
            {"low": band.low, "high": band.high, "label": str(band.label)} for band in measure.bands
        ],
    }


def caseload_flags(client: Client) -> list[Any]:
    """Flags for the chart header and caseload, from prefetched records only. A screening
    measure's result at its threshold is a "screening" flag, shown under Screening, never
    beside risk (suicide and overdose risk flags come from the risk app's flag source)."""
    flags = []
    for administration in severity_flags(client):
        flags.append(Flag(screening_label(administration), SCREENING))
    due = due_measures(client)
    if due:
        flags.append(
            Flag(
                _("Measures due: %(names)s") % {"names": ", ".join(d.measure.name for d in due)},
                "info",
            )
        )
    return flags


def latest_for_caseload(client: Client) -> list[Administration]:
    """The latest current result of every measure the client has had, in the registry's order
    (assessments/measures.py): a measure added there shows here without a list to keep."""
    latest = latest_by_measure(client)
    return [latest[code] for code in MEASURES if code in latest]
