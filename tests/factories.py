from __future__ import annotations

import time
from typing import Any

import factory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts.models import Supervision, User

TEST_PASSWORD = "a-long-test-passphrase-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@clinic.test")
    full_name = factory.Faker("name")
    is_therapist = False
    is_supervisor = False
    is_clinic_admin = False

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        # Hashing with Argon2 is deliberately slow, so only users who sign in with a
        # password get one.
        if extracted:
            obj.set_password(extracted)
        else:
            obj.set_unusable_password()
        if create:
            obj.save(update_fields=["password"])


class TherapistFactory(UserFactory):
    is_therapist = True


class SupervisorFactory(UserFactory):
    is_supervisor = True


class ClinicAdminFactory(UserFactory):
    is_clinic_admin = True


class SupervisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supervision

    supervisor = factory.SubFactory(SupervisorFactory)
    supervisee = factory.SubFactory(TherapistFactory)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Test authenticator"
    confirmed = True


def totp_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the person's authenticator app shows now (or `offset_steps` steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"
