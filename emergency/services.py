"""Emergency ("break-glass") access, HIPAA 164.312(a)(2)(ii): a clinician opens a client who
is not theirs by stating a reason and re-entering their password. The grant is read-only and
lasts EMERGENCY_ACCESS_HOURS; every page opened under it is audited (hrp.access answers with
the grant, `EmergencyViewAuditMiddleware` records the page); the
client's therapist and their supervisor are notified at once. A refused request grants nothing
and is audited."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access
from hrp.accounts.authn import password_reentry_error
from hrp.accounts.models import EmergencyGrant, Supervision, User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from notifications.models import Reminder
from notifications.services import notify_now

REASON_LIMIT = 2000


def emergency_grant(
    *, actor: User, chart_number: str, reason: str, password: str
) -> EmergencyGrant:
    """Grant `actor` read access to the client with `chart_number`. Refused (and audited as
    `emergency.grant_refused`) without a reason, with a wrong password or an unknown chart number.
    Side effects: `emergency.grant`; reminders of kind emergency_access to the client's
    therapist and their current supervisor.

    Not one transaction as a whole: the refusal's audit event must outlive the
    ValidationError that reports it (raised inside an atomic block, it would be rolled back
    with it). The grant and its side effects are one transaction (`_grant_create`)."""
    if not access.has_clinical_role(actor):
        raise ValidationError(_("Emergency access is for therapists and supervisors."))
    reason = reason.strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say why you need this record now.")
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = _("Keep the reason under 2,000 characters.")
    # Counted toward the account's sign-in limit, and refused while it is locked.
    refusal = password_reentry_error(user=actor, password=password)
    if refusal is not None:
        errors["password"] = refusal
    client = Client.objects.filter(chart_number__iexact=chart_number.strip()).first()
    if client is None and "password" not in errors:
        errors["chart_number"] = _("No client has this chart number.")
    if errors:
        audit_record(
            category=AuditEvent.Category.SECURITY,
            action=AuditAction.EMERGENCY_GRANT_REFUSED,
            actor=actor,
            chart_number=client.chart_number if client else "",
            changes={"refused": (None, sorted(errors))},
        )
        raise ValidationError(errors)
    return _grant_create(actor=actor, client=client, reason=reason)


@transaction.atomic
def _grant_create(*, actor: User, client: Any, reason: str) -> EmergencyGrant:
    now = timezone.now()
    grant = EmergencyGrant.objects.create(
        user=actor,
        client=client,
        reason=reason,
        granted_at=now,
        expires_at=now + datetime.timedelta(hours=settings.EMERGENCY_ACCESS_HOURS),
    )
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.EMERGENCY_GRANT,
        actor=actor,
        obj=grant,
        chart_number=client.chart_number,
        changes={"expires_at": (None, grant.expires_at)},
    )
    recipients = []
    if client.therapist is not None and client.therapist_id != actor.pk:
        recipients.append(client.therapist)
        recipients += [
            s.supervisor
            for s in Supervision.objects.current()
            .filter(supervisee_id=client.therapist_id)
            .select_related("supervisor")
            if s.supervisor_id != actor.pk
        ]
    notify_now(
        Reminder.Kind.EMERGENCY_ACCESS,
        object_id=grant.pk,
        client_id=client.pk,
        recipients=recipients,
    )
    return grant


@transaction.atomic
def emergency_end(*, actor: User, grant: EmergencyGrant) -> None:
    """End one's own grant early. Side effect: `emergency.end`."""
    if grant.ended_at is None:
        grant.ended_at = timezone.now()
        grant.save(update_fields=["ended_at"])
        audit_record(
            category=AuditEvent.Category.SECURITY,
            action=AuditAction.EMERGENCY_END,
            actor=actor,
            obj=grant,
            chart_number=grant.client.chart_number,
        )
