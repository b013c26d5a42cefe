"""What assessments put on the chart's Overview (the latest score of each measure with a small
trend of the last few) and Timeline (measures administered, harm assessments), registered from
AssessmentsConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import selectors
from assessments.measures import MEASURES, Measure
from assessments.models import Administration, HarmAssessment
from clients.extensions import (
    ChartSection,
    NoonOf,
    OverviewPanel,
    TimelineEntry,
    TimelineSource,
    register_overview_panel,
    register_timeline_source,
)
from clients.models import Client

RECENT_SCORES = "prefetched_recent_scores"
SPARK_POINTS = 5  # scores per measure in the Overview's small trend
SPARK_WIDTH, SPARK_HEIGHT = 64, 20


# --- Overview ---------------------------------------------------------------------------------


def prefetch_recent_scores(qs: QuerySet[Client]) -> QuerySet[Client]:
    """The last SPARK_POINTS current scores of each measure: the first rows per client and
    measure by ROW_NUMBER() along the (client, measure, date) index, so the rows read do not
    grow with the client's history. One query. Idempotent."""
    already = {
        getattr(lookup, "to_attr", None) for lookup in getattr(qs, "_prefetch_related_lookups", ())
    }
    if RECENT_SCORES in already:
        return qs
    return qs.prefetch_related(
        Prefetch("administrations", queryset=_recent_scores(), to_attr=RECENT_SCORES)
    )


def _recent_scores() -> QuerySet[Administration]:
    return (
        Administration.objects.filter(selectors._not_corrected())
        .annotate(
            rank_in_measure=Window(
                RowNumber(),
                partition_by=[F("client_id"), F("measure_code")],
                order_by=[F("administered_at").desc(), F("id").desc()],
            )
        )
        .filter(rank_in_measure__lte=SPARK_POINTS)
        .only("pk", "client_id", "measure_code", "score", "band", "administered_at")
        .order_by("-administered_at", "-id")
    )


@dataclass(frozen=True)
class MeasureLine:
    measure: Measure
    latest: Administration
    scores: list[int]  # oldest first, the latest last
    direction: str  # "better", "worse", "same" since the previous score, "" for a first score
    change: int | None
    points: str  # the sparkline's SVG polyline points

    @property
    def change_text(self) -> str:
        return f"{self.change:+d}" if self.change is not None else ""

    @property
    def scores_text(self) -> str:
        return ", ".join(str(score) for score in self.scores)


def _sparkline(scores: list[int], score_max: int) -> str:
    if len(scores) < 2:
        return ""
    step = SPARK_WIDTH / (len(scores) - 1)
    top = max(score_max, 1)
    return " ".join(
        f"{i * step:.1f},{SPARK_HEIGHT - 2 - (score / top) * (SPARK_HEIGHT - 4):.1f}"
        for i, score in enumerate(scores)
    )


def measures_context(client: Client, can: Any) -> dict[str, Any]:
    recent = getattr(client, RECENT_SCORES, None)
    if recent is None:
        recent = list(_recent_scores().filter(client=client))
    by_code: dict[str, list[Administration]] = {}
    for administration in recent:  # newest first
        by_code.setdefault(administration.measure_code, []).append(administration)
    lines = []
    for code, measure in MEASURES.items():
        if code not in by_code:
            continue
        newest_first = by_code[code]
        scores = [a.score for a in reversed(newest_first)]
        change = scores[-1] - scores[-2] if len(scores) > 1 else None
        lines.append(
            MeasureLine(
                measure=measure,
                latest=newest_first[0],
                scores=scores,
                direction=selectors._direction(measure, change) if change is not None else "",
                change=change,
                points=_sparkline(scores, measure.score_max),
            )
        )
    return {
        "lines": lines,
        "harm": selectors.latest_harm_assessment(client),
        "may_administer": can.write,
        "width": SPARK_WIDTH,
        "height": SPARK_HEIGHT,
    }


def strengths_context(client: Client, can: Any) -> dict[str, Any] | None:
    """The client's current strengths, supports and past changes that worked: the intake comes
    with the chart's client and the latest assessment with `prefetch_strengths` (one query)."""
    strengths = selectors.current_strengths(client)
    if not strengths and not can.write:
        return None  # nothing to show a reader, and nothing they could start
    return {"strengths": strengths}


# --- Timeline ---------------------------------------------------------------------------------


def administration_rows(client: Client) -> QuerySet[Administration]:
    return Administration.objects.filter(client=client).annotate(timeline_at=F("administered_at"))


def administration_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = (
        Administration.objects.filter(pk__in=pks).select_related("administered_by").defer("answers")
    )
    entries = {}
    for a in rows:
        detail = a.band_label
        if a.corrects_id:
            detail = _("%(band)s · corrects an earlier entry: %(reason)s") % {
                "band": a.band_label,
                "reason": a.correction_reason,
            }
        entries[a.pk] = TimelineEntry(
            at=a.administered_at,
            title=_("%(measure)s: %(score)d%(unit)s")
            % {"measure": a.measure.name, "score": a.score, "unit": a.measure.score_unit},
            detail=detail,
            url=reverse(
                "assessments:administration", kwargs={"pk": a.client_id, "administration_pk": a.pk}
            ),
            who=a.administered_by.full_name,
        )
    return entries


def harm_rows(client: Client) -> QuerySet[HarmAssessment]:
    return HarmAssessment.objects.filter(client=client).annotate(timeline_at=NoonOf("assessed_on"))


def harm_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = HarmAssessment.objects.filter(pk__in=pks).select_related("assessed_by")
    entries = {}
    for h in rows:
        detail = ""
        if h.overdose_risk:
            detail = _("Overdose risk: %(factors)s") % {
                "factors": ", ".join(h.overdose_factors).lower()
            }
        entries[h.pk] = TimelineEntry(
            at=h.assessed_on,
            title=_("Harm assessment"),
            detail=detail,
            url=reverse(
                "assessments:harm_detail", kwargs={"pk": h.client_id, "assessment_pk": h.pk}
            ),
            who=h.assessed_by.full_name,
        )
    return entries


def register() -> None:
    register_overview_panel(
        OverviewPanel(
            key="measures",
            label=gettext_lazy("Latest measures"),
            template="assessments/_panel_measures.html",
            context=measures_context,
            order=50,
            annotate=prefetch_recent_scores,
        )
    )
    register_overview_panel(
        OverviewPanel(
            key="strengths",
            label=gettext_lazy("Strengths and resources"),
            template="assessments/_panel_strengths.html",
            context=strengths_context,
            # Right after the plan per substance (goals, 30): what the client brings, beside it.
            order=31,
            annotate=selectors.prefetch_strengths,
        )
    )
    register_timeline_source(
        TimelineSource(
            key="measures",
            label=gettext_lazy("Measures"),
            rows=administration_rows,
            load=administration_load,
            order=50,
            access=ChartSection.READ,
        )
    )
    register_timeline_source(
        TimelineSource(
            key="harm_assessments",
            label=gettext_lazy("Harm assessments"),
            rows=harm_rows,
            load=harm_load,
            order=51,
            access=ChartSection.READ,
        )
    )
