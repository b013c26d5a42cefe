"""Passwords are stored with Argon2. The rest of the suite hashes with a fast hasher
(tests/conftest.py, `_fast_password_hashing`), so this file checks the real one, under the
setting as production has it."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import identify_hasher
from django.test import Client, override_settings
from django.urls import reverse

import hrp.settings as production
from tests.factories import TEST_PASSWORD, TherapistFactory


@pytest.mark.django_db
def test_passwords_are_stored_with_argon2_and_sign_in_checks_them() -> None:
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"

    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        tess = TherapistFactory(email="tess.therapist@clinic.test", password=TEST_PASSWORD)
        assert identify_hasher(tess.password).algorithm == "argon2"
        assert TEST_PASSWORD not in tess.password

        client = Client()
        refused = client.post(
            reverse("accounts:login"), {"username": tess.email, "password": "not-the-password"}
        )
        accepted = client.post(
            reverse("accounts:login"), {"username": tess.email, "password": TEST_PASSWORD}
        )

    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert client.session[SESSION_KEY] == str(tess.pk)
