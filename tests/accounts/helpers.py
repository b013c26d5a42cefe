"""Helpers for account tests: authenticator codes and the audit trail."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.factories import totp_code


def wrong_totp_code(device: TOTPDevice) -> str:
    """A 6-digit code that no step within the device's tolerance accepts."""
    accepted = {totp_code(device, offset_steps=s) for s in range(-2, 3)}
    return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in accepted)


def audit_actions(*, obj: User | None = None) -> list[str]:
    """Audit actions in the order they were written, optionally only those about `obj`."""
    events = AuditEvent.objects.order_by("id")
    if obj is not None:
        events = events.filter(object_type="accounts.user", object_id=str(obj.pk))
    return list(events.values_list("action", flat=True))
