"""The one rule for a client's medical-evaluation status (issue 16: "always get a medical
evaluation", DOMAIN.md), read by the chart header and caseload (a flag), the chart's Overview
and Medical evaluation section, the supervisor's lists and counts, the reminder
(notifications/reminders.py) and the harm assessment page.

| status         | when                                                                   |
|----------------|------------------------------------------------------------------------|
| done           | an evaluation is recorded (whatever the intake decided): "done on DATE" |
|                | with the date of the latest one that no later record corrects          |
| outstanding    | the intake recommends one and none is recorded                         |
| not considered | the intake has not decided (intakes from before the decision was       |
|                | explicit: migration clients/0004) and none is recorded                 |
| not needed     | the intake says not needed now, with a reason, and none is recorded    |

"Outstanding" and "not considered" are *open*: they show as a flag, count on the supervisor's
dashboard and remind the therapist `medical_evaluation_days` after the intake was completed.

Everything is read from two values on the client's own query: the intake's decision (a join)
and the latest evaluation's date (a correlated `LIMIT 1` subquery on the index
`medeval_latest`), so a list of clients gains no query and reads one index probe per client.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import CharField, DateField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from clients.models import Client, MedicalDecision, MedicalEvaluation
from hrp import formats
from hrp.crypto import EncryptedTextField

DONE = "done"
OUTSTANDING = "outstanding"
NOT_CONSIDERED = "not_considered"
NOT_NEEDED = "not_needed"
OPEN = (OUTSTANDING, NOT_CONSIDERED)
# The intake decisions that leave the status open while no evaluation is recorded.
OPEN_DECISIONS = (MedicalDecision.RECOMMENDED, MedicalDecision.NOT_CONSIDERED)


@dataclass(frozen=True)
class MedicalStatus:
    state: str
    on: datetime.date | None = None  # the latest evaluation's date, when done

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def label(self) -> str:
        if self.state == DONE:
            assert self.on is not None
            day = formats.date(self.on)
            return _("Medical evaluation done on %(date)s") % {"date": day}
        if self.state == OUTSTANDING:
            return _("Medical evaluation recommended, not yet done")
        if self.state == NOT_CONSIDERED:
            return _("Medical evaluation not yet considered")
        return _("Medical evaluation not needed now")


def status(decision: str | None, latest_on: datetime.date | None) -> MedicalStatus:
    """The status from the intake's decision (None: no intake) and the latest evaluation's date."""
    if latest_on is not None:
        return MedicalStatus(DONE, latest_on)
    if decision == MedicalDecision.RECOMMENDED:
        return MedicalStatus(OUTSTANDING)
    if decision == MedicalDecision.NOT_NEEDED:
        return MedicalStatus(NOT_NEEDED)
    return MedicalStatus(NOT_CONSIDERED)


def counted() -> QuerySet[MedicalEvaluation]:
    """The evaluations that count: every row that no later record corrects."""
    return MedicalEvaluation.objects.filter(corrected_by__isnull=True)


def annotate(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Adds `medical_decision` and `medical_latest_on` to a client query (idempotent)."""
    if "medical_latest_on" in qs.query.annotations:
        return qs
    latest = (
        counted()
        .filter(client=OuterRef("pk"))
        .order_by("-evaluated_on", "-id")
        .values("evaluated_on")[:1]
    )
    return qs.annotate(
        medical_decision=F("intake__medical_evaluation"),
        medical_intake_completed_at=F("intake__completed_at"),
        medical_latest_on=Subquery(latest, output_field=DateField()),
    )


def annotate_latest(qs: QuerySet[Client]) -> QuerySet[Client]:
    """`annotate` and the latest evaluation's place and findings (`medical_latest_by`,
    `medical_latest_findings`, decrypted as they are read): for pages that show the findings
    beside something else (the harm assessment's physical-health rating) without a query more.
    Three index probes on `medeval_latest` in the client's own row."""
    qs = annotate(qs)
    if "medical_latest_findings" in qs.query.annotations:
        return qs
    latest = counted().filter(client=OuterRef("pk")).order_by("-evaluated_on", "-id")
    return qs.annotate(
        medical_latest_by=Subquery(latest.values("evaluated_by")[:1], output_field=CharField()),
        medical_latest_findings=Subquery(
            latest.values("findings")[:1], output_field=EncryptedTextField()
        ),
    )


def status_of(client: Client) -> MedicalStatus:
    """The status of a client loaded through `annotate`."""
    return status(
        getattr(client, "medical_decision", None), getattr(client, "medical_latest_on", None)
    )


def open_q(prefix: str = "") -> Q:
    """Clients (or rows through `prefix`, e.g. "client__") whose evaluation is open: the same
    rule as `status`, in SQL, for counting."""
    done = Exists(counted().filter(client=OuterRef(f"{prefix}pk")))
    return Q(**{f"{prefix}intake__medical_evaluation__in": list(OPEN_DECISIONS)}) & ~done
