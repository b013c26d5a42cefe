"""What plans and goals put on the chart's Overview (the plan per substance with the share of
days within it, the active goals with their next review) and Timeline (plan versions, goals
set, goal reviews), registered from GoalsConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
from goals import selectors
from goals.models import Goal, GoalReview, PlanVersion, UseCheckIn

# The same attribute goals.selectors.prefetch_for_clients fills (so the header's flag source,
# which runs after, finds it there and adds nothing), with each goal's substance joined.
OPEN_GOALS = "prefetched_open_goals"
RECENT_CHECKINS = "prefetched_recent_checkins"


# --- Overview ---------------------------------------------------------------------------------


def prefetch_for_overview(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Open goals with their substance, and the check-ins of the last 4 completed weeks with
    theirs (what % of days within plan reads): two queries, bounded rows. Idempotent."""
    already = {
        getattr(lookup, "to_attr", None) for lookup in getattr(qs, "_prefetch_related_lookups", ())
    }
    lookups = []
    if OPEN_GOALS not in already:
        lookups.append(
            Prefetch(
                "goals",
                queryset=Goal.objects.filter(status=Goal.Status.ACTIVE)
                .select_related("substance")
                .order_by("review_date", "id"),
                to_attr=OPEN_GOALS,
            )
        )
    if RECENT_CHECKINS not in already:
        since, this_week = selectors._recent_weeks(timezone.localdate())
        lookups.append(
            Prefetch(
                "use_checkins",
                queryset=UseCheckIn.objects.filter(
                    week_start__gte=since, week_start__lt=this_week
                ).select_related("substance"),
                to_attr=RECENT_CHECKINS,
            )
        )
    return qs.prefetch_related(*lookups) if lookups else qs


@dataclass(frozen=True)
class PlanRow:
    name: str
    # A number (the page says "day" or "days" by it), or None when the plan sets no limit.
    most_days: int | None
    most_per_occasion: str
    percent_within_plan: int | None
    weeks_recorded: int


def _whole_number(value: Any) -> int | None:
    """A plan's stored limit (a number, or digits in older versions) as an int; None if unset."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def plan_context(client: Client, can: Any) -> dict[str, Any] | None:
    """Each substance of the current plan with the share of days within it over the last 4
    completed weeks; substances with check-ins but no plan section follow."""
    version = selectors.latest_version(client)
    checkins = getattr(client, RECENT_CHECKINS, None)
    if checkins is None:
        checkins = selectors.recent_checkins(client)
    by_name: dict[str, list[UseCheckIn]] = {}
    for checkin in checkins:
        by_name.setdefault(checkin.substance.name.strip().casefold(), []).append(checkin)
    today = timezone.localdate()
    rows = []
    for section in version.sections if version else []:
        name = str(section.get("name") or "")
        recorded = by_name.pop(name.strip().casefold(), [])
        rows.append(
            PlanRow(
                name=name,
                most_days=_whole_number(section.get("max_days_per_week")),
                most_per_occasion=selectors.display_value("dose_limit", section.get("dose_limit")),
                percent_within_plan=selectors.percent_days_within_plan(recorded, today),
                weeks_recorded=len(recorded),
            )
        )
    for recorded in by_name.values():
        rows.append(
            PlanRow(
                name=recorded[0].substance.name,
                most_days=None,
                most_per_occasion="",
                percent_within_plan=selectors.percent_days_within_plan(recorded, today),
                weeks_recorded=len(recorded),
            )
        )
    return {
        "version": version,
        "rows": rows,
        "may_edit": can.write,
        # The plan's own review, due or overdue by the rule goal reviews follow.
        "review_state": selectors.plan_review_state(version, today),
    }


def goals_context(client: Client, can: Any) -> dict[str, Any]:
    today = timezone.localdate()
    goals = selectors.open_goals(client)
    return {
        "goals": [(goal, goal.review_state(today)) for goal in goals],
        "may_add": can.write,
    }


# --- Timeline ---------------------------------------------------------------------------------


def plan_version_rows(client: Client) -> QuerySet[PlanVersion]:
    return PlanVersion.objects.filter(plan__client=client).annotate(timeline_at=F("created_at"))


def plan_version_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = (
        PlanVersion.objects.filter(pk__in=pks)
        .select_related("plan", "created_by")
        .only("pk", "number", "reason", "created_at", "plan__client_id", "created_by__full_name")
    )
    return {
        v.pk: TimelineEntry(
            at=v.created_at,
            title=_("Plan version %(n)d saved") % {"n": v.number},
            detail=v.reason,
            url=reverse("goals:plan_version", kwargs={"pk": v.plan.client_id, "number": v.number}),
            who=v.created_by.full_name,
        )
        for v in rows
    }


def goal_rows(client: Client) -> QuerySet[Goal]:
    return Goal.objects.filter(client=client).annotate(timeline_at=F("created_at"))


def goal_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = Goal.objects.filter(pk__in=pks).select_related("substance", "created_by")
    entries = {}
    for goal in rows:
        detail = goal.get_kind_display()
        if goal.substance is not None:
            detail = f"{detail} · {goal.substance.name}"
        if goal.target_label:
            detail = f"{detail} · {goal.target_label}"
        entries[goal.pk] = TimelineEntry(
            at=goal.created_at,
            title=_("Goal set: %(goal)s") % {"goal": _short(goal.client_words)},
            detail=detail,
            url=reverse("goals:goal", kwargs={"pk": goal.client_id, "goal_pk": goal.pk}),
            who=goal.created_by.full_name,
        )
    return entries


def review_rows(client: Client) -> QuerySet[GoalReview]:
    return GoalReview.objects.filter(goal__client=client).annotate(
        timeline_at=NoonOf("reviewed_on")
    )


def review_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = GoalReview.objects.filter(pk__in=pks).select_related("goal", "reviewed_by")
    return {
        r.pk: TimelineEntry(
            at=r.reviewed_on,
            title=_("Goal reviewed: %(goal)s") % {"goal": _short(r.goal.client_words)},
            detail=r.get_decision_display(),
            url=reverse("goals:goal", kwargs={"pk": r.goal.client_id, "goal_pk": r.goal_id}),
            who=r.reviewed_by.full_name,
        )
        for r in rows
    }


def _short(words: str, limit: int = 80) -> str:
    words = " ".join((words or "").split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def register() -> None:
    register_overview_panel(
        OverviewPanel(
            key="plan",
            label=gettext_lazy("Plan per substance"),
            template="goals/_panel_plan.html",
            context=plan_context,
            order=30,
            annotate=prefetch_for_overview,
        )
    )
    register_overview_panel(
        OverviewPanel(
            key="goals",
            label=gettext_lazy("Active goals"),
            template="goals/_panel_goals.html",
            context=goals_context,
            order=40,
            annotate=prefetch_for_overview,
        )
    )
    for key, label, rows, load, order in (
        ("plan_versions", gettext_lazy("Plan versions"), plan_version_rows, plan_version_load, 40),
        ("goals", gettext_lazy("Goals set"), goal_rows, goal_load, 41),
        ("goal_reviews", gettext_lazy("Goal reviews"), review_rows, review_load, 42),
    ):
        register_timeline_source(
            TimelineSource(
                key=key, label=label, rows=rows, load=load, order=order, access=ChartSection.READ
            )
        )
