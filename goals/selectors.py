"""Reads for plans and goals: version comparison, goal progress from use check-ins, reviews due,
and what the caseload shows (through one prefetch, whatever the number of clients)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    DateField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import FUNCTIONS, HarmAssessment, IdentifiedHarm
from assessments.selectors import current_harms
from clients.models import Client
from clients.selectors import Flag
from goals.models import (
    CLIENT_COPY_LABELS,
    PLAN_REVIEW_AFTER,
    SAFER_USE_PRACTICES,
    SECTION_FIELDS,
    Goal,
    PlanReview,
    PlanVersion,
    UseCheckIn,
    review_state_for,
)
from hrp import formats
from hrp.clinic import clinic_setting
from safety import selectors as safety_selectors
from safety.models import OverdosePlanVersion, SafetyPlanVersion, ToleranceWindow

# --- Plan versions -----------------------------------------------------------------------------


def next_review_on() -> Any:
    """When a plan version is next to be reviewed, as SQL (so pages and the caseload share it):
    the next date its latest review set, else the date set when it was saved, else (versions
    saved before plan reviews existed) PLAN_REVIEW_AFTER after saving."""
    latest_review = (
        PlanReview.objects.filter(version=OuterRef("pk"))
        .order_by("-reviewed_on", "-id")
        .values("next_review_date")[:1]
    )
    return Coalesce(
        Subquery(latest_review, output_field=DateField()),
        F("review_date"),
        Cast(TruncDate("created_at") + Value(PLAN_REVIEW_AFTER), DateField()),
        output_field=DateField(),
    )


def versions_for(client: Client) -> QuerySet[PlanVersion]:
    """The client's plan versions with who saved them and `next_review_on`."""
    return (
        PlanVersion.objects.filter(plan__client=client)
        .select_related("created_by")
        .annotate(next_review_on=next_review_on())
    )


def plan_review_state(version: PlanVersion | None, today: datetime.date | None = None) -> str:
    """ "overdue", "due" or "" for the plan in force (a version from `versions_for`): the same
    rule as goal reviews."""
    if version is None:
        return ""
    return review_state_for(version.next_review_on, today)


def versions_for_limits(client: Client) -> list[PlanVersion]:
    """Every version's limits, for working out days above plan week by week (goals/limits.py)."""
    return list(
        PlanVersion.objects.filter(plan__client=client).only("number", "sections", "created_at")
    )


def plan_reviews(version: PlanVersion) -> list[PlanReview]:
    return list(version.reviews.select_related("reviewed_by").order_by("-reviewed_on", "-id"))


def latest_version(client: Client) -> PlanVersion | None:
    return versions_for(client).order_by("-number").first()


def display_value(key: str, value: Any) -> str:
    """A section field as the page shows it."""
    if key == "safer_use":
        labels = dict(SAFER_USE_PRACTICES)
        return ", ".join(str(labels.get(v, v)) for v in value or [])
    if key == "alternatives":
        labels = dict(FUNCTIONS)
        return "; ".join(f"{labels.get(k, k)}: {v}" for k, v in (value or {}).items())
    if value is None:
        return ""
    return str(value)


@dataclass(frozen=True)
class FieldDiff:
    key: str
    label: Any
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class SectionDiff:
    name: str
    state: str  # "added", "removed", "changed", "same"
    fields: list[FieldDiff]

    @property
    def changed_fields(self) -> list[str]:
        return [f.key for f in self.fields if f.changed]


def compare_versions(old: PlanVersion, new: PlanVersion) -> list[SectionDiff]:
    """Section by section (matched by name) and field by field, what differs between two
    versions. Sections only in one version are "added" or "removed"."""
    old_sections = {s["name"].casefold(): s for s in old.sections}
    new_sections = {s["name"].casefold(): s for s in new.sections}
    names = list(dict.fromkeys([*old_sections, *new_sections]))
    diffs = []
    for name in names:
        before, after = old_sections.get(name), new_sections.get(name)
        fields = [
            FieldDiff(
                key,
                label,
                display_value(key, before.get(key)) if before else "",
                display_value(key, after.get(key)) if after else "",
            )
            for key, label in SECTION_FIELDS
        ]
        if before is None:
            state = "added"
        elif after is None:
            state = "removed"
        else:
            state = "changed" if any(f.changed for f in fields) else "same"
        diffs.append(SectionDiff((after or before or {}).get("name", name), state, fields))
    return diffs


# --- Goals and progress ------------------------------------------------------------------------


def goals_for(client: Client) -> QuerySet[Goal]:
    return (
        Goal.objects.filter(client=client)
        .select_related("substance", "revised_from")
        .prefetch_related("reviews", _harms_prefetch())
        .order_by("status", "review_date", "id")
    )


def _harms_prefetch() -> Prefetch:
    return Prefetch(
        "harms",
        queryset=IdentifiedHarm.objects.select_related("substance").order_by("id"),
    )


@dataclass(frozen=True)
class WeekPoint:
    week_start: datetime.date
    use_days: int
    typical_amount: float | None
    days_above_plan: int
    within_target: bool | None
    # "client": the client's own weekly diary (selfreport), shown as reported by the client.
    source: str = UseCheckIn.Source.CLINICIAN


