"""Privilege steps: the session key changes at each (password, second factor, emergency grant),
and new recovery codes need the password typed again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts.models import EmergencyGrant, User
from hrp.accounts.services import recovery_codes_regenerate
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.factories import TEST_PASSWORD, TherapistFactory, TOTPDeviceFactory, totp_code

ClientFor = Callable[[User | None], HttpClient]

LOGIN_URL = reverse("accounts:login")
TWO_FACTOR_URL = reverse("accounts:two_factor")
RECOVERY_CODES = reverse("accounts:recovery_codes")


@pytest.fixture
def tess(db: None) -> User:
    return TherapistFactory(email="tess@clinic.test", password=TEST_PASSWORD)


def session_key(client: HttpClient) -> str:
    return client.cookies["sessionid"].value


def test_the_session_key_changes_at_the_password_and_at_the_second_factor(tess: User) -> None:
    device = TOTPDeviceFactory(user=tess)
    client = HttpClient()
    client.get(LOGIN_URL)
    client.session.save()  # an anonymous session, as a planted cookie would be
    anonymous = session_key(client)

    client.post(LOGIN_URL, {"username": tess.email, "password": TEST_PASSWORD})
    after_password = session_key(client)
    client.post(TWO_FACTOR_URL, {"token": totp_code(device)})
    after_second_factor = session_key(client)

    assert len({anonymous, after_password, after_second_factor}) == 3
    # The key seen before the second factor opens nothing afterwards.
    assert not Session.objects.filter(session_key=after_password).exists()
    assert client.get(reverse("accounts:my_account")).status_code == 200


def test_the_session_key_changes_when_enrolment_completes(tess: User) -> None:
    client = HttpClient()
    client.post(LOGIN_URL, {"username": tess.email, "password": TEST_PASSWORD})
    client.get(TWO_FACTOR_URL)
    before = session_key(client)

    response = client.post(TWO_FACTOR_URL, {"token": totp_code(TOTPDevice.objects.get())})

    assert response["Location"] == RECOVERY_CODES
    assert session_key(client) != before
    assert not Session.objects.filter(session_key=before).exists()


def test_the_session_key_changes_when_an_emergency_grant_starts(
    tess: User, client_for: ClientFor
) -> None:
    record = ClientFactory(chart_number="C-GLASS")
    web = client_for(tess)
    before = session_key(web)

    response = web.post(
        reverse("emergency:start"),
        {"chart_number": "C-GLASS", "reason": "In crisis.", "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    assert EmergencyGrant.objects.get().client == record
    assert session_key(web) != before
    assert not Session.objects.filter(session_key=before).exists()
    assert web.get(response["Location"]).status_code == 200


# --- New recovery codes ------------------------------------------------------------------------


def _codes(user: User) -> list[str]:
    return sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


@pytest.fixture
def enrolled(tess: User) -> User:
    recovery_codes_regenerate(user=tess, password=TEST_PASSWORD)
    return tess


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Enter your password."),
        ("not-my-password", "That password is not right. Your recovery codes have not changed."),
    ],
)
def test_new_recovery_codes_need_the_password(
    enrolled: User, client_for: ClientFor, typed: str, error: str
) -> None:
    before = _codes(enrolled)
    web = client_for(enrolled)

    page = web.get(RECOVERY_CODES)
    response = web.post(RECOVERY_CODES, {"password": typed})

    assert page.content.decode().count('name="password"') == 1
    assert response.status_code == 400
    assert response.context["codes"] == []
    assert response.context["form"].errors == {"password": [error]}
    assert _codes(enrolled) == before
    refused = AuditEvent.objects.filter(action="two_factor.recovery_codes_refused").count()
    assert refused == (1 if typed else 0)
    # Only the fixture's codes were made.
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes").count() == 1


def test_new_recovery_codes_with_the_password(enrolled: User, client_for: ClientFor) -> None:
    before = _codes(enrolled)

    response = client_for(enrolled).post(RECOVERY_CODES, {"password": TEST_PASSWORD})

    assert response.status_code == 200
    assert sorted(response.context["codes"]) == _codes(enrolled)
    assert len(set(_codes(enrolled))) == 10
    assert set(_codes(enrolled)).isdisjoint(before)
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes").count() == 2
