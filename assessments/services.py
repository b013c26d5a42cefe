"""Writes for assessments: measure administrations, risk follow-ups and harm assessments.

Scores, bands and flags are always computed here, on the server, from the registry in
`assessments.measures`; nothing a browser sends is trusted for them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.measures import MEASURES
from assessments.models import Administration, HarmAssessment, RiskFollowUp, SubstancePattern
from clients.models import Client
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record


class TamperedSubmission(Exception):
    """A submission that no form on our pages can produce (unknown measure, unknown item, an
    answer that is not among the choices). The view answers 400."""


@transaction.atomic
def administration_record(
    *,
    actor: User,
    client: Client,
    measure_code: str,
    answers: Mapping[str, str],
    administered_at: datetime.datetime | None = None,
    corrects: Administration | None = None,
    correction_reason: str = "",
) -> Administration:
    """Score and store one administration of a measure.

    Missing answers raise ValidationError (one message per item); anything a form cannot
    produce raises TamperedSubmission. Nothing is stored in either case. A correction keeps the
    corrected one's `administered_at` unless told otherwise: it fixes what was recorded of that
    sitting, so the trend and the schedule keep it in its place. Side effect: change event
    `measure.administer` (score and band only: answers stay out of the audit trail).
    """
    access.require_write(actor, client)
    # Only a time given here: a correction keeps the corrected sitting's, whatever it is.
    bounds.HISTORY.check_datetime(administered_at, field="administered_at")
    measure = MEASURES.get(measure_code)
    if measure is None:
        raise TamperedSubmission("unknown measure")
    problems = measure.problems(answers)
    if any(problem != "missing" for problem in problems.values()):
        raise TamperedSubmission("unknown item or answer")
    if problems:
        raise ValidationError(
            {key: _("Please answer this question.") for key in problems}  # type: ignore[misc]
        )
    if corrects is not None:
        if corrects.client_id != client.pk or corrects.measure_code != measure_code:
            raise TamperedSubmission("correction of another record")
        if Administration.objects.filter(corrects=corrects).exists():
            raise ValidationError(_("This administration has already been corrected."))
        if not correction_reason.strip():
            raise ValidationError({"correction_reason": _("Say what the correction fixes.")})
        # A correction fixes the record of the same sitting with the client, not a new one.
        administered_at = administered_at or corrects.administered_at
    score = measure.score(answers)
    administration = Administration.objects.create(
        client=client,
        measure_code=measure_code,
        answers={key: answers[key] for key in measure.item_keys},
        score=score,
        band=measure.band(score).key,
        suicide_risk=measure.raises_suicide_flag(answers),
        severity_flag=measure.raises_severity_flag(score),
        administered_at=administered_at or timezone.now(),
        administered_by=actor,
        corrects=corrects,
        correction_reason=correction_reason,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.MEASURE_ADMINISTER,
        actor=actor,
        obj=administration,
        chart_number=client.chart_number,
        changes={
            "measure": (None, measure_code),
            "score": (None, score),
            "band": (None, administration.band),
            "corrects": (None, corrects.pk if corrects else None),
        },
    )
    return administration


@transaction.atomic
def risk_follow_up_record(
    *,
    actor: User,
    administration: Administration,
    action: str,
    done_at: datetime.datetime,
) -> RiskFollowUp:
    """Record what was done about a suicide-risk flag; the flag then clears.

    Side effect: change event `risk.follow_up`.
    """
    if not administration.suicide_risk:
        raise ValidationError(_("This administration raised no suicide-risk flag."))
    if RiskFollowUp.objects.filter(administration=administration).exists():
        raise ValidationError(_("A follow-up is already recorded for this flag."))
    if not action.strip():
        raise ValidationError({"action": _("Describe what was done.")})
    if done_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"done_at": _("The follow-up cannot be in the future.")})
    bounds.HISTORY.check_datetime(done_at, field="done_at")
    if done_at < administration.administered_at - datetime.timedelta(minutes=5):
        raise ValidationError({"done_at": _("The follow-up cannot be before the flag was raised.")})
    follow_up = RiskFollowUp(
        administration=administration, action=action, done_at=done_at, recorded_by=actor
    )
    follow_up.full_clean()
    follow_up.save()
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.RISK_FOLLOW_UP,
        actor=actor,
        obj=follow_up,
        chart_number=administration.client.chart_number,
        changes={"done_at": (None, done_at)},
    )
    return follow_up


@transaction.atomic
def harm_assessment_record(
    *,
    actor: User,
    client: Client,
    values: Mapping[str, Any],
    patterns: Sequence[Mapping[str, Any]],
) -> HarmAssessment:
    """Store a new harm assessment with its per-substance patterns. Earlier assessments are
    untouched (read-only). Side effect: change event `harm.assess` (the overdose flag and
    harm ratings, not the client's words)."""
    access.require_write(actor, client)
    bounds.check_dates(values, HarmAssessment.DATE_RANGES)
    assessment = HarmAssessment(client=client, assessed_by=actor, **values)
    assessment.full_clean()
    assessment.save()
    for pattern_values in patterns:
        pattern = SubstancePattern(assessment=assessment, **pattern_values)
        pattern.full_clean()
        pattern.save()
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.HARM_ASSESS,
        actor=actor,
        obj=assessment,
        chart_number=client.chart_number,
        changes={
            "overdose_risk": (None, assessment.overdose_risk),
            "patterns": (None, len(patterns)),
        },
    )
    return assessment