@dataclass(frozen=True)
class Progress:
    goal: Goal
    weeks: list[WeekPoint]
    percent_days_within_plan: int | None  # over the last 4 weeks with check-ins

    @property
    def chartable(self) -> bool:
        return self.goal.target in (Goal.Target.MAX_USE_DAYS, Goal.Target.MAX_UNITS) and bool(
            self.weeks
        )


def _recent_weeks(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 4 completed weeks: [first Monday, this Monday)."""
    this_week = today - datetime.timedelta(days=today.weekday())
    return this_week - datetime.timedelta(weeks=4), this_week


def recent_checkins(client: Client, today: datetime.date | None = None) -> list[UseCheckIn]:
    """The client's check-ins that `percent_days_within_plan` reads (the last 4 completed
    weeks), for pages that show only that figure: a few rows, not years of weekly history."""
    since, this_week = _recent_weeks(today or timezone.localdate())
    return list(
        UseCheckIn.objects.filter(
            client=client, week_start__gte=since, week_start__lt=this_week
        ).order_by("week_start")
    )


def percent_days_within_plan(checkins: list[UseCheckIn], today: datetime.date) -> int | None:
    """Over the last 4 completed weeks (Monday to Sunday, the current week left out as it is
    not over), the share of days with a check-in that had no use above the plan: any day
    within the client's own plan counts, use or not."""
    since, this_week = _recent_weeks(today)
    recent = [c for c in checkins if since <= c.week_start < this_week]
    if not recent:
        return None
    days = 7 * len(recent)
    above = sum(c.days_above_plan for c in recent)
    return round(100 * (days - above) / days)


def goal_progress(goal: Goal, checkins: list[UseCheckIn] | None = None) -> Progress:
    """Movement toward a measurable target, week by week, from the use check-ins."""
    if checkins is None:
        checkins = (
            list(UseCheckIn.objects.filter(substance=goal.substance).order_by("week_start"))
            if goal.substance_id
            else []
        )
    relevant = [c for c in checkins if c.substance_id == goal.substance_id]
    target = float(goal.target_value) if goal.target_value is not None else None
    weeks = []
    for c in relevant:
        amount = float(c.typical_amount) if c.typical_amount is not None else None
        within: bool | None = None
        if target is not None and goal.target == Goal.Target.MAX_USE_DAYS:
            within = c.use_days <= target
        elif target is not None and goal.target == Goal.Target.MAX_UNITS and amount is not None:
            within = amount <= target
        weeks.append(
            WeekPoint(c.week_start, c.use_days, amount, c.days_above_plan, within, c.source)
        )
    return Progress(goal, weeks, percent_days_within_plan(relevant, timezone.localdate()))


def progress_chart(progress: Progress) -> dict[str, Any]:
    goal = progress.goal
    per_day = goal.target == Goal.Target.MAX_USE_DAYS
    return {
        "label": str(_("Use days a week") if per_day else _("Typical amount per use day")),
        "target": float(goal.target_value) if goal.target_value is not None else None,
        "max": 7 if per_day else None,
        "points": [
            {
                "x": formats.date(w.week_start),
                "y": w.use_days if per_day else w.typical_amount,
            }
            for w in progress.weeks
        ],
    }


# --- Harms and the goals that answer them -------------------------------------------------------


def _answered_by_active_goal() -> Exists:
    """Some record of the harm's thread (the same harm named in any assessment) is linked to
    an active goal. A goal set aside, achieved or revised no longer answers it."""
    return Exists(
        IdentifiedHarm.objects.filter(
            Q(pk=OuterRef("thread")) | Q(first_identified_id=OuterRef("thread")),
            goals__status=Goal.Status.ACTIVE,
        )
    )


def unanswered_harms(client: Client) -> QuerySet[IdentifiedHarm]:
    """The harms of the client's latest harm assessment that no active goal answers yet, with
    their substance, in one query whatever the client's history. A harm carried into a newer
    assessment stays answered by the goal set for it earlier."""
    return current_harms(client).filter(~_answered_by_active_goal())


def current_harm_ids_of(goal: Goal) -> list[int]:
    """The latest assessment's records of the harms `goal` answers (for its revision's form):
    the same harms, as the client's latest assessment names them."""
    threads = {harm.thread_id for harm in goal.harms.all()}
    if not threads:
        return []
    return [h.pk for h in current_harms(goal.client) if h.thread in threads]


# --- Caseload and due reviews ------------------------------------------------------------------


