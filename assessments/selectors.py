"""Reads for assessments: trends, latest scores, due measures and flags.

The caseload and chart header read the same things for many clients at once. They get them
through `prefetch_for_clients`, one extra query per kind of record whatever the number of
clients, and the helpers below work on the prefetched lists without touching the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
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
from django.db.models.functions import Coalesce, RowNumber
from django.db.models.lookups import Exact, LessThan
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.measures import MEASURES, Measure, screening_measures
from assessments.models import OVERDOSE_FACTORS, Administration, HarmAssessment, IdentifiedHarm
from clients.models import STRENGTH_FIELDS, Client, Intake, SubstanceUse, stage_label
from clients.selectors import SCREENING, Flag
from hrp import formats
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
        "points": [{"x": formats.date(p.at), "y": p.score} for p in trend.points],
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


# --- Concrete harms ----------------------------------------------------------------------------

# Harms are shown grouped by substance, in the order the client's substances were recorded,
# with the harms of "use in general" last.
HARM_ORDER = [F("substance__recorded_at").asc(nulls_last=True), "substance_id", "id"]


def current_harms(client: Client) -> QuerySet[IdentifiedHarm]:
    """The harms named in the client's latest harm assessment, with their substance, in one
    query (the latest assessment is a subquery: one index probe, not the client's history).
    Each carries `thread` (the id its records share across assessments)."""
    latest = client.harm_assessments.order_by("-assessed_on", "-id").values("id")[:1]
    return (
        IdentifiedHarm.objects.filter(assessment_id=Subquery(latest))
        .select_related("substance")
        .annotate(thread=Coalesce("first_identified_id", "id"))
        .order_by(*HARM_ORDER)
    )


@dataclass(frozen=True)
class HarmGroup:
    """The harms that come with one substance (or, `substance` None, with use in general)."""

    substance: Any
    harms: list[IdentifiedHarm]

    @property
    def label(self) -> str:
        return self.substance.name if self.substance else _("Use in general")


def harms_by_substance(harms: Any) -> list[HarmGroup]:
    """Loaded harms (in HARM_ORDER) grouped by substance, for pages and the goal form."""
    groups: dict[int | None, HarmGroup] = {}
    for harm in harms:
        group = groups.get(harm.substance_id)
        if group is None:
            group = groups[harm.substance_id] = HarmGroup(harm.substance, [])
        group.harms.append(harm)
    return list(groups.values())


# --- Strengths and resources (issue 16) -------------------------------------------------------


@dataclass(frozen=True)
class Strength:
    """One of the client's strengths fields, in their words, with where and when it was said."""

    key: str
    label: Any
    text: str
    source: str  # "assessment" or "intake"
    on: datetime.date | None
    assessment_pk: int | None = None

    @property
    def source_label(self) -> str:
        return _("Harm assessment") if self.source == "assessment" else _("Intake")


STRENGTH_KEYS = [key for key, _label, _help in STRENGTH_FIELDS]


def current_strengths(client: Client) -> list[Strength]:
    """The client's current strengths, supports and past changes that worked, each with where
    and when it was said: the latest harm assessment's, else the intake's, field by field (a
    latest assessment that left a field empty, as those stored before these fields existed do,
    does not hide what the client said at intake). Fields recorded nowhere are left out, so an
    empty list means nothing recorded yet. At most two queries whatever the client's history,
    fewer when `client` comes with its intake (select_related, as the chart's client does) or
    with `prefetch_strengths` applied (the Overview)."""
    cached = getattr(client, STRENGTHS_PREFETCH, None)
    if cached is None:
        return strengths_by_client([client])[client.pk]
    return _strengths(cached[0] if cached else None, _intakes([client])[client.pk])


def _strengths_of(assessments: QuerySet[HarmAssessment]) -> QuerySet[HarmAssessment]:
    """Assessments newest first, reading only what the strengths need."""
    return assessments.only("id", "client_id", "assessed_on", *STRENGTH_KEYS).order_by(
        "-assessed_on", "-id"
    )


def _intake_strengths() -> QuerySet[Intake]:
    return Intake.objects.only("id", "client_id", "completed_at", "updated_at", *STRENGTH_KEYS)


STRENGTHS_PREFETCH = "prefetched_strengths_assessment"


def prefetch_strengths(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Adds the latest harm assessment's strengths to a query of clients (a sliced prefetch:
    ROW_NUMBER() per client, one query whatever the history). Idempotent."""
    if STRENGTHS_PREFETCH in _prefetched(qs):
        return qs
    return qs.prefetch_related(
        Prefetch(
            "harm_assessments",
            queryset=_strengths_of(HarmAssessment.objects.all())[:1],
            to_attr=STRENGTHS_PREFETCH,
        )
    )


def strengths_by_client(
    clients: Sequence[Client], *, as_of: datetime.date | None = None
) -> dict[int, list[Strength]]:
    """`current_strengths` for a group of clients (a summary round) by client id: one query
    for the latest assessment per client (DISTINCT ON along the client's assessments; `as_of`
    keeps to those assessed on or before that day), and one for the intakes unless the clients
    come with theirs (select_related, as the chart's and the summaries' clients do)."""
    assessments = HarmAssessment.objects.filter(client_id__in=[c.pk for c in clients])
    if as_of is not None:
        assessments = assessments.filter(assessed_on__lte=as_of)
    latest = {
        a.client_id: a
        for a in _strengths_of(assessments)
        .order_by("client_id", "-assessed_on", "-id")
        .distinct("client_id")
    }
    intakes = _intakes(clients)
    return {c.pk: _strengths(latest.get(c.pk), intakes[c.pk]) for c in clients}


def _intakes(clients: Sequence[Client]) -> dict[int, Intake | None]:
    """Each client's intake: the one loaded with the client, else read (one query)."""
    field = Client.intake.related  # type: ignore[attr-defined]
    found = {c.pk: field.get_cached_value(c) for c in clients if field.is_cached(c)}
    missing = [c.pk for c in clients if c.pk not in found]
    if missing:
        read = {i.client_id: i for i in _intake_strengths().filter(client_id__in=missing)}
        found.update({pk: read.get(pk) for pk in missing})
    return found


def _strengths(latest: HarmAssessment | None, intake: Intake | None) -> list[Strength]:
    intake_on = None
    if intake is not None:
        intake_on = timezone.localdate(intake.completed_at or intake.updated_at)
    found = []
    for key, label, _help in STRENGTH_FIELDS:
        if latest is not None and getattr(latest, key).strip():
            text = getattr(latest, key)
            found.append(Strength(key, label, text, "assessment", latest.assessed_on, latest.pk))
        elif intake is not None and getattr(intake, key).strip():
            found.append(Strength(key, label, getattr(intake, key), "intake", intake_on))
    return found


# --- Stage of change over time (issue 16) -----------------------------------------------------


@dataclass(frozen=True)
class StagePoint:
    assessment_pk: int
    on: datetime.date
    stage: str | None  # None: the substance was not part of this assessment; "": no stage given

    @property
    def label(self) -> Any:
        return stage_label(self.stage) if self.stage else ""


@dataclass(frozen=True)
class SubstanceStages:
    """One substance's stage of change over every harm assessment, oldest first."""

    key: Any  # the intake substance's id, or the name as said (see _substance_key)
    name: str
    points: list[StagePoint]

    @property
    def current(self) -> StagePoint | None:
        """The latest assessment that named a stage for this substance."""
        return next((p for p in reversed(self.points) if p.stage), None)


@dataclass(frozen=True)
class StageHistory:
    dates: list[tuple[int, datetime.date]]  # every harm assessment (pk, date), oldest first
    substances: list[SubstanceStages]


def _substance_key(substance_id: int | None, name: str) -> Any:
    # A row linked to the intake's substance follows that link; an unlinked row follows its
    # name, said the same way ("Alcohol" and " alcohol" are one substance).
    return substance_id if substance_id is not None else " ".join(name.split()).casefold()


def stage_history(client: Client) -> StageHistory:
    """Per substance, the stage of change recorded in each harm assessment, with its date.
    One query whatever the number of assessments or substances: the client's assessments
    LEFT JOINed to their patterns, so an assessment with no substance still gives its date."""
    rows = (
        HarmAssessment.objects.filter(client=client)
        .order_by("assessed_on", "id", "patterns__id")
        .values_list(
            "pk",
            "assessed_on",
            "patterns__id",
            "patterns__substance_id",
            "patterns__substance_name",
            "patterns__stage_of_change",
        )
    )
    dates: list[tuple[int, datetime.date]] = []
    stages: dict[Any, dict[int, str]] = {}
    names: dict[Any, str] = {}
    for assessment_pk, assessed_on, pattern_pk, substance_id, name, stage in rows:
        if not dates or dates[-1][0] != assessment_pk:
            dates.append((assessment_pk, assessed_on))
        if pattern_pk is None:
            continue
        key = _substance_key(substance_id, name)
        names[key] = name  # the latest name it was recorded under
        stages.setdefault(key, {}).setdefault(assessment_pk, stage)
    substances = [
        SubstanceStages(
            key=key,
            name=names[key],
            points=[StagePoint(pk, on, by_assessment.get(pk)) for pk, on in dates],
        )
        for key, by_assessment in stages.items()
    ]
    return StageHistory(dates=dates, substances=substances)


@dataclass(frozen=True)
class CurrentStage:
    name: str
    stage: str
    on: datetime.date | None
    source: str  # "assessment" or "intake"

    @property
    def label(self) -> Any:
        return stage_label(self.stage)


def current_stages(client: Client) -> list[CurrentStage]:
    """Per substance, the client's current stage of change: the latest harm assessment that
    named one, else the intake's. Substances with no stage anywhere are left out. Two
    queries (stage_history's, the intake's substances)."""
    found: list[CurrentStage] = []
    seen: set[Any] = set()
    for substance in stage_history(client).substances:
        point = substance.current
        if point is None:  # never given a stage in an assessment: the intake's may stand
            continue
        found.append(CurrentStage(substance.name, point.stage or "", point.on, "assessment"))
        seen.update({substance.key, _substance_key(None, substance.name)})
    for use in SubstanceUse.objects.filter(client=client).exclude(stage_of_change=""):
        if use.pk in seen or _substance_key(None, use.name) in seen:
            continue
        on = timezone.localdate(use.recorded_at)
        found.append(CurrentStage(use.name, use.stage_of_change, on, "intake"))
    return found
