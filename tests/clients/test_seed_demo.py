"""`seed_demo` adds about 30 believable clients: most goals are not abstinence, two mandated
referrals, a consent expiring soon and a revoked one; running it again adds nothing."""

from __future__ import annotations

import datetime
import io
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from clients.demo import DEMO_CLIENTS
from clients.models import Client, Consent, Intake, Referral, SubstanceUse, TherapistAssignment
from hrp.accounts.models import User
from tests.conftest import DemoClinic

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings


@pytest.fixture
def demo(demo_clinic: DemoClinic) -> None:
    """The demo clinic, seeded once for the run (tests/conftest.py)."""


def test_seed_demo_is_refused_outside_demo_mode(settings: Settings, db: None) -> None:
    settings.DEMO_MODE = False

    with pytest.raises(CommandError):
        call_command("seed_demo")

    assert Client.objects.count() == 0


def test_it_creates_the_demo_clients(demo: None) -> None:
    assert len(DEMO_CLIENTS) == 30
    assert Client.objects.count() == 30
    assert sorted(Client.objects.values_list("legal_name", flat=True)) == sorted(
        row[0] for row in DEMO_CLIENTS
    )


def test_the_clients_are_spread_across_the_therapists(demo: None) -> None:
    therapists = User.objects.filter(is_therapist=True)
    per_therapist = Counter(Client.objects.values_list("therapist__email", flat=True))

    assert set(per_therapist) == set(therapists.values_list("email", flat=True))
    assert max(per_therapist.values()) - min(per_therapist.values()) <= 1
    # Each client has exactly one current assignment, to their therapist.
    current = TherapistAssignment.objects.filter(ended_at__isnull=True)
    assert current.count() == 30
    assert all(a.therapist_id == a.client.therapist_id for a in current.select_related("client"))


def test_two_mandated_referrals(demo: None) -> None:
    mandated = Referral.objects.filter(source=Referral.Source.MANDATED)

    assert sorted(mandated.values_list("client__legal_name", "mandate_kind")) == [
        ("Carlos Mendoza", "welfare_to_work"),
        ("Daniel Kowalski", "criminal_justice"),
    ]
    assert all(r.agency for r in mandated)
    # Their agencies' consents are for attendance only.
    assert set(
        Consent.objects.filter(client__referral__source="mandated").values_list("scope", flat=True)
    ) == {"attendance"}


def test_one_consent_revoked_and_three_expiring_within_30_days(demo: None) -> None:
    today = timezone.localdate()

    revoked = Consent.objects.filter(revoked_on__isnull=False)
    expiring = Consent.objects.in_force().filter(
        expires_on__lte=today + datetime.timedelta(days=30)
    )

    assert revoked.count() == 1
    assert [c.state for c in revoked] == ["revoked"]
    # The probation consent, and two family-doctor consents for the supervisors' dashboards.
    assert sorted((c.client.legal_name, c.recipient) for c in expiring) == sorted(
        [
            ("Daniel Kowalski", "County Probation Department"),
            *[
                (name, "Family doctor, Eastside Health Center")
                for name in Consent.objects.filter(
                    recipient="Family doctor, Eastside Health Center"
                ).values_list("client__legal_name", flat=True)
            ],
        ]
    )
    assert Consent.objects.filter(recipient="Family doctor, Eastside Health Center").count() == 2
    assert {c.state for c in expiring} == {"expiring_soon"}


def test_abstinence_is_the_goal_of_a_minority(demo: None) -> None:
    goals = Counter(SubstanceUse.objects.values_list("goal", flat=True))
    total = sum(goals.values())

    assert total == sum(len(row[5]) for row in DEMO_CLIENTS)
    assert 0 < goals["abstinence"] < total / 2
    assert goals["abstinence"] < goals["safer_use"] + goals["moderation"]
    assert set(goals) == {"safer_use", "moderation", "abstinence", "undecided"}


def test_stages_and_statuses_are_varied(demo: None) -> None:
    stages = set(SubstanceUse.objects.values_list("stage_of_change", flat=True))
    statuses = Counter(Client.objects.values_list("status", flat=True))

    assert stages == set(SubstanceUse.Stage.values)
    assert statuses == {"active": 25, "on_hold": 2, "discharged": 1, "intake": 2}
    assert Intake.objects.filter(completed_at__isnull=True).count() == 2


def test_running_it_twice_keeps_thirty(demo: None, settings: Settings) -> None:
    settings.DEMO_MODE = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    consents = Consent.objects.count()
    substances = SubstanceUse.objects.count()

    call_command("seed_demo", stdout=io.StringIO())

    assert Client.objects.count() == 30
    assert Consent.objects.count() == consents
    assert SubstanceUse.objects.count() == substances
