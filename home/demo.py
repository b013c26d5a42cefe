"""Demo data that spans apps: composed here, at the top of the layers, so hrp/ stays free of
the clinical apps."""

from __future__ import annotations

import datetime

from django.utils import timezone

from clients.models import Client
from hrp.accounts.demo import DemoStaff
from hrp.accounts.models import EmergencyGrant, User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record


def seed_demo_emergency_access() -> int:
    """One emergency-access event in the audit trail: a demo therapist opens a client of
    another therapist, with a reason, as the break-glass page would (the password check is the
    page's; the demo grants directly). Returns 1 when created, 0 when already there."""
    if EmergencyGrant.objects.exists():
        return 0
    user = User.objects.get(email=DemoStaff("therapist2", "", "").email)
    client = (
        Client.objects.filter(status=Client.Status.ACTIVE)
        .exclude(therapist=user)
        .exclude(therapist__isnull=True)
        .order_by("id")
        .first()
    )
    if client is None:
        return 0
    now = timezone.now() - datetime.timedelta(days=3)
    grant = EmergencyGrant.objects.create(
        user=user,
        client=client,
        reason="The client called the front desk in crisis while their therapist was away.",
        granted_at=now,
        expires_at=now + datetime.timedelta(hours=4),
    )
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.EMERGENCY_GRANT,
        actor=user,
        obj=grant,
        chart_number=client.chart_number,
        changes={"expires_at": (None, grant.expires_at)},
    )
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.EMERGENCY_VIEW,
        actor=user,
        obj=client,
        chart_number=client.chart_number,
        changes={"grant": (None, grant.pk)},
        detail=f"/clients/{client.pk}/",
    )
    return 1
