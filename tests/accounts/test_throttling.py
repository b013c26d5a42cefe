"""Sign-in throttling counts per account, whatever the spelling, and password re-entry (signing,
co-signing, emergency access) counts toward the same limit and is refused while locked.

The limit is 5 failures per account (LOGIN_FAILURE_LIMIT); the fifth is answered with the
lockout page already.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from hrp.accounts.authn import paused_message
from hrp.accounts.identity import canonical_email
from hrp.accounts.models import EmergencyGrant, User
from hrp.audit.models import AuditEvent
from sessions import services as note_services
from sessions.models import SessionNote
from tests.clients.factories import ClientFactory
from tests.factories import TEST_PASSWORD, SupervisionFactory, SupervisorFactory, TherapistFactory
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory, sign_note

ClientFor = Callable[[User | None], HttpClient]

LOGIN_URL = reverse("accounts:login")
EMERGENCY = reverse("emergency:start")
EMAIL = "tess.therapist@clinic.test"
WRONG = "That password is not right."
PAUSED = (
    "Too many wrong passwords for this account, so password entry is paused. "
    "Try again in 15 minutes, or ask a clinic admin to lift the pause."
)
# Spellings PostgreSQL's case-insensitive match took for the same account, each of which had
# its own five tries while the lockout counted by str.lower(): the long s (U+017F) folds to "s".
LOOK_ALIKES = [
    EMAIL,
    EMAIL.upper(),
    "teſs.therapist@clinic.test",
    "tess.therapiſt@clinic.test",
    "  Teſs.Therapist@Clinic.Test ",
]


@pytest.fixture
def tess(db: None) -> User:
    return TherapistFactory(email=EMAIL, full_name="Tess Therapist", password=TEST_PASSWORD)


def password_step(client: HttpClient, email: str, password: str) -> Any:
    return client.post(LOGIN_URL, {"username": email, "password": password})


def lock(email: str = EMAIL) -> None:
    for n in range(5):
        password_step(HttpClient(), email, f"wrong-guess-{n}")


def test_the_canonical_form_folds_case_and_compatibility_characters() -> None:
    assert [canonical_email(s) for s in LOOK_ALIKES] == [EMAIL] * 5
    assert canonical_email("ＴＥＳＳ@Clinic.Test") == "tess@clinic.test"  # fullwidth
    assert canonical_email("Straße@clinic.test") == "strasse@clinic.test"
    # The dotless i (U+0131) has no case fold to "i": it is another address, not a look-alike.
    assert canonical_email("tess.therapıst@clinic.test") != EMAIL


def test_every_look_alike_spelling_counts_toward_one_limit(tess: User) -> None:
    statuses = [
        password_step(HttpClient(), email, f"wrong-guess-{n}").status_code
        for n, email in enumerate(LOOK_ALIKES)
    ]

    assert statuses == [200, 200, 200, 200, 429]
    assert AuditEvent.objects.filter(action="auth.lockout", object_id=str(tess.pk)).count() == 1


def test_a_look_alike_that_folds_to_the_address_signs_in(tess: User) -> None:
    client = HttpClient()

    response = password_step(client, "teſs.therapist@clinic.test", TEST_PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(tess.pk)


def test_a_dotless_i_does_not_reach_the_account(tess: User) -> None:
    """PostgreSQL upper-cases the dotless i (U+0131) to I: a case-insensitive lookup found
    Tess by it."""
    client = HttpClient()

    response = password_step(client, "tess.therapıst@clinic.test", TEST_PASSWORD)

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="auth.login").count() == 0


def test_a_locked_account_answers_the_same_whatever_the_password(tess: User) -> None:
    lock()
    attempts = [
        (EMAIL, TEST_PASSWORD),
        (EMAIL, "wrong-again"),
        ("teſs.therapist@clinic.test", TEST_PASSWORD),
        (EMAIL.upper(), "wrong-again"),
    ]

    answers = []
    for email, password in attempts:
        client = HttpClient()
        response = password_step(client, email, password)
        answers.append(
            (
                response.status_code,
                [t.name for t in response.templates][:1],
                "Sign-in paused" in response.content.decode(),
                # The page's CSRF token is masked afresh on every response.
                re.sub(rb"[A-Za-z0-9]{64}", b"<csrf>", response.content),
                SESSION_KEY in client.session,
            )
        )

    assert answers[0][:2] == (429, ["accounts/login.html"])
    assert answers == [answers[0]] * 4
    assert answers[0][2:5:2] == (True, False)
    assert AuditEvent.objects.filter(action="auth.login").count() == 0


# --- Password re-entry ------------------------------------------------------------------------


def _emergency(web: HttpClient, password: str) -> Any:
    """Ask for emergency access to a client of another therapist."""
    if not Client.objects.filter(chart_number="C-EMERG").exists():
        ClientFactory(chart_number="C-EMERG")
    return web.post(
        EMERGENCY, {"chart_number": "C-EMERG", "reason": "In crisis.", "password": password}
    )


def _password_errors(response: Any) -> list[str]:
    return response.context["form"].errors.get("password", [])


def test_re_entry_failures_count_toward_the_sign_in_limit(
    tess: User, client_for: ClientFor
) -> None:
    web = client_for(tess)  # first: a sign-in clears the count
    for n, email in enumerate(LOOK_ALIKES[:3]):
        password_step(HttpClient(), email, f"wrong-guess-{n}")

    fourth = _emergency(web, "wrong-in-emergency")
    fifth = _emergency(web, "wrong-again")

    assert (fourth.status_code, _password_errors(fourth)) == (400, [WRONG])
    assert (fifth.status_code, _password_errors(fifth)) == (400, [PAUSED])
    assert password_step(HttpClient(), EMAIL, TEST_PASSWORD).status_code == 429
    # While locked, the right password is refused with the same words.
    right = _emergency(web, TEST_PASSWORD)
    assert (right.status_code, _password_errors(right)) == (400, [PAUSED])
    assert EmergencyGrant.objects.count() == 0
    assert paused_message() == PAUSED


def test_a_right_re_entry_clears_the_count_as_a_sign_in_does(
    tess: User, client_for: ClientFor
) -> None:
    web = client_for(tess)  # first: a sign-in clears the count
    for n in range(4):
        password_step(HttpClient(), EMAIL, f"wrong-guess-{n}")

    granted = _emergency(web, TEST_PASSWORD)

    assert granted.status_code == 302
    assert password_step(HttpClient(), EMAIL, "one-more-typo").status_code == 200


def test_signing_a_note_is_refused_while_the_account_is_locked(tess: User) -> None:
    record = ClientFactory(therapist=tess, chart_number="C-LOCK1")
    note = SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record))
    lock()

    with pytest.raises(ValidationError) as refused:
        note_services.note_sign(
            actor=tess, note=note, password=TEST_PASSWORD, expected_version=note.version
        )

    assert refused.value.message_dict == {"password": [PAUSED]}
    assert SessionNote.objects.get(pk=note.pk).status == "draft"
    event = AuditEvent.objects.get(action="note.sign_refused")
    assert event.detail == "password entry paused"


def test_co_signing_counts_and_is_refused_while_locked(tess: User) -> None:
    supervisor = SupervisorFactory(email="sue@clinic.test", password=TEST_PASSWORD)
    SupervisionFactory(supervisor=supervisor, supervisee=tess)
    User.objects.filter(pk=tess.pk).update(requires_cosign=True)
    record = ClientFactory(therapist=tess, chart_number="C-LOCK2")
    note = sign_note(
        SessionNoteFactory(
            appointment=AttendedAppointmentFactory(client=record),
            author=User.objects.get(pk=tess.pk),
        )
    )
    assert note.status == "awaiting_cosign"

    refusals = []
    for n in range(5):
        with pytest.raises(ValidationError) as refused:
            note_services.note_cosign(actor=supervisor, note=note, password=f"wrong-{n}")
        refusals.append(refused.value.message_dict["password"])
    with pytest.raises(ValidationError) as right_but_locked:
        note_services.note_cosign(actor=supervisor, note=note, password=TEST_PASSWORD)

    wrong = "That password is not right. The note is not co-signed."
    assert refusals == [[wrong]] * 4 + [[PAUSED]]
    assert right_but_locked.value.message_dict == {"password": [PAUSED]}
    assert SessionNote.objects.get(pk=note.pk).status == "awaiting_cosign"
    assert password_step(HttpClient(), "sue@clinic.test", TEST_PASSWORD).status_code == 429
    details = AuditEvent.objects.filter(action="note.cosign_refused").values_list(
        "detail", flat=True
    )
    assert sorted(details) == ["password entry paused"] * 2 + ["wrong password"] * 4
