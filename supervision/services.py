"""Writes for supervision records. Each is one transaction with its audit event.

Audit events name the record (object type and id) but carry no chart number: supervision
records are not part of the client's clinical record, so they stay out of the client's
access report and anything produced from it. The detail never holds the text.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from sessions.models import SessionNote
from supervision.fidelity import ITEM_KEYS, RATING_LABELS
from supervision.models import TEXT_LIMIT, ChartComment, FidelityReview, SupervisionMeeting


def _check_text(value: str, field: str, *, required: bool) -> dict[str, str]:
    if required and not value.strip():
        return {field: _("This cannot be empty.")}
    if len(value) > TEXT_LIMIT:
        return {
            field: _("Please keep this under 20,000 characters (it has %(n)d).") % {"n": len(value)}
        }
    return {}


@transaction.atomic
def meeting_record(
    *,
    supervisor: User,
    supervisee: User,
    met_on: datetime.date,
    clients: Sequence[Client],
    guidance: str,
    follow_ups: str = "",
    countertransference: str = "",
) -> SupervisionMeeting:
    """Record a supervision meeting. Refuses (ValidationError) a supervisee who is not a current
    one, a date in the future, empty guidance, text over the limit and clients not on the
    supervisee's caseload. Side effect: a change event in the audit trail."""
    errors: dict[str, Any] = {}
    if not supervisor.is_supervisor or not access.supervises(supervisor, supervisee.pk):
        errors["supervisee"] = _("You can record meetings only with people you supervise.")
    if problem := bounds.HISTORY.message(met_on):
        errors["met_on"] = problem
    errors.update(_check_text(guidance, "guidance", required=True))
    errors.update(_check_text(follow_ups, "follow_ups", required=False))
    errors.update(_check_text(countertransference, "countertransference", required=False))
    if any(client.therapist_id != supervisee.pk for client in clients):
        errors["clients"] = _("Choose only clients on %(name)s's caseload.") % {
            "name": supervisee.full_name
        }
    if errors:
        raise ValidationError(errors)
    meeting = SupervisionMeeting.objects.create(
        supervisor=supervisor,
        supervisee=supervisee,
        met_on=met_on,
        guidance=guidance,
        follow_ups=follow_ups,
        countertransference=countertransference,
    )
    meeting.clients.set(clients)
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SUPERVISION_MEETING_RECORD,
        actor=supervisor,
        obj=meeting,
        # Stored English for the audit trail (not translated), with a real plural.
        detail=f"with user {supervisee.pk}; {len(clients)} client"
        f"{'' if len(clients) == 1 else 's'} discussed",
    )
    return meeting


@transaction.atomic
def comment_add(*, author: User, client: Client, text: str) -> ChartComment:
    """Leave a comment on a supervisee's client's chart for the therapist. Side effect: a
    change event in the audit trail (no chart number, no text)."""
    if not author.is_supervisor or not access.supervises(author, client.therapist_id):
        raise ValidationError(_("You can comment only on the charts of people you supervise."))
    errors = _check_text(text, "text", required=True)
    if errors:
        raise ValidationError(errors)
    comment = ChartComment.objects.create(client=client, author=author, text=text)
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SUPERVISION_COMMENT_ADD,
        actor=author,
        obj=comment,
    )
    return comment


@transaction.atomic
def comment_acknowledge(*, actor: User, comment: ChartComment) -> ChartComment:
    """The therapist marks a comment as read. Idempotent: a second acknowledgement keeps the
    first one's time and person. Side effect: a change event in the audit trail."""
    locked = ChartComment.objects.select_for_update().get(pk=comment.pk)
    if locked.acknowledged_at is not None:
        return locked
    if not access.treats(actor, locked.client):
        raise ValidationError(_("Only the client's therapist acknowledges a comment."))
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = actor
    locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SUPERVISION_COMMENT_ACKNOWLEDGE,
        actor=actor,
        obj=locked,
    )
    return locked


@transaction.atomic
def fidelity_review_record(
    *, supervisor: User, note: SessionNote, ratings: dict[str, int], comment: str = ""
) -> FidelityReview:
    """Record a supervisor's fidelity checklist for a note their supervisee signed: every item
    of supervision/fidelity.py rated. One per supervisor per note: a second is refused with a
    message (and the database constraint holds under a race). Side effect: a change event in
    the audit trail (no chart number, no ratings, no text)."""
    errors: dict[str, Any] = {}
    if not supervisor.is_supervisor or not access.supervises(supervisor, note.author_id):
        errors["note"] = _("You can review only the sessions of people you supervise.")
    elif note.signed_at is None:
        errors["note"] = _("The note is reviewed once the therapist has signed it.")
    if set(ratings) != set(ITEM_KEYS) or any(v not in RATING_LABELS for v in ratings.values()):
        errors["ratings"] = _("Rate every item: not observed, partly or clearly.")
    errors.update(_check_text(comment, "comment", required=False))
    if not errors and FidelityReview.objects.filter(supervisor=supervisor, note=note).exists():
        errors["note"] = _("You have already reviewed this session.")
    if errors:
        raise ValidationError(errors)
    try:
        # A savepoint: a second tab that got there first loses to the unique constraint.
        with transaction.atomic():
            review = FidelityReview.objects.create(
                supervisor=supervisor,
                therapist_id=note.author_id,
                note=note,
                session_on=timezone.localdate(note.appointment.starts_at),
                ratings={key: ratings[key] for key in ITEM_KEYS},
                comment=comment,
            )
    except IntegrityError:
        raise ValidationError({"note": _("You have already reviewed this session.")}) from None
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SUPERVISION_FIDELITY_REVIEW,
        actor=supervisor,
        obj=review,
        detail=f"of user {note.author_id}",
    )
    return review
