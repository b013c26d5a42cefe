"""Writes for safety plans, overdose prevention plans and tolerance windows, and the audited
printing of a plan for the client. Each write is the treating clinician's (access.require_write)
and audits what it changed; the audit holds no clinical words (admins read the trail)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access, bounds, formats
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.clinic import clinic_setting
from hrp.pdf import render_pdf
from risk.models import RiskFlag
from risk.services import risk_flag_raise
from safety import selectors
from safety.models import (
    OVERDOSE_CHOICE_FIELDS,
    OVERDOSE_TEXT_FIELDS,
    SAFETY_STEP_FIELDS,
    OverdosePlan,
    OverdosePlanVersion,
    SafetyPlan,
    SafetyPlanVersion,
    ToleranceWindow,
)

SAFETY_FIELDS = [*SAFETY_STEP_FIELDS, "crisis_lines"]
OVERDOSE_FIELDS = [*OVERDOSE_CHOICE_FIELDS, *OVERDOSE_TEXT_FIELDS]


class PlanConflict(Exception):
    """A newer version of the plan was saved since the page was opened."""

    def __init__(self, current: int) -> None:
        super().__init__(f"The plan is at version {current}.")
        self.current = current


def _audit(action: AuditAction, *, actor: User, client: Client, obj: Any, **kw: Any) -> None:
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        obj=obj,
        chart_number=client.chart_number,
        **kw,
    )


def _clean_values(values: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field in fields:
        value = values.get(field)
        clean[field] = bool(value) if field in OVERDOSE_CHOICE_FIELDS else str(value or "").strip()
    return clean


def _save_version(
    *,
    actor: User,
    client: Client,
    plan_model: Any,
    version_model: Any,
    fields: list[str],
    values: Mapping[str, Any],
    review_date: datetime.date,
    reason: str,
    based_on: int | None,
    action: AuditAction,
) -> tuple[Any, bool]:
    access.require_write(actor, client)
    bounds.check_dates({"review_date": review_date}, version_model.DATE_RANGES)
    clean = _clean_values(values, fields)
    if not any(clean[f] for f in fields if f != "crisis_lines"):
        raise ValidationError(_("Write at least one part of the plan, in the client's words."))
    plan, _created = plan_model.objects.select_for_update().get_or_create(client=client)
    latest = plan.versions.order_by("-number").first()
    if (
        latest is not None
        and all(getattr(latest, f) == clean[f] for f in fields)
        and latest.review_date == review_date
    ):
        return latest, False
    current = latest.number if latest else 0
    if based_on is not None and based_on != current:
        raise PlanConflict(current)
    reason = reason.strip()
    if latest is not None and not reason:
        raise ValidationError({"reason": _("Say briefly what changed and why.")})
    version = version_model.objects.create(
        plan=plan,
        number=current + 1,
        review_date=review_date,
        reason=reason,
        created_by=actor,
        **clean,
    )
    _audit(
        action,
        actor=actor,
        client=client,
        obj=version,
        changes={"version": (latest.number if latest else None, version.number)},
    )
    return version, True


@transaction.atomic
def safety_plan_save(
    *,
    actor: User,
    client: Client,
    values: Mapping[str, Any],
    review_date: datetime.date,
    reason: str = "",
    based_on: int | None = None,
) -> tuple[SafetyPlanVersion, bool]:
    """Save the safety plan: a new version when anything changed (returns it and True),
    otherwise the current version and False. Earlier versions are never touched. `based_on`
    is the version the page was opened on: a change on top of a newer one raises PlanConflict,
    decided under the plan's row lock. Side effect: `safety_plan.version`."""
    return _save_version(
        actor=actor,
        client=client,
        plan_model=SafetyPlan,
        version_model=SafetyPlanVersion,
        fields=SAFETY_FIELDS,
        values=values,
        review_date=review_date,
        reason=reason,
        based_on=based_on,
        action=AuditAction.SAFETY_PLAN_VERSION,
    )


