"""Signing in for real: password (with lockout), then two-factor enrolment or verification."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.accounts.helpers import audit_actions, wrong_totp_code
from tests.factories import (
    TEST_PASSWORD,
    ClinicAdminFactory,
    TherapistFactory,
    TOTPDeviceFactory,
    totp_code,
)

INVALID_LOGIN = (
    "That email and password do not match an active account. "
    "After 5 failed attempts the account is locked for a while."
)
CODE_NOT_ACCEPTED = (
    "That code was not accepted. Codes change every 30 seconds; try the current one."
)
LOGIN_URL = reverse("accounts:login")
TWO_FACTOR_URL = reverse("accounts:two_factor")
# Every signed-in, verified person can open their own account page, whatever their role.
MY_ACCOUNT = reverse("accounts:my_account")


@pytest.fixture
def tess(db: None) -> User:
    """A therapist with a real password (Argon2, so only in tests that type it)."""
    return TherapistFactory(
        email="tess.therapist@clinic.test", full_name="Tess Therapist", password=TEST_PASSWORD
    )


def password_step(client: Client, *, email: str, password: str = TEST_PASSWORD) -> Any:
    return client.post(LOGIN_URL, {"username": email, "password": password})


def template_names(response: Any) -> list[str]:
    return [t.name for t in response.templates]


def two_factor_then(path: str) -> str:
    return f"{TWO_FACTOR_URL}?{urlencode({'next': path})}"


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


# --- Password step --------------------------------------------------------------------------


def test_sign_in_page_renders_for_anonymous_people(db: None) -> None:
    response = Client().get(LOGIN_URL)

    assert response.status_code == 200
    assert template_names(response)[0] == "accounts/login.html"


def test_password_step_accepts_email_in_any_case_and_records_sign_in(tess: User) -> None:
    client = Client()

    response = password_step(client, email="  TESS.Therapist@Clinic.TEST ")

    assert response.status_code == 302
    assert response["Location"] == reverse("home:home")
    assert signed_in_user_id(client) == str(tess.pk)
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor, event.object_id, event.category) == (tess, str(tess.pk), "security")
    assert audit_actions() == ["auth.login"]


def test_wrong_password_is_refused_with_a_clear_message(tess: User) -> None:
    client = Client()

    response = password_step(client, email=tess.email, password="not-the-password-at-all")

    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": [INVALID_LOGIN]}
    assert signed_in_user_id(client) is None
    assert audit_actions() == ["auth.login_failed"]
    # The typed email is kept so that only the password needs typing again.
    assert response.context["form"]["username"].value() == tess.email


def test_two_factor_cannot_be_skipped_after_the_password_step(db: None) -> None:
    admin = ClinicAdminFactory(email="ada@clinic.test", password=TEST_PASSWORD)
    TOTPDeviceFactory(user=admin)
    client = Client()
    assert password_step(client, email=admin.email).status_code == 302

    home = client.get(reverse("home:home"))
    staff = client.get(reverse("accounts:staff_list"))
    me = client.get(reverse("accounts:my_account"))

    assert (home.status_code, home["Location"]) == (302, TWO_FACTOR_URL)
    assert (staff.status_code, staff["Location"]) == (302, two_factor_then("/account/staff/"))
    assert (me.status_code, me["Location"]) == (302, two_factor_then("/account/me/"))


# --- Lockout --------------------------------------------------------------------------------


def test_five_failed_attempts_lock_the_account_even_for_the_right_password(tess: User) -> None:
    client = Client()
    # Varying the case does not reset the count: axes locks on the lower-cased email.
    emails = [tess.email, tess.email.upper(), tess.email, tess.email.title(), tess.email]

    statuses = [
        password_step(client, email=email, password=f"wrong-guess-{n}").status_code
        for n, email in enumerate(emails)
    ]

    # The fifth failure locks the account and is answered with the lockout page already.
    assert statuses == [200, 200, 200, 200, 429]
    assert audit_actions() == [*["auth.login_failed"] * 4, "auth.lockout", "auth.login_failed"]
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5

    sixth = password_step(client, email=tess.email, password=TEST_PASSWORD)

    assert sixth.status_code == 429
    assert "accounts/locked_out.html" in template_names(sixth)
    assert sixth.content.decode().count("Sign-in paused") == 2  # <title> and <h1>
    assert signed_in_user_id(client) is None
    # Each attempt while locked is itself recorded, and never as a sign-in.
    assert audit_actions()[6:] == ["auth.lockout", "auth.login_failed"]
    assert AuditEvent.objects.filter(action="auth.login").count() == 0
    lockouts = AuditEvent.objects.filter(action="auth.lockout")
    assert {(e.object_id, e.actor_id, e.detail) for e in lockouts} == {(str(tess.pk), None, "")}


def test_lockout_of_one_account_does_not_lock_another(tess: User) -> None:
    other = TherapistFactory(email="omar@clinic.test", password=TEST_PASSWORD)
    client = Client()
    for n in range(5):
        password_step(client, email=tess.email, password=f"wrong-guess-{n}")

    response = password_step(Client(), email=other.email)

    assert response.status_code == 302
    assert AuditEvent.objects.get(action="auth.login").actor == other


def test_audit_trail_never_stores_typed_password_or_unknown_email(tess: User) -> None:
    typed_password = "Typed-Secret-Passphrase-77"
    unknown_email = "nobody-by-this-name@elsewhere.test"
    client = Client()

    password_step(client, email=tess.email, password=typed_password)
    password_step(client, email=unknown_email, password=typed_password)
    # People sometimes type their password into the email box.
    client.post(LOGIN_URL, {"username": typed_password, "password": typed_password})

    rows = list(AuditEvent.objects.order_by("id").values())
    assert [(r["action"], r["object_id"], r["detail"]) for r in rows] == [
        ("auth.login_failed", str(tess.pk), ""),
        ("auth.login_failed", "", "unknown account"),
    ]
    everything_stored = json.dumps(rows, default=str).lower()
    assert typed_password.lower() not in everything_stored
    assert unknown_email not in everything_stored
    assert "nobody" not in everything_stored


def test_lockout_of_unknown_email_is_recorded_without_the_email(db: None) -> None:
    unknown_email = "ghost@elsewhere.test"
    client = Client()

    statuses = [
        password_step(client, email=unknown_email, password=f"guess-{n}").status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 200, 200, 429]
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert (lockout.object_id, lockout.detail) == ("", "unknown account")
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "ghost" not in stored


# --- Two-factor: enrolment --------------------------------------------------------------------


def test_first_sign_in_enrols_an_authenticator_and_shows_recovery_codes_once(tess: User) -> None:
    client = Client()
    password_step(client, email=tess.email)

    enrol_page = client.get(TWO_FACTOR_URL)
    assert enrol_page.status_code == 200
    assert template_names(enrol_page)[0] == "accounts/two_factor_enrol.html"
    device = TOTPDevice.objects.get(user=tess)
    assert device.confirmed is False

    response = client.post(TWO_FACTOR_URL, {"token": totp_code(device)})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:recovery_codes")
    device.refresh_from_db()
    assert device.confirmed is True

    first_visit = client.get(reverse("accounts:recovery_codes"))
    codes = first_visit.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"\d{5}-\d{5}", code) for code in codes)
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=tess).values_list("token", flat=True)
    )
    html = first_visit.content.decode()
    assert [code for code in codes if f"<li>{code}</li>" in html] == codes

    second_visit = client.get(reverse("accounts:recovery_codes"))
    assert second_visit.context["codes"] == []
    assert [code for code in codes if code in second_visit.content.decode()] == []

    # Enrolment verified the session: the clinic is open now.
    assert client.get(MY_ACCOUNT).status_code == 200
    assert audit_actions(obj=tess) == ["auth.login", "two_factor.enrol"]


def test_enrolment_with_a_wrong_code_keeps_the_authenticator_unconfirmed(tess: User) -> None:
    client = Client()
    password_step(client, email=tess.email)
    client.get(TWO_FACTOR_URL)
    device = TOTPDevice.objects.get(user=tess)

    response = client.post(TWO_FACTOR_URL, {"token": wrong_totp_code(device)})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "token": ["That code did not match. Check the time on your phone."]
    }
    device.refresh_from_db()
    assert device.confirmed is False
    assert StaticDevice.objects.filter(user=tess).count() == 0
    assert client.get(MY_ACCOUNT)["Location"] == two_factor_then(MY_ACCOUNT)


def test_enrolment_refuses_something_that_is_not_a_six_digit_code(therapist: User) -> None:
    client = Client()
    client.force_login(therapist)

    response = client.post(TWO_FACTOR_URL, {"token": "12345-67890"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "token": ["Enter the 6-digit code your authenticator app shows."]
    }


# --- Two-factor: verification ---------------------------------------------------------------


def test_enrolled_person_verifies_with_the_current_code(tess: User) -> None:
    device = TOTPDeviceFactory(user=tess)
    client = Client()
    password_step(client, email=tess.email)

    page = client.get(TWO_FACTOR_URL)
    assert template_names(page)[0] == "accounts/two_factor_verify.html"

    response = client.post(TWO_FACTOR_URL, {"token": totp_code(device)})

    assert response.status_code == 302
    assert response["Location"] == reverse("home:home")
    assert client.get(MY_ACCOUNT).status_code == 200
    assert audit_actions(obj=tess) == ["auth.login", "two_factor.verify"]


def test_verification_returns_to_the_page_asked_for(therapist: User) -> None:
    device = TOTPDeviceFactory(user=therapist)
    client = Client()
    client.force_login(therapist)

    response = client.post(f"{TWO_FACTOR_URL}?next=/account/me/", {"token": totp_code(device)})

    assert response["Location"] == "/account/me/"


@pytest.mark.parametrize("sent", ["https://evil.example/", "account", "%00"])
def test_verification_ignores_a_next_that_is_not_a_page_of_ours(therapist: User, sent: str) -> None:
    device = TOTPDeviceFactory(user=therapist)
    client = Client()
    client.force_login(therapist)

    response = client.post(f"{TWO_FACTOR_URL}?next={sent}", {"token": totp_code(device)})

    assert response["Location"] == reverse("home:home")


def test_wrong_code_is_refused_with_a_message(therapist: User) -> None:
    device = TOTPDeviceFactory(user=therapist)
    client = Client()
    client.force_login(therapist)

    response = client.post(TWO_FACTOR_URL, {"token": wrong_totp_code(device)})

    assert response.status_code == 200
    assert response.context["form"].errors == {"token": [CODE_NOT_ACCEPTED]}
    assert response.content.decode().count(CODE_NOT_ACCEPTED) == 1
    assert client.get(MY_ACCOUNT)["Location"] == two_factor_then(MY_ACCOUNT)
    assert audit_actions(obj=therapist) == ["auth.login", "two_factor.verify_failed"]


def test_recovery_code_works_once_and_not_twice(therapist: User) -> None:
    TOTPDeviceFactory(user=therapist)
    recovery = StaticDevice.objects.create(user=therapist, name="Recovery codes", confirmed=True)
    StaticToken.objects.bulk_create(
        [
            StaticToken(device=recovery, token="12345-67890"),
            StaticToken(device=recovery, token="24680-13579"),
        ]
    )
    first = Client()
    first.force_login(therapist)

    response = first.post(TWO_FACTOR_URL, {"token": " 12345-67890 "})

    assert response["Location"] == reverse("home:home")
    assert [str(m) for m in first.get(MY_ACCOUNT).context["messages"]] == [
        "You signed in with a recovery code. 1 code is left."
    ]
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["24680-13579"]

    second = Client()
    second.force_login(therapist)
    again = second.post(TWO_FACTOR_URL, {"token": "12345-67890"})

    assert again.status_code == 200
    assert again.context["form"].errors == {"token": [CODE_NOT_ACCEPTED]}
    assert second.get(MY_ACCOUNT)["Location"] == two_factor_then(MY_ACCOUNT)
    assert AuditEvent.objects.filter(action="two_factor.verify").get().detail == "recovery code"
    assert AuditEvent.objects.filter(action="two_factor.verify_failed").count() == 1


def test_a_code_from_another_persons_authenticator_is_refused(
    therapist: User, other_therapist: User
) -> None:
    TOTPDeviceFactory(user=therapist)
    others_device = TOTPDeviceFactory(user=other_therapist)
    client = Client()
    client.force_login(therapist)

    response = client.post(TWO_FACTOR_URL, {"token": totp_code(others_device)})

    assert response.context["form"].errors == {"token": [CODE_NOT_ACCEPTED]}


def test_sign_out_ends_the_session_and_records_it(tess: User) -> None:
    device = TOTPDeviceFactory(user=tess)
    client = Client()
    password_step(client, email=tess.email)
    client.post(TWO_FACTOR_URL, {"token": totp_code(device)})

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert signed_in_user_id(client) is None
    assert audit_actions(obj=tess) == ["auth.login", "two_factor.verify", "auth.logout"]
    assert AuditEvent.objects.get(action="auth.logout").detail == ""
