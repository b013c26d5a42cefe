"""The plan's own limits, and "days above plan" worked out from them: the one place this rule lives.

A check-in holds weekly totals only (use days, a typical amount per use day, a unit), not a
day-by-day diary, so the honest computation is coarse:

- the plan version in force that week gives, for the substance, at most N use days a week and
  at most N units per use day (both optional; see `SECTION_FIELDS` for why they sit in the
  version's sections);
- if the typical amount is above the per-day limit, every use day was above plan;
- otherwise, if there were more use days than the weekly limit, the days beyond it were;
- no plan, or no limits for that substance: nothing is computed (shown as "no limits set",
  never as 0);
- a per-day limit the week's amount cannot be compared with (no amount given, or another unit):
  nothing is computed, and the reason is said.

The clinician may correct the figure (`UseCheckIn.above_plan_corrected`); the correction wins,
and `UseCheckIn.resolve_days_above_plan` is the one place that says so.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from goals.models import PlanVersion, UseCheckIn

Basis = UseCheckIn.AbovePlanBasis

# A version saved by the Thursday of a week was in force for most of that week (4 days of 7),
# so it is the one the week is measured against; one saved on the Friday or weekend starts with
# the next week. A week before any version has no plan.
IN_FORCE_BY = datetime.timedelta(days=3)


@dataclass(frozen=True)
class Limits:
    """One substance's limits in one plan version."""

    max_days_per_week: int | None
    max_amount_per_day: Decimal | None
    amount_unit: str

    @property
    def any(self) -> bool:
        return self.max_days_per_week is not None or self.max_amount_per_day is not None


@dataclass(frozen=True)
class AbovePlan:
    """What the plan gives for one week: the days above plan (None when not computed) and why."""

    days: int | None
    basis: str
    version: PlanVersion | None = None


def name_key(name: str) -> str:
    """How a plan section is matched with a substance: by name, spacing and case aside."""
    return " ".join(str(name).split()).casefold()


def unit_key(unit: str) -> str:
    """Units compare without case, extra spaces or a plural "s" ("Drinks" is "drink")."""
    key = " ".join(str(unit).split()).casefold()
    return key[:-1] if len(key) > 1 and key.endswith("s") else key


def parse_amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def limits_of(section: Mapping[str, Any] | None) -> Limits:
    if not section:
        return Limits(None, None, "")
    days = section.get("max_days_per_week")
    return Limits(
        max_days_per_week=int(days) if days not in (None, "") else None,
        max_amount_per_day=parse_amount(section.get("max_amount_per_day")),
        amount_unit=str(section.get("amount_unit") or "").strip(),
    )


def section_for(version: PlanVersion | None, substance_name: str) -> Mapping[str, Any] | None:
    if version is None:
        return None
    key = name_key(substance_name)
    return next((s for s in version.sections if name_key(s.get("name", "")) == key), None)


def version_in_force(
    versions: Iterable[PlanVersion], week_start: datetime.date
) -> PlanVersion | None:
    """The version a week is measured against (see IN_FORCE_BY), from the client's versions."""
    by = week_start + IN_FORCE_BY
    candidates = [v for v in versions if timezone.localdate(v.created_at) <= by]
    return max(candidates, key=lambda v: v.number, default=None)


def days_above(
    *,
    limits: Limits,
    use_days: int,
    typical_amount: Decimal | None,
    amount_unit: str,
) -> tuple[int | None, str]:
    """Days above plan in one week from its totals and one substance's limits."""
    if not limits.any:
        return None, Basis.NO_LIMITS
    if limits.max_amount_per_day is not None:
        if use_days and typical_amount is None:
            return None, Basis.NO_AMOUNT
        if use_days and unit_key(amount_unit) != unit_key(limits.amount_unit):
            return None, Basis.UNIT_MISMATCH
        if use_days and typical_amount is not None and typical_amount > limits.max_amount_per_day:
            return use_days, Basis.COMPUTED
    if limits.max_days_per_week is not None:
        return max(0, use_days - limits.max_days_per_week), Basis.COMPUTED
    return 0, Basis.COMPUTED


def above_plan_for_week(
    *,
    versions: Iterable[PlanVersion],
    substance_name: str,
    week_start: datetime.date,
    use_days: int,
    typical_amount: Decimal | None,
    amount_unit: str,
) -> AbovePlan:
    """Days above plan for one substance and week, against the version in force that week."""
    version = version_in_force(versions, week_start)
    if version is None:
        return AbovePlan(None, Basis.NO_PLAN)
    limits = limits_of(section_for(version, substance_name))
    days, basis = days_above(
        limits=limits, use_days=use_days, typical_amount=typical_amount, amount_unit=amount_unit
    )
    return AbovePlan(days, basis, version)


def unit_for(versions: Iterable[PlanVersion], substance_name: str, week: datetime.date) -> str:
    """The unit the plan counts this substance in that week, to offer in the note's check-in."""
    return limits_of(section_for(version_in_force(versions, week), substance_name)).amount_unit
