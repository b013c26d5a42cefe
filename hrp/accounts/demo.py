"""Demo staff for `manage.py seed_demo`. Only ever used when DEMO_MODE is on.

Every demo account shares one password and has a fixed authenticator secret derived from its
email, so a newcomer can add it to an authenticator app, or print the current code with
`manage.py demo_code EMAIL`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts.models import User
from hrp.accounts.services import supervision_assign, totp_secret_base32

DEMO_PASSWORD = "demo-harm-reduction"
DEMO_DOMAIN = "demo.hrp-clinic.test"


@dataclass(frozen=True)
class DemoStaff:
    key: str
    full_name: str
    credentials: str
    is_therapist: bool = False
    is_supervisor: bool = False
    is_clinic_admin: bool = False
    requires_cosign: bool = False
    supervisor: str = ""

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_DOMAIN}"


DEMO_STAFF = [
    DemoStaff("admin", "Alex Rivera", "Clinic manager", is_clinic_admin=True),
    DemoStaff("supervisor1", "Dr. Maya Chen", "PhD", is_supervisor=True, is_therapist=True),
    DemoStaff("supervisor2", "Jordan Okafor", "LCSW", is_supervisor=True),
    DemoStaff("therapist1", "Sam Patel", "LMHC", is_therapist=True, supervisor="supervisor1"),
    DemoStaff("therapist2", "Riley Novak", "LCSW", is_therapist=True, supervisor="supervisor1"),
    DemoStaff("therapist3", "Dana Brooks", "LPC", is_therapist=True, supervisor="supervisor2"),
    DemoStaff(
        "trainee",
        "Casey Morgan",
        "MSW trainee",
        is_therapist=True,
        requires_cosign=True,
        supervisor="supervisor2",
    ),
]


def demo_totp_key(email: str) -> str:
    """A fixed 20-byte TOTP key (hex) per demo account, so printed secrets stay valid
    across re-seeding."""
    return hashlib.sha1(f"hrp-demo-totp:{email}".encode(), usedforsecurity=False).hexdigest()


@transaction.atomic
def seed_demo_staff() -> list[tuple[DemoStaff, User, str]]:
    """Create or refresh the demo staff; returns (spec, user, authenticator secret) rows."""
    rows: list[tuple[DemoStaff, User, str]] = []
    users: dict[str, User] = {}
    for spec in DEMO_STAFF:
        user, _created = User.objects.update_or_create(
            email=spec.email,
            defaults={
                "full_name": spec.full_name,
                "credentials": spec.credentials,
                "is_therapist": spec.is_therapist,
                "is_supervisor": spec.is_supervisor,
                "is_clinic_admin": spec.is_clinic_admin,
                "requires_cosign": spec.requires_cosign,
                "is_active": True,
                "deactivated_at": None,
            },
        )
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        device, _created = TOTPDevice.objects.update_or_create(
            user=user,
            name="Demo authenticator",
            defaults={"key": demo_totp_key(spec.email), "confirmed": True},
        )
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        users[spec.key] = user
        rows.append((spec, user, totp_secret_base32(device)))
    admin = users["admin"]
    for spec in DEMO_STAFF:
        if spec.is_therapist:
            supervision_assign(
                actor=admin,
                supervisee=users[spec.key],
                supervisor=users[spec.supervisor] if spec.supervisor else None,
            )
    return rows