@transaction.atomic
def overdose_plan_save(
    *,
    actor: User,
    client: Client,
    values: Mapping[str, Any],
    review_date: datetime.date,
    reason: str = "",
    based_on: int | None = None,
) -> tuple[OverdosePlanVersion, bool]:
    """Save the overdose prevention plan, as `safety_plan_save` does. Side effect:
    `overdose_plan.version`."""
    return _save_version(
        actor=actor,
        client=client,
        plan_model=OverdosePlan,
        version_model=OverdosePlanVersion,
        fields=OVERDOSE_FIELDS,
        values=values,
        review_date=review_date,
        reason=reason,
        based_on=based_on,
        action=AuditAction.OVERDOSE_PLAN_VERSION,
    )


def default_crisis_lines() -> str:
    """The crisis lines a new safety plan starts with: the clinic's (988 in the US)."""
    return str(clinic_setting("SAFETY_CRISIS_LINES"))


def default_end(start_date: datetime.date) -> datetime.date:
    """The last day of a window that starts on `start_date` when none is given: the clinic's
    TOLERANCE_WINDOW_DAYS days in all, the first day included."""
    return start_date + datetime.timedelta(days=int(clinic_setting("TOLERANCE_WINDOW_DAYS")) - 1)


TOLERANCE_SOURCE = "safety.tolerance"


@transaction.atomic
def tolerance_window_record(
    *,
    actor: User,
    client: Client,
    reason: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    note: str = "",
) -> ToleranceWindow:
    """Record a period of lowered tolerance, from `start_date` to `end_date` inclusive (by
    default the clinic's TOLERANCE_WINDOW_DAYS days). While it is open the chart header and
    the caseload flag it and the therapist is reminded. Side effects: `tolerance.record`; a
    window that is open or still to come opens an overdose risk flag (risk.services), so it
    is followed up like every other risk; one already over is history and opens none.

    The one place a window is made: whatever else must follow a new window (a risk flag)
    is added here."""
    access.require_write(actor, client)
    if reason not in ToleranceWindow.Reason.values:
        raise ValidationError({"reason": _("Choose why tolerance is lower.")})
    if end_date is None:
        end_date = default_end(start_date)
    bounds.check_dates(
        {"start_date": start_date, "end_date": end_date}, ToleranceWindow.DATE_RANGES
    )
    if end_date < start_date:
        raise ValidationError({"end_date": _("The last day cannot be before the first.")})
    window = ToleranceWindow.objects.create(
        client=client,
        reason=reason,
        start_date=start_date,
        end_date=end_date,
        note=note.strip(),
        created_by=actor,
    )
    _audit(
        AuditAction.TOLERANCE_RECORD,
        actor=actor,
        client=client,
        obj=window,
        changes={
            "reason": (None, reason),
            "start_date": (None, start_date.isoformat()),
            "end_date": (None, end_date.isoformat()),
        },
    )
    if end_date >= timezone.localdate():
        risk_flag_raise(
            client=client,
            kind=RiskFlag.Kind.OVERDOSE,
            level=RiskFlag.Level.SOME,
            source_key=TOLERANCE_SOURCE,
            source_id=window.pk,
            actor=actor,
            description=str(_("Lower tolerance until %(day)s")) % {"day": formats.date(end_date)},
        )
    return window


def plan_pdf(
    *, actor: User, client: Client, version: SafetyPlanVersion | OverdosePlanVersion
) -> bytes:
    """The client's own printable copy of a plan version, in the client's language (the
    caller checked that `actor` may read the chart), and an access event saying who printed
    which version (`safety_plan.print` / `overdose_plan.print`)."""
    context: dict[str, Any] = {
        "version": version,
        "emergency": clinic_setting("SAFETY_EMERGENCY_NUMBER"),
    }
    if isinstance(version, SafetyPlanVersion):
        template, action = "safety/safety_plan_pdf.html", AuditAction.SAFETY_PLAN_PRINT
    else:
        template, action = "safety/overdose_plan_pdf.html", AuditAction.OVERDOSE_PLAN_PRINT
        # While tolerance is lower, the client's copy says so first, with the last day.
        context["window"] = selectors.open_window_for(client)
    # The client's copy is in the language the client reads (Client.preferred_language): the
    # headings, prompts and dates; their own words stay as written.
    with translation.override(client.preferred_language):
        pdf = render_pdf(template, context)
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=action,
        actor=actor,
        obj=version,
        chart_number=client.chart_number,
        changes={"version": (None, version.number)},
    )
    return pdf
