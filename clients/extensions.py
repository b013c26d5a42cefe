"""How other apps add caseload columns and chart flags without clients depending on them.

Dependencies point one way (assessments, goals and sessions depend on clients), yet the
caseload and the chart header show their data. Each app registers, from its AppConfig.ready(),
an annotation that adds what it needs to the client queryset (so a page stays at a fixed number
of queries) and how to show it: a template for a caseload cell, or a function that turns the
annotated values into flags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import DateTimeField, F, Func, QuerySet, Value
from django.utils import timezone

if TYPE_CHECKING:
    from clients.models import Client
    from clients.selectors import Flag

Annotate = Callable[[QuerySet["Client"]], QuerySet["Client"]]


@dataclass(frozen=True)
class CaseloadColumn:
    key: str
    label: Any  # a lazy translation
    template: str  # rendered with `client` in the context
    annotate: Annotate
    order: int = 100


@dataclass(frozen=True)
class FlagSource:
    key: str
    annotate: Annotate
    flags: Callable[[Client], list[Flag]]


@dataclass(frozen=True)
class Notice:
    """A line at the top of a therapist's home (their caseload): something waiting for them."""

    text: str
    url: str
    level: str = "warning"


# Each takes the therapist and returns their notices, in a fixed number of queries.
NoticeSource = Callable[[Any], list[Notice]]
HOME_NOTICES: dict[str, NoticeSource] = {}


def register_home_notice(key: str, source: NoticeSource) -> None:
    HOME_NOTICES[key] = source


def home_notices(user: Any) -> list[Notice]:
    return [notice for key in sorted(HOME_NOTICES) for notice in HOME_NOTICES[key](user)]


# Notices that load after the page (htmx, on load) from a URL of the registering app, so the
# caseload's own query budget does not grow with each app that has something to say. Each URL
# name renders a fragment of `clients/_notice.html` items for the signed-in therapist.
DEFERRED_HOME_NOTICES: dict[str, str] = {}


def register_deferred_home_notice(key: str, url_name: str) -> None:
    DEFERRED_HOME_NOTICES[key] = url_name


def deferred_home_notices() -> list[str]:
    """The URL names to fetch, in key order."""
    return [DEFERRED_HOME_NOTICES[key] for key in sorted(DEFERRED_HOME_NOTICES)]


CASELOAD_COLUMNS: dict[str, CaseloadColumn] = {}
FLAG_SOURCES: dict[str, FlagSource] = {}


def register_caseload_column(column: CaseloadColumn) -> None:
    CASELOAD_COLUMNS[column.key] = column


def register_flag_source(source: FlagSource) -> None:
    FLAG_SOURCES[source.key] = source


def caseload_columns() -> list[CaseloadColumn]:
    return sorted(CASELOAD_COLUMNS.values(), key=lambda c: (c.order, c.key))


def annotate_for_caseload(qs: QuerySet[Client]) -> QuerySet[Client]:
    for column in caseload_columns():
        qs = column.annotate(qs)
    return annotate_flags(qs)


def annotate_flags(qs: QuerySet[Client]) -> QuerySet[Client]:
    for source in FLAG_SOURCES.values():
        qs = source.annotate(qs)
    return qs


def extra_flags(client: Client) -> list[Flag]:
    flags: list[Flag] = []
    for source in FLAG_SOURCES.values():
        flags.extend(source.flags(client))
    return flags


@dataclass(frozen=True)
class ChartNotice:
    """A message at the top of every chart section for the person reading the chart, e.g. a
    supervisor's comment waiting for the therapist. `action_url` is a POST form (with
    `action_label` on its button) that comes back to the same page; `link_url` a plain link."""

    title: str
    text: str = ""
    level: str = "info"  # "info" or "warning": a Bootstrap alert class
    meta: str = ""
    link_url: str = ""
    link_label: str = ""
    action_url: str = ""
    action_label: str = ""


# Each takes (client, user) and returns the notices for that reader of that chart, in a fixed
# number of queries (read what it can from values annotated on the chart's client).
ChartNoticeSource = Callable[[Any, Any], list[ChartNotice]]
CHART_NOTICES: dict[str, ChartNoticeSource] = {}


def register_chart_notice(key: str, source: ChartNoticeSource) -> None:
    CHART_NOTICES[key] = source


def chart_notices(client: Any, user: Any) -> list[ChartNotice]:
    return [notice for key in sorted(CHART_NOTICES) for notice in CHART_NOTICES[key](client, user)]


@dataclass(frozen=True)
class ChartSection:
    """A tab of the client chart, owned by the app that registers it.

    `url_name` is reversed with the client's pk only and must resolve to the owning app's view;
    that view renders `template` through `clients.views.render_chart_section`. `access` says who
    sees the tab and may open the section: READ, everyone who may open the chart (the treating
    clinician, a supervisor, an emergency grant); TREATING, the client's own therapist only.

    `primary` tabs always show in the tab row; the others sit in its "More" menu, so the row
    fits one line on a 1366 px laptop and a 768 px tablet however many apps register a tab
    (the tab being read always shows in the row, primary or not). Keep primary tabs few: the
    sections a clinician opens at most visits."""

    READ = "read"
    TREATING = "treating"

    key: str
    label: Any  # a lazy translation
    url_name: str
    template: str
    order: int
    access: str = READ
    primary: bool = False


CHART_SECTIONS: dict[str, ChartSection] = {}


def register_chart_section(section: ChartSection) -> None:
    if section.access not in (ChartSection.READ, ChartSection.TREATING):
        raise ValueError(f"unknown access {section.access!r} for chart section {section.key!r}")
    CHART_SECTIONS[section.key] = section


