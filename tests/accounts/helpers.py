"""Helpers for account tests: authenticator codes and the audit trail."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent


def totp_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the person's authenticator app shows now (or `offset_steps` steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


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
