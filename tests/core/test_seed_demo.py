"""The demo clinic: refused outside DEMO_MODE, idempotent, and its codes really verify."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import Settings

from hrp.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_STAFF, demo_totp_key
from hrp.accounts.models import Supervision, User
from hrp.accounts.selectors import current_supervisor
from hrp.audit.models import AuditEvent
from tests.conftest import DemoClinic


def demo_email(key: str) -> str:
    return f"{key}@{DEMO_DOMAIN}"


# (is_therapist, is_supervisor, is_clinic_admin, requires_cosign) per demo account.
EXPECTED_ROLES = {
    demo_email("admin"): (False, False, True, False),
    demo_email("supervisor1"): (True, True, False, False),
    demo_email("supervisor2"): (False, True, False, False),
    demo_email("therapist1"): (True, False, False, False),
    demo_email("therapist2"): (True, False, False, False),
    demo_email("therapist3"): (True, False, False, False),
    demo_email("trainee"): (True, False, False, True),
}
EXPECTED_SUPERVISORS = {
    demo_email("therapist1"): demo_email("supervisor1"),
    demo_email("therapist2"): demo_email("supervisor1"),
    demo_email("therapist3"): demo_email("supervisor2"),
    demo_email("trainee"): demo_email("supervisor2"),
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # Seeding hashes seven passwords; Argon2's deliberate slowness is not what is tested here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_mode(settings: Settings) -> None:
    settings.DEMO_MODE = True


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def role_counts() -> dict[str, int]:
    users = User.objects.all()
    return {
        "accounts": users.count(),
        "clinic_admins": users.filter(is_clinic_admin=True).count(),
        "supervisors": users.filter(is_supervisor=True).count(),
        "therapists": users.filter(is_therapist=True).count(),
        "therapists_only": users.filter(is_therapist=True, is_supervisor=False).count(),
        "needing_cosign": users.filter(requires_cosign=True).count(),
        "authenticators": TOTPDevice.objects.filter(confirmed=True).count(),
        "supervisions": Supervision.objects.count(),
        "current_supervisions": Supervision.objects.filter(ended_at__isnull=True).count(),
    }


EXPECTED_COUNTS = {
    "accounts": 7,
    "clinic_admins": 1,
    "supervisors": 2,
    "therapists": 5,  # supervisor1 is a therapist too
    "therapists_only": 4,
    "needing_cosign": 1,
    "authenticators": 7,
    "supervisions": 4,
    "current_supervisions": 4,
}


def test_demo_staff_matches_the_expected_roles() -> None:
    # Guards the expectations below against drifting from the demo definition.
    assert {
        s.email: (s.is_therapist, s.is_supervisor, s.is_clinic_admin, s.requires_cosign)
        for s in DEMO_STAFF
    } == EXPECTED_ROLES


@pytest.mark.django_db
def test_seed_demo_is_refused_without_demo_mode(settings: Settings) -> None:
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="refused unless DEMO_MODE=1"):
        call_command("seed_demo", stdout=StringIO())

    assert User.objects.count() == 0


def test_seed_demo_creates_the_demo_clinic(demo_clinic: DemoClinic) -> None:
    output = demo_clinic.output

    assert role_counts() == EXPECTED_COUNTS
    assert {
        u.email: (u.is_therapist, u.is_supervisor, u.is_clinic_admin, u.requires_cosign)
        for u in User.objects.all()
    } == EXPECTED_ROLES
    assert {
        s.supervisee.email: s.supervisor.email
        for s in Supervision.objects.select_related("supervisor", "supervisee")
    } == EXPECTED_SUPERVISORS
    assert output.count(f"Password for every demo account: {DEMO_PASSWORD}") == 1
    assert len(re.findall(rf"^  \S+@{re.escape(DEMO_DOMAIN)}  ", output, re.MULTILINE)) == 7


def test_seed_demo_twice_gives_the_same_clinic(demo_clinic: DemoClinic, demo_mode: None) -> None:
    first_users = list(User.objects.order_by("pk").values("pk", "email", "password"))
    first_audit = AuditEvent.objects.count()

    seed()

    assert role_counts() == EXPECTED_COUNTS
    assert list(User.objects.order_by("pk").values("pk", "email", "password")) == first_users
    # Nothing changed, so nothing new was recorded.
    assert AuditEvent.objects.count() == first_audit


def test_seed_demo_restores_a_changed_demo_account(
    demo_clinic: DemoClinic, demo_mode: None
) -> None:
    trainee = User.objects.get(email=demo_email("trainee"))
    trainee.requires_cosign = False
    trainee.save()
    User.objects.filter(email=demo_email("therapist1")).update(
        is_active=False, deactivated_at=timezone.now()
    )

    seed()

    trainee.refresh_from_db()
    assert trainee.requires_cosign is True
    assert User.objects.get(email=demo_email("therapist1")).is_active is True
    assert role_counts() == EXPECTED_COUNTS


def test_trainee_needs_cosignature_and_has_a_current_supervisor(demo_clinic: DemoClinic) -> None:
    trainee = User.objects.get(email=demo_email("trainee"))

    assert (trainee.full_name, trainee.requires_cosign) == ("Casey Morgan", True)
    assert current_supervisor(user=trainee) == User.objects.get(email=demo_email("supervisor2"))


def test_demo_accounts_sign_in_with_the_published_password(demo_clinic: DemoClinic) -> None:
    assert User.objects.get(email=demo_email("admin")).check_password(DEMO_PASSWORD) is True


def test_demo_code_prints_a_code_that_verifies(demo_clinic: DemoClinic, demo_mode: None) -> None:
    out = StringIO()

    call_command("demo_code", demo_email("TRAINEE").upper(), stdout=out)

    assert re.fullmatch(r"\d{6}\n", out.getvalue())
    device = TOTPDevice.objects.get(user__email=demo_email("trainee"))
    assert device.key == demo_totp_key(demo_email("trainee"))
    assert device.verify_token(out.getvalue().strip()) is True


@pytest.mark.django_db
def test_demo_code_is_refused_without_demo_mode(settings: Settings) -> None:
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="only works in a demo clinic"):
        call_command("demo_code", demo_email("trainee"), stdout=StringIO())


@pytest.mark.django_db
def test_demo_code_for_an_unknown_account_is_refused(demo_mode: None) -> None:
    with pytest.raises(CommandError, match="No demo account with an authenticator"):
        call_command("demo_code", "nobody@example.test", stdout=StringIO())
