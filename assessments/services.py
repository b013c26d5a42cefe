"""Writes for assessments: measure administrations and harm assessments. Each opens the risk
flag its answers call for (risk.rules decides; risk.services keeps the flag and its follow-ups).

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
from assessments.models import (
    OVERDOSE_FACTORS,
    Administration,
    HarmAssessment,
    IdentifiedHarm,
    SubstancePattern,
)
from clients.models import Client, SubstanceUse
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from risk import rules
from risk.models import RiskFlag
from risk.services import risk_flag_raise

PHQ9_SOURCE = "assessments.phq9"
HARM_SOURCE = "assessments.harm"


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
    source: str = Administration.Source.CLINICIAN,
) -> Administration:
    """Score and store one administration of a measure. `source` says who answered: the
    client with the clinician, or the client alone through a link (selfreport).

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
        source=source,
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
    _raise_suicide_flag(actor=actor, administration=administration, measure_code=measure_code)
    return administration


def _raise_suicide_flag(*, actor: User, administration: Administration, measure_code: str) -> None:
    """PHQ-9 question 9 above 0 opens a suicide-risk flag (risk.rules). A correction belongs to
    the same sitting as what it corrects, so it raises the sitting's one flag (the first
    administration's), never a second one; a correction to 0 leaves an open flag for the
    therapist to follow up and resolve."""
    measure = MEASURES[measure_code]
    if measure.suicide_item is None:
        return
    item = next(i for i in measure.items if i.key == measure.suicide_item)
    level = rules.phq9_item9_level(item.points(administration.answers[item.key]))
    if level is None:
        return
    sitting = administration
    while sitting.corrects_id is not None:
        sitting = sitting.corrects  # type: ignore[assignment]
    risk_flag_raise(
        client=administration.client,
        kind=RiskFlag.Kind.SUICIDE,
        level=level,
        source_key=PHQ9_SOURCE,
        source_id=sitting.pk,
        actor=actor,
        description=_("PHQ-9 question 9"),
        opened_at=administration.administered_at,
    )


@transaction.atomic
def harm_assessment_record(
    *,
    actor: User,
    client: Client,
    values: Mapping[str, Any],
    patterns: Sequence[Mapping[str, Any]],
    harms: Sequence[Mapping[str, Any]] = (),
) -> HarmAssessment:
    """Store a new harm assessment with its per-substance patterns and the concrete harms the
    client names (`harms`: substance, domain, description, severity, and `carries`, the same
    harm in an earlier assessment). Earlier assessments are untouched (read-only). A substance
    or earlier harm of another client raises ValidationError and stores nothing. Side effect:
    change event `harm.assess` (the overdose flag and counts, not the client's words)."""
    access.require_write(actor, client)
    bounds.check_dates(values, HarmAssessment.DATE_RANGES)
    assessment = HarmAssessment(client=client, assessed_by=actor, **values)
    assessment.overdose_risk = bool(overdose_factors_that_count(assessment))
    assessment.full_clean()
    assessment.save()
    for pattern_values in patterns:
        pattern = SubstancePattern(assessment=assessment, **pattern_values)
        pattern.full_clean()
        pattern.save()
    for harm_values in harms:
        _identified_harm_add(client=client, assessment=assessment, values=harm_values)
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.HARM_ASSESS,
        actor=actor,
        obj=assessment,
        chart_number=client.chart_number,
        changes={
            "overdose_risk": (None, assessment.overdose_risk),
            "patterns": (None, len(patterns)),
            "harms": (None, len(harms)),
        },
    )
    _raise_overdose_flag(actor=actor, assessment=assessment)
    return assessment


def _identified_harm_add(
    *, client: Client, assessment: HarmAssessment, values: Mapping[str, Any]
) -> IdentifiedHarm:
    values = dict(values)
    carries: IdentifiedHarm | None = values.pop("carries", None)
    substance: SubstanceUse | None = values.get("substance")
    if substance is not None and substance.client_id != client.pk:
        raise ValidationError(_("A harm can only name one of this client's substances."))
    first_id = None
    if carries is not None:
        if carries.assessment.client_id != client.pk:
            raise ValidationError(_("A harm can only continue one of this client's harms."))
        first_id = carries.thread_id
    harm = IdentifiedHarm(assessment=assessment, first_identified_id=first_id, **values)
    harm.full_clean()
    harm.save()
    return harm


def overdose_factors_that_count(assessment: HarmAssessment) -> list[str]:
    """The ticked overdose factors that count for the client's substances (risk.rules: using
    alone and mixing depressants only with an opioid or another depressant), as keys."""
    ticked = [key for key, _label in OVERDOSE_FACTORS if getattr(assessment, key)]
    if not ticked:
        return []
    substances = set(
        SubstanceUse.objects.filter(client=assessment.client).values_list("substance", flat=True)
    )
    return rules.overdose_factors_that_count(ticked, substances)


def _raise_overdose_flag(*, actor: User, assessment: HarmAssessment) -> None:
    """The factors that count for the client's substances open an overdose-risk flag."""
    counted = overdose_factors_that_count(assessment)
    level = rules.overdose_level(counted)
    if level is None:
        return
    labels = dict(OVERDOSE_FACTORS)
    risk_flag_raise(
        client=assessment.client,
        kind=RiskFlag.Kind.OVERDOSE,
        level=level,
        source_key=HARM_SOURCE,
        source_id=assessment.pk,
        actor=actor,
        description=_("Harm assessment: %(factors)s")
        % {"factors": ", ".join(str(labels[key]) for key in counted).lower()},
    )
