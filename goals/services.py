"""Writes for plans, goals, reviews and use check-ins. Each audits what it changed."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments.models import FUNCTIONS, IdentifiedHarm
from clients.models import Client, SubstanceUse
from goals import limits as plan_limits
from goals import selectors
from goals.models import (
    PLAN_REVIEW_AFTER,
    SECTION_FIELDS,
    Goal,
    GoalReview,
    Plan,
    PlanReview,
    PlanVersion,
    UseCheckIn,
)
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.pdf import render_pdf

SECTION_KEYS = [key for key, _label in SECTION_FIELDS]


def normalise_section(values: Mapping[str, Any]) -> dict[str, Any]:
    """A plan section with exactly the known keys, in order, so versions compare cleanly."""
    section: dict[str, Any] = {}
    for key in SECTION_KEYS:
        value = values.get(key)
        if key == "safer_use":
            section[key] = sorted(value or [])
        elif key == "alternatives":
            # In the order of the functions list, so every page shows them the same way.
            order = {k: i for i, (k, _label) in enumerate(FUNCTIONS)}
            items = sorted((value or {}).items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))
            section[key] = {k: v.strip() for k, v in items if v.strip()}
        elif key == "max_days_per_week":
            section[key] = int(value) if value not in (None, "") else None
        elif key == "max_amount_per_day":
            # A string, so that 1.5 stays exactly 1.5 in JSON; "3.0" and "3" are the same limit.
            amount = plan_limits.parse_amount(value)
            section[key] = _plain_number(amount) if amount is not None else None
        else:
            section[key] = (value or "").strip()
    return section


def _plain_number(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return text


MAX_AMOUNT_PER_DAY = Decimal(9999)


def _section_errors(section: Mapping[str, Any]) -> list[str]:
    errors = []
    days = section["max_days_per_week"]
    if days is not None and not 0 <= days <= 7:
        errors.append(_("Most use days a week is a number from 0 to 7."))
    amount = plan_limits.parse_amount(section["max_amount_per_day"])
    if amount is not None and not 0 <= amount <= MAX_AMOUNT_PER_DAY:
        errors.append(_("Most per use day is a number from 0 to 9999."))
    if amount is not None and not section["amount_unit"]:
        errors.append(_("Say which unit the most per use day is counted in, e.g. drinks."))
    return errors


def _audit(action: AuditAction, *, actor: User, client: Client, obj: Any, **kw: Any) -> None:
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        obj=obj,
        chart_number=client.chart_number,
        **kw,
    )


class PlanConflict(Exception):
    """A newer version of the plan was saved since the page was opened."""

    def __init__(self, current: int) -> None:
        super().__init__(f"The plan is at version {current}.")
        self.current = current


@transaction.atomic
def plan_save(
    *,
    actor: User,
    client: Client,
    sections: Sequence[Mapping[str, Any]],
    reason: str,
    based_on: int | None = None,
    review_date: datetime.date | None = None,
    saved_at: datetime.datetime | None = None,
) -> tuple[PlanVersion, bool]:
    """Save the plan: a new version when anything changed (returns it and True), otherwise the
    current version and False. Earlier versions are never touched. `based_on` is the version
    the page was opened on: a change on top of a newer one raises PlanConflict, decided under
    the plan's row lock so two saves at once cannot both pass. `review_date` is when to test
    the version as a hypothesis (default: PLAN_REVIEW_AFTER from the day it is saved).
    `saved_at` dates a version agreed earlier (the demo's history, imports): in the past and
    not before the latest version; pages never pass it. Side effect: `plan.version`.
    """
    access.require_write(actor, client)
    clean = [normalise_section(s) for s in sections if str(s.get("name", "")).strip()]
    for section in clean:
        errors = _section_errors(section)
        if errors:
            raise ValidationError(errors)
    plan, _created = Plan.objects.select_for_update().get_or_create(client=client)
    latest = plan.versions.order_by("-number").first()
    # Normalised again so that a version saved before a field existed compares equal.
    if latest is not None and [normalise_section(s) for s in latest.sections] == clean:
        return latest, False
    current = latest.number if latest else 0
    if based_on is not None and based_on != current:
        raise PlanConflict(current)
    if not reason.strip():
        raise ValidationError({"reason": _("Say briefly what changed and why.")})
    now = timezone.now()
    saved_at = saved_at or now
    if saved_at > now or (latest is not None and saved_at < latest.created_at):
        raise ValidationError(_("A version is dated after the latest one and not in the future."))
    saved_on = timezone.localdate(saved_at)
    review_date = review_date or saved_on + PLAN_REVIEW_AFTER
    bounds.check_dates({"review_date": review_date}, PlanVersion.DATE_RANGES)
    if review_date <= saved_on:
        raise ValidationError({"review_date": _("Choose a review date after today.")})
    version = PlanVersion.objects.create(
        plan=plan,
        number=(latest.number + 1) if latest else 1,
        sections=clean,
        reason=reason.strip(),
        review_date=review_date,
        created_at=saved_at,
        created_by=actor,
    )
    _audit(
        AuditAction.PLAN_VERSION,
        actor=actor,
        client=client,
        obj=version,
        # The reason stays out of the audit trail: it is clinical, and admins read the trail.
        changes={
            "version": (latest.number if latest else None, version.number),
            "review_date": (None, review_date),
        },
    )
    return version, True


@transaction.atomic
def plan_review_record(
    *, actor: User, version: PlanVersion, values: Mapping[str, Any]
) -> PlanReview:
    """Review the plan version in force as a hypothesis: what happened, was it realistic, did
    the harms change, what was learned, and what next (keep it with a next review date, or
    adjust it, which the page follows with a new version). Only the latest version is
    reviewed: an earlier one has already been replaced. Side effect: `plan.review`."""
    client = version.plan.client
    access.require_write(actor, client)
    # The plan's row lock orders a review after any version being saved at the same moment.
    Plan.objects.select_for_update().get(pk=version.plan_id)
    latest = PlanVersion.objects.filter(plan_id=version.plan_id).order_by("-number").first()
    if latest is None or latest.pk != version.pk:
        raise ValidationError(
            _("This plan version has been replaced; review version %(n)d instead.")
            % {"n": latest.number if latest else 0}
        )
    bounds.check_dates(values, PlanReview.DATE_RANGES)
    review = PlanReview(version=version, reviewed_by=actor, **values)
    errors: dict[str, Any] = {}
    if review.reviewed_on and review.reviewed_on < timezone.localdate(version.created_at):
        errors["reviewed_on"] = _("The review cannot be before this version was saved.")
    if (
        review.reviewed_on
        and review.next_review_date
        and (review.next_review_date <= review.reviewed_on)
    ):
        errors["next_review_date"] = _("The next review must be after this one.")
    if errors:
        raise ValidationError(errors)
    review.full_clean()
    review.save()
    _audit(
        AuditAction.PLAN_REVIEW,
        actor=actor,
        client=client,
        obj=review,
        # The words stay out of the trail (clinical); the outcome and dates are enough.
        changes={
            "version": (None, version.number),
            "outcome": (None, review.outcome),
            "next_review_date": (None, review.next_review_date),
        },
    )
    return review


@transaction.atomic
def goal_create(
    *,
    actor: User,
    client: Client,
    values: Mapping[str, Any],
    revised_from: Goal | None = None,
) -> Goal:
    """Add a goal, with the harms it answers (`values["harms"]`, the client's own named harms;
    another client's raises ValidationError and nothing is stored). Side effect: `goal.create`."""
    access.require_write(actor, client)
    values = dict(values)
    harms = list(values.pop("harms", None) or [])
    bounds.check_dates(values, Goal.DATE_RANGES)
    goal = Goal(client=client, created_by=actor, revised_from=revised_from, **values)
    goal.full_clean()
    if harms and (
        IdentifiedHarm.objects.filter(pk__in=[h.pk for h in harms])
        .exclude(assessment__client=client)
        .exists()
    ):
        raise ValidationError({"harms": _("A goal can only answer this client's own harms.")})
    goal.save()
    goal.harms.set(harms)
    _audit(
        AuditAction.GOAL_CREATE,
        actor=actor,
        client=client,
        obj=goal,
        changes={
            "kind": (None, goal.kind),
            "target": (None, goal.target),
            "review_date": (None, goal.review_date),
            "revised_from": (None, revised_from.pk if revised_from else None),
            "harms": (None, sorted(h.pk for h in harms)),
        },
    )
    return goal


@transaction.atomic
def goal_review_record(
    *,
    actor: User,
    goal: Goal,
    values: Mapping[str, Any],
    new_goal_values: Mapping[str, Any] | None = None,
) -> GoalReview:
    """Record a goal's review and carry out its decision:

    - keep: the goal stays active with the new review date;
    - revise: a new goal is created, linked to this one, which becomes "revised";
    - achieved / set aside: the goal closes with that status.

    Side effects: `goal.review`, and `goal.create` for a revision.
    """
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if not goal.is_open:
        raise ValidationError(_("This goal is no longer active; review its newer version."))
    decision = values.get("decision")
    bounds.check_dates(values, GoalReview.DATE_RANGES)
    review = GoalReview(goal=goal, reviewed_by=actor, **values)
    errors: dict[str, Any] = {}
    if review.reviewed_on and review.reviewed_on < goal.start_date:
        errors["reviewed_on"] = _("The review cannot be before the goal started.")
    if decision == GoalReview.Decision.KEEP:
        if not review.next_review_date:
            errors["next_review_date"] = _("Choose the next review date.")
        elif review.reviewed_on and review.next_review_date <= review.reviewed_on:
            errors["next_review_date"] = _("The next review must be after this one.")
    elif review.next_review_date and decision != GoalReview.Decision.REVISE:
        review.next_review_date = None
    if decision == GoalReview.Decision.REVISE and not new_goal_values:
        errors["decision"] = _("Describe the new version of the goal.")
    if errors:
        raise ValidationError(errors)
    review.full_clean(exclude=["new_goal"])
    old_status = goal.status
    if decision == GoalReview.Decision.KEEP:
        old_review_date = goal.review_date
        goal.review_date = review.next_review_date
        goal.save(update_fields=["review_date"])
        changes = {"review_date": (old_review_date, goal.review_date)}
    else:
        goal.status = {
            GoalReview.Decision.REVISE: Goal.Status.REVISED,
            GoalReview.Decision.ACHIEVED: Goal.Status.ACHIEVED,
            GoalReview.Decision.SET_ASIDE: Goal.Status.SET_ASIDE,
        }[decision]
        goal.save(update_fields=["status"])
        changes = {"status": (old_status, goal.status)}
    if decision == GoalReview.Decision.REVISE:
        review.new_goal = goal_create(
            actor=actor,
            client=goal.client,
            values=new_goal_values or {},
            revised_from=goal,
        )
    review.save()
    _audit(
        AuditAction.GOAL_REVIEW,
        actor=actor,
        client=goal.client,
        obj=review,
        changes={"decision": (None, decision), **changes},
    )
    return review


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@transaction.atomic
def checkin_record(
    *,
    actor: User,
    client: Client,
    substance: SubstanceUse,
    week: datetime.date,
    use_days: int,
    days_above_plan: int | None = None,
    typical_amount: Decimal | None = None,
    amount_unit: str = "",
    source_note_id: int | None = None,
    source: str = UseCheckIn.Source.CLINICIAN,
) -> UseCheckIn:
    """Record use for one substance in the week containing `week` (the sessions issue calls
    this from a note). A second record for the same week replaces the numbers.

    Days above plan are worked out from the plan version in force that week (goals/limits.py);
    `days_above_plan` is the clinician's figure, None to take the plan's. A figure equal to the
    plan's is no correction. `source` "client" is the client's own weekly diary: it fills a
    week nobody recorded and replaces an earlier diary of theirs, but never a week recorded in
    a session, whose numbers were talked through (that row is returned unchanged; the diary
    itself keeps what the client said). Side effect: `checkin.record`."""
    access.require_write(actor, client)
    if substance.client_id != client.pk:
        raise ValidationError({"substance": _("Choose one of this client's substances.")})
    bounds.HISTORY.check(week, field="week")
    start = week_start(week)
    checkin = UseCheckIn.objects.filter(
        client=client, substance=substance, week_start=start
    ).first()
    if (
        checkin is not None
        and source == UseCheckIn.Source.CLIENT
        and checkin.source == UseCheckIn.Source.CLINICIAN
    ):
        return checkin
    before = (checkin.use_days, checkin.days_above_plan) if checkin else (None, None)
    if checkin is None:
        checkin = UseCheckIn(client=client, substance=substance, week_start=start)
    above = plan_limits.above_plan_for_week(
        versions=PlanVersion.objects.filter(plan__client=client).only(
            "number", "sections", "created_at"
        ),
        substance_name=substance.name,
        week_start=start,
        use_days=use_days,
        typical_amount=typical_amount,
        amount_unit=amount_unit,
    )
    resolved = UseCheckIn.resolve_days_above_plan(above.days, None)
    corrected = days_above_plan if days_above_plan not in (None, resolved) else None
    checkin.use_days = use_days
    checkin.above_plan_computed = above.days
    checkin.above_plan_basis = above.basis
    checkin.above_plan_corrected = corrected
    checkin.plan_version = above.version
    checkin.days_above_plan = UseCheckIn.resolve_days_above_plan(above.days, corrected)
    checkin.typical_amount = typical_amount
    checkin.amount_unit = amount_unit
    checkin.recorded_by = actor
    checkin.source_note_id = source_note_id
    checkin.source = source
    # The two plan figures are checked by clean() through days_above_plan (which is one of
    # them); left out here so a refusal names the field the clinician typed, not a constraint.
    checkin.full_clean(
        validate_unique=False, exclude=["above_plan_computed", "above_plan_corrected"]
    )
    checkin.save()
    changes = {
        "use_days": (before[0], use_days),
        "days_above_plan": (before[1], checkin.days_above_plan),
    }
    if source != UseCheckIn.Source.CLINICIAN:  # the client's own diary says so in the trail
        changes["source"] = (None, source)
    _audit(AuditAction.CHECKIN_RECORD, actor=actor, client=client, obj=checkin, changes=changes)
    return checkin


def client_copy_pdf(*, actor: User, client: Client) -> bytes:
    """The client's own printable copy (goals.selectors.client_copy) as a PDF, to print and
    hand over. Like the safety plans' copies it carries no name and no chart number, so a lost
    page does not say whose it is. It is the client's own record, not a disclosure: nothing
    goes to the accounting of disclosures.

    Side effect: access event `client_copy.print` naming the plan version printed (the
    caller checked that `actor` may read the chart)."""
    # In the language the client reads (Client.preferred_language), labels joined into the
    # copy's rows included; their own words stay as written.
    with translation.override(client.preferred_language):
        copy = selectors.client_copy(client)
        pdf = render_pdf("goals/client_copy_pdf.html", {"copy": copy})
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.CLIENT_COPY_PRINT,
        actor=actor,
        obj=client,
        chart_number=client.chart_number,
        changes={"plan_version": (None, copy.plan.number if copy.plan else None)},
    )
    return pdf
