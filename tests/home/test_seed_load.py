"""The large generated clinic (`manage.py seed_load`) at a tiny size: refused outside
DEMO_MODE and on a database with clients; every row it claims is there, every encrypted column
holds ciphertext that decrypts, every signed note and review verifies, sequences move past the
ids it chose, and its staff sign in as the demo's do."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import Settings

from assessments.models import HARM_DOMAINS, HarmAssessment
from clients.models import Client
from goals.models import UseCheckIn
from home.load import LoadSize, seed_load, staff_email, supervisor_key, therapist_key
from hrp import crypto
from hrp.accounts.demo import DEMO_PASSWORD, demo_totp_key
from hrp.accounts.models import Supervision, User
from sessions.models import Appointment, NoteReview, SessionNote
from tests.clients.factories import ClientFactory

# Twenty therapists so that one of them (every twentieth) is a trainee whose notes are co-signed.
TINY = LoadSize(therapists=20, supervisors=2, clients=20, discharged=2, months=6)


@pytest.fixture
def tiny(settings: Settings, db: None) -> dict[str, int]:
    settings.DEMO_MODE = True
    # In the test's own transaction (the background writer would use another connection).
    return seed_load(TINY, background=False)


def test_refused_without_demo_mode(settings: Settings, db: None) -> None:
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE=1"):
        call_command("seed_load", "--scale", "0.001", stdout=StringIO())
    assert User.objects.count() == 0
    assert Client.objects.count() == 0


def test_refused_on_a_database_with_clients(settings: Settings, db: None) -> None:
    settings.DEMO_MODE = True
    ClientFactory()
    users = User.objects.count()
    with pytest.raises(CommandError, match="only fills an empty database"):
        call_command("seed_load", "--scale", "0.001", stdout=StringIO())
    assert Client.objects.count() == 1
    assert User.objects.count() == users


def test_refused_sizes(settings: Settings, db: None) -> None:
    settings.DEMO_MODE = True
    with pytest.raises(CommandError, match="between 0 and the number of clients"):
        call_command("seed_load", "--clients", "3", "--discharged", "4", stdout=StringIO())
    assert User.objects.count() == 0


def test_tiny_clinic(tiny: dict[str, int]) -> None:
    """One clinic, generated once, checked for everything that must hold of it."""
    _counts_are_what_is_stored(tiny)
    _encrypted_columns_hold_ciphertext_that_decrypts()
    _signed_notes_and_reviews_verify()
    _staff_sign_in_as_the_demo_does()
    _ids_continue_after_the_load()


def _counts_are_what_is_stored(tiny: dict[str, int]) -> None:
    for label, count in tiny.items():
        assert apps.get_model(label)._base_manager.count() == count, label
    assert tiny["accounts.User"] == 1 + 2 + 20
    assert Client.objects.count() == 20
    by_status = dict(Client.objects.values_list("status").annotate(n=Count("id")))
    assert by_status == {"active": 18, "discharged": 2}
    # Every client has its history: appointments, signed notes, measures and check-ins.
    for name in ("appointments", "session_notes", "administrations", "use_checkins"):
        assert not Client.objects.annotate(n=Count(name)).filter(n=0).exists(), name
    assert Supervision.objects.current().count() == 20
    # The late-notes flag follows its rule after a load that bypasses the services: attended
    # with no signed note exactly when flagged, and the load leaves some late notes to show.
    attended = Appointment.objects.filter(status=Appointment.Status.ATTENDED)
    signed = SessionNote.objects.exclude(status=SessionNote.Status.DRAFT)
    unsigned = attended.exclude(pk__in=signed.values("appointment_id"))
    assert set(Appointment.objects.filter(note_pending=True).values_list("pk", flat=True)) == set(
        unsigned.values_list("pk", flat=True)
    )
    assert unsigned.exists()


def _encrypted_columns_hold_ciphertext_that_decrypts() -> None:
    checked = 0
    for table in crypto.registry():
        for batch in table.batches(size=1000):
            for _pk, values in batch:
                for value in values:
                    if value:
                        raw = bytes(value) if isinstance(value, memoryview) else value
                        assert crypto.decrypt(raw) not in ("", crypto.Unreadable()), table.label
                        checked += 1
    assert checked > 1000
    note = SessionNote.objects.exclude(data="").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM therapy_sessions_sessionnote WHERE id = %s", [note.pk])
        assert cursor.fetchone()[0].startswith(crypto.PREFIX)
    assert note.data.startswith(("Came in", "Reported", "Talked"))


def _signed_notes_and_reviews_verify() -> None:
    signed = list(SessionNote.objects.filter(signed_at__isnull=False))
    assert len(signed) > 100
    assert all(note.hash_verified() for note in signed)
    reviews = list(NoteReview.objects.all())
    assert reviews and all(review.hash_verified() for review in reviews)
    trainee_notes = SessionNote.objects.filter(author__requires_cosign=True)
    assert set(trainee_notes.values_list("status", flat=True)) <= {
        "draft",
        "awaiting_cosign",
        "cosigned",
    }
    # Each check-in a signed note recorded points back at that note.
    sources = set(
        UseCheckIn.objects.filter(source_note_id__isnull=False).values_list(
            "source_note_id", flat=True
        )
    )
    assert sources and sources <= {note.pk for note in signed}


def _ids_continue_after_the_load() -> None:
    loaded = max(Client.objects.values_list("pk", flat=True))
    client = ClientFactory()  # would collide with a loaded id if the sequence had not moved
    assert client.pk > loaded


def _staff_sign_in_as_the_demo_does() -> None:
    for email in (staff_email(supervisor_key(0)), staff_email(therapist_key(0))):
        user = User.objects.get(email=email)
        assert user.check_password(DEMO_PASSWORD)
        device = TOTPDevice.objects.get(user=user)
        assert device.confirmed and device.key == demo_totp_key(email)
    supervisor = User.objects.get(email=staff_email(supervisor_key(0)))
    assert supervisor.is_supervisor and not supervisor.is_therapist
    assert User.objects.filter(requires_cosign=True).count() == 1


def test_every_life_area_is_rated_or_deliberately_not_asked(tiny: dict[str, int]) -> None:
    """Harm ratings are nullable ("not asked"): the generator rates every life area, except the
    legal one on each client's later assessment, which it leaves not asked on purpose."""
    rated = [f"{key}_rating" for key, _label in HARM_DOMAINS if key != "legal"]
    assessments = list(HarmAssessment.objects.order_by("client_id", "assessed_on", "id"))

    assert len(assessments) == 2 * Client.objects.count()
    assert all(getattr(a, name) is not None for a in assessments for name in rated)
    assert [a.legal_rating is None for a in assessments] == [False, True] * (len(assessments) // 2)