def prefetch_for_clients(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Attach each client's open goals (one query for the whole page). Idempotent."""
    already = {
        getattr(lookup, "to_attr", None) for lookup in getattr(qs, "_prefetch_related_lookups", ())
    }
    if "prefetched_open_goals" in already:
        return qs
    return qs.prefetch_related(
        Prefetch(
            "goals",
            queryset=Goal.objects.filter(status=Goal.Status.ACTIVE).order_by("review_date", "id"),
            to_attr="prefetched_open_goals",
        )
    )


def open_goals(client: Client) -> list[Goal]:
    cached = getattr(client, "prefetched_open_goals", None)
    if cached is None:
        cached = list(client.goals.filter(status=Goal.Status.ACTIVE).order_by("review_date", "id"))
    return cached


def reviews_due(client: Client, today: datetime.date | None = None) -> list[Goal]:
    """Open goals whose review is overdue or due within 7 days."""
    today = today or timezone.localdate()
    return [g for g in open_goals(client) if g.review_state(today)]


def annotate_plan_review(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Attach `plan_review_on`: when the client's current plan version is next to be reviewed
    (None without a plan). One correlated subquery reading one version per client. Idempotent."""
    if "plan_review_on" in qs.query.annotations:
        return qs
    latest = (
        PlanVersion.objects.filter(plan__client=OuterRef("pk"))
        .annotate(next_review_on=next_review_on())
        .order_by("-number")
        .values("next_review_on")[:1]
    )
    return qs.annotate(plan_review_on=Subquery(latest, output_field=DateField()))


def plan_review_due(client: Client, today: datetime.date | None = None) -> str:
    """ "overdue", "due" or "" for a client from `annotate_plan_review`."""
    return review_state_for(getattr(client, "plan_review_on", None), today)


def plan_flags(client: Client) -> list[Any]:
    state = plan_review_due(client)
    if state == "overdue":
        return [Flag(_("Plan review overdue"), "info")]
    if state == "due":
        return [Flag(_("Plan review due"), "info")]
    return []


def caseload_flags(client: Client) -> list[Any]:
    due = reviews_due(client)
    if not due:
        return []
    overdue = sum(1 for g in due if g.review_state() == "overdue")
    if overdue:
        return [Flag(_("Goal review overdue: %(n)d") % {"n": overdue}, "info")]
    return [Flag(_("Goal review due: %(n)d") % {"n": len(due)}, "info")]


# --- The client's own copy ----------------------------------------------------------------------


@dataclass(frozen=True)
class CopySection:
    """One substance or behaviour of the plan as the client's copy shows it: (label, text)
    rows for the fields in CLIENT_COPY_LABELS only, empty ones left out."""

    name: str
    rows: list[tuple[Any, str]]


@dataclass(frozen=True)
class ClientCopy:
    """What the client takes home (issue 16.8b): their current plan, active goals in their
    words, the latest decisional balance, and safer-use and overdose information. Nothing
    written for clinicians: no clinician's notes, harm ratings, scores or risk flags."""

    plan: PlanVersion | None
    sections: list[CopySection]
    goals: list[Goal]
    balance_from: HarmAssessment | None
    balance: list[tuple[Any, list[str]]]
    overdose: OverdosePlanVersion | None
    safety: SafetyPlanVersion | None
    window: ToleranceWindow | None
    crisis_lines: str
    emergency: str


def copy_sections(version: PlanVersion | None) -> list[CopySection]:
    """The plan version's sections with only the fields the client's copy names."""
    if version is None:
        return []
    sections = []
    for section in version.sections:
        rows = []
        for key, label in CLIENT_COPY_LABELS.items():
            value = display_value(key, section.get(key)).strip()
            if value:
                rows.append((label, value))
        sections.append(CopySection(str(section.get("name", "")), rows))
    return sections


BALANCE_FIELDS = ("benefits_of_use", "costs_of_use", "benefits_of_change", "costs_of_change")


def _latest_balance(client: Client) -> HarmAssessment | None:
    """The latest harm assessment, reading only its date and the decisional balance's four
    fields (never the clinician's notes or the harm ratings)."""
    return (
        HarmAssessment.objects.filter(client=client)
        .only("pk", "client_id", "assessed_on", *BALANCE_FIELDS)
        .order_by("-assessed_on", "-id")
        .first()
    )


def client_copy(client: Client) -> ClientCopy:
    """The client's copy, in a fixed number of queries (one per record kind) whatever the
    length of the client's history: each read is the newest row, by its index."""
    version = latest_version(client)
    harm = _latest_balance(client)
    balance = []
    if harm is not None:
        balance = [
            (HarmAssessment._meta.get_field(key).verbose_name, lines)
            for key, lines in harm.balance().items()
            if lines
        ]
    safety = safety_selectors.latest_safety_version(client)
    return ClientCopy(
        plan=version,
        sections=copy_sections(version),
        goals=list(
            client.goals.filter(status=Goal.Status.ACTIVE)
            .only("pk", "client_id", "client_words", "hypothesis", "review_date", "status")
            .order_by("review_date", "id")
        ),
        balance_from=harm,
        balance=balance,
        overdose=safety_selectors.latest_overdose_version(client),
        safety=safety,
        window=safety_selectors.open_window_for(client),
        # The lines printed on the client's safety plan when they have one (what they were
        # given), else the clinic's.
        crisis_lines=(safety.crisis_lines if safety and safety.crisis_lines else "")
        or str(clinic_setting("SAFETY_CRISIS_LINES") or ""),
        emergency=str(clinic_setting("SAFETY_EMERGENCY_NUMBER") or ""),
    )