def chart_sections() -> list[ChartSection]:
    return sorted(CHART_SECTIONS.values(), key=lambda s: (s.order, s.key))


def chart_section(key: str) -> ChartSection:
    return CHART_SECTIONS[key]


# --- The chart's Overview and Timeline, composed from every app -------------------------------


@dataclass(frozen=True)
class OverviewPanel:
    """A panel of the chart's Overview ("the story at a glance"), owned by the app that
    registers it: open risk flags, next appointment, plan per substance, goals, measures...

    `context(client, can)` returns what `template` needs (rendered with `client`, `can` and
    `panel`, the returned dict), or None to leave the panel out (e.g. nothing to show and
    nothing the reader could start). It must cost a fixed number of queries whatever the
    client's history: read the latest rows through indexes, never load history into Python.
    `access` is ChartSection.READ (everyone who may open the chart) or TREATING.

    `annotate` (optional) adds what the panel reads to the query that loads the chart's client
    (an annotation or a sliced Prefetch, idempotent like a caseload column's), so panels that
    read what the header's flags already prefetch cost nothing more. `wide` panels take two
    columns of the Overview's grid on wide screens."""

    key: str
    label: Any  # a lazy translation: the panel's heading
    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 100
    access: str = "read"
    annotate: Annotate | None = None
    wide: bool = False


OVERVIEW_PANELS: dict[str, OverviewPanel] = {}


def register_overview_panel(panel: OverviewPanel) -> None:
    if panel.access not in (ChartSection.READ, ChartSection.TREATING):
        raise ValueError(f"unknown access {panel.access!r} for overview panel {panel.key!r}")
    OVERVIEW_PANELS[panel.key] = panel


def overview_panels() -> list[OverviewPanel]:
    return sorted(OVERVIEW_PANELS.values(), key=lambda p: (p.order, p.key))


def annotate_for_overview(qs: QuerySet[Client], panels: list[OverviewPanel]) -> QuerySet[Client]:
    for panel in panels:
        if panel.annotate is not None:
            qs = panel.annotate(qs)
    return qs


@dataclass(frozen=True)
class TimelineEntry:
    """One clinical event as the Timeline shows it."""

    at: Any  # an aware datetime; or a date for a date-only event, shown without a time
    title: str
    detail: str = ""
    url: str = ""
    who: str = ""


@dataclass(frozen=True)
class TimelineSource:
    """One kind of clinical event on the chart's Timeline (notes, contacts, measures, plan
    versions, goal reviews, referrals, risk flags, supplies...), owned by the app that
    registers it.

    `rows(client)` returns a queryset of the source's model, filtered to the client, annotated
    with `timeline_at` (an aware datetime; a date-only event uses noon in clinic time). The
    Timeline unions every source's rows in one query (ordered and paginated in the database,
    filterable by `key`), then calls `load(pks)` once per kind present on the page to turn
    those rows into TimelineEntry objects (one query each). So a page costs a fixed number of
    queries, and reads one page of rows, whatever the client's history.
    `access` is ChartSection.READ or TREATING, as for chart sections."""

    key: str
    label: Any  # a lazy translation, plural: "Session notes"
    rows: Callable[[Any], QuerySet[Any]]
    load: Callable[[list[int]], dict[int, TimelineEntry]]
    order: int = 100
    access: str = "read"


TIMELINE_SOURCES: dict[str, TimelineSource] = {}


class NoonOf(Func):
    """A date column as noon of that day in the clinic's time zone, an aware datetime: how a
    date-only event (a consent signed, a goal reviewed) takes its place on the Timeline.
    `rows(client)` annotates `timeline_at=NoonOf("signed_on")`."""

    output_field = DateTimeField()

    def __init__(self, field: str) -> None:
        super().__init__(F(field), Value(timezone.get_current_timezone_name()))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        day, day_params = compiler.compile(self.source_expressions[0])
        zone, zone_params = compiler.compile(self.source_expressions[1])
        sql = f"(({day} + TIME '12:00') AT TIME ZONE {zone})"
        return sql, (*day_params, *zone_params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        # The embedded demo's SQLite has no time zones: noon UTC is near enough to sort by.
        day, day_params = compiler.compile(self.source_expressions[0])
        return f"datetime({day}, '+12 hours')", tuple(day_params)


def register_timeline_source(source: TimelineSource) -> None:
    if source.access not in (ChartSection.READ, ChartSection.TREATING):
        raise ValueError(f"unknown access {source.access!r} for timeline source {source.key!r}")
    TIMELINE_SOURCES[source.key] = source


def timeline_sources() -> list[TimelineSource]:
    return sorted(TIMELINE_SOURCES.values(), key=lambda s: (s.order, s.key))


# --- What must be finished before a record becomes an alias (clients.identity) -----------------
# A record merged into another is read-only (hrp.access.merged_away): a note still to sign, a
# session still booked or a flag still open on it could never be finished there. Each app that
# keeps such work registers a check; `services.client_merge` refuses while any says something is
# open, and says what. A check returns "" when nothing is open, else a short phrase with counts.
MergeBlocker = Callable[["Client"], str]
MERGE_BLOCKERS: dict[str, MergeBlocker] = {}


def register_merge_blocker(key: str, check: MergeBlocker) -> None:
    MERGE_BLOCKERS[key] = check


def merge_blockers(client: Client) -> list[str]:
    """What is still open on `client`, one phrase per app that has something (one query each)."""
    return [phrase for check in MERGE_BLOCKERS.values() if (phrase := check(client))]
