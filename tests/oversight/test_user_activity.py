"""User activity: last sign-in, lockouts with unlock, two-factor and deactivation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axes.models import AccessAttempt
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from oversight.selectors import locked_usernames
from tests.factories import TEST_PASSWORD, TherapistFactory, TOTPDeviceFactory
from tests.oversight.factories import utc

ClientFor = Callable[[User | None], HttpClient]
URL = reverse("oversight:user_activity")
LOGIN = reverse("accounts:login")


def unlock_url(user: User) -> str:
    return reverse("oversight:user_unlock", args=[user.pk])


def lock_out(user: User) -> None:
    """Five wrong passwords, as a person would type them."""
    browser = HttpClient()
    for n in range(5):
        browser.post(LOGIN, {"username": user.email, "password": f"wrong-{n}"})
    assert locked_usernames() == {user.email}


@pytest.fixture
def locked_therapist(db: None) -> User:
    user = TherapistFactory(
        full_name="Lee Locked", email="lee.locked@clinic.test", password=TEST_PASSWORD
    )
    lock_out(user)
    return user


def test_rows_show_sign_in_lockout_two_factor_and_deactivation(
    client_for: ClientFor, clinic_admin: User, therapist: User, locked_therapist: User
) -> None:
    therapist.last_login = utc(2026, 1, 15, 14)
    therapist.save(update_fields=["last_login"])
    gone = TherapistFactory(full_name="Gina Gone")
    gone.is_active = False
    gone.deactivated_at = utc(2026, 1, 2)
    gone.save()
    http = client_for(clinic_admin)  # gives the admin (and only them) an authenticator
    TOTPDeviceFactory(user=therapist)

    response = http.get(URL)

    assert response.status_code == 200
    rows = [
        (
            r.account.full_name,
            r.account.last_login,
            r.account.two_factor_enrolled,
            r.account.is_active,
            r.locked,
        )
        for r in response.context["rows"]
    ]
    assert rows == [
        ("Ada Admin", clinic_admin.last_login, True, True, False),
        ("Gina Gone", None, False, False, False),
        ("Lee Locked", None, False, True, True),
        ("Tess Therapist", utc(2026, 1, 15, 14), True, True, False),
    ]
    assert response.context["locked_count"] == 1
    # Lee only: a deactivated account cannot sign in, so its two-factor does not matter.
    assert response.context["without_two_factor_count"] == 1
    assert response.context["deactivated_count"] == 1
    assert "1 account locked out" in response.text
    assert unlock_url(locked_therapist) in response.text
    assert unlock_url(therapist) not in response.text


def test_unlock_clears_the_lockout_is_audited_and_the_person_can_sign_in(
    client_for: ClientFor, clinic_admin: User, locked_therapist: User
) -> None:
    http = client_for(clinic_admin)
    refused = HttpClient().post(
        LOGIN, {"username": locked_therapist.email, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 429

    response = http.post(unlock_url(locked_therapist), follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Lee Locked can sign in again. Their failed attempts were cleared."
    ]
    assert locked_usernames() == set()
    assert AccessAttempt.objects.filter(username=locked_therapist.email).exists() is False
    unlock = AuditEvent.objects.get(action="account.unlock")
    assert (
        unlock.category,
        unlock.actor_id,
        unlock.object_type,
        unlock.object_id,
        unlock.changes,
    ) == (
        "security",
        clinic_admin.pk,
        "accounts.user",
        str(locked_therapist.pk),
        {"locked": [True, False]},
    )
    signed_in = HttpClient().post(
        LOGIN, {"username": locked_therapist.email, "password": TEST_PASSWORD}
    )
    # Past the password step (the home page then asks for the second factor).
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")


def test_unlocking_an_account_that_is_not_locked_changes_nothing(
    client_for: ClientFor, clinic_admin: User, therapist: User
) -> None:
    http = client_for(clinic_admin)
    before = AuditEvent.objects.count()

    response = http.post(unlock_url(therapist), follow=True)

    assert [str(m) for m in response.context["messages"]] == ["Tess Therapist was not locked out."]
    assert AuditEvent.objects.count() == before


def test_unlock_by_someone_else_is_refused_and_the_lock_stays(
    client_for: ClientFor, supervisor: User, locked_therapist: User
) -> None:
    http = client_for(supervisor)
    before = AuditEvent.objects.count()
    assert http.post(unlock_url(locked_therapist)).status_code == 404
    assert locked_usernames() == {locked_therapist.email}
    assert AuditEvent.objects.count() == before


def test_attempts_older_than_the_cool_off_do_not_count_as_locked(
    locked_therapist: User,
) -> None:
    later = timezone.now() + timezone.timedelta(minutes=16)
    assert locked_usernames(later) == set()


# session, user, authenticator, accounts (with two-factor annotated), locked usernames.
ACTIVITY_QUERIES = 5


def test_query_count_does_not_grow_with_accounts(
    client_for: ClientFor,
    clinic_admin: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    http = client_for(clinic_admin)
    http.get(URL)  # settles the session's last-seen stamp
    with django_assert_num_queries(ACTIVITY_QUERIES):
        small = http.get(URL)
    assert len(small.context["rows"]) == 1

    for n in range(20):
        user = TherapistFactory(full_name=f"Staff {n:02d}")
        if n % 2:
            TOTPDeviceFactory(user=user)
    AccessAttempt.objects.create(
        username="staff3@clinic.test",
        ip_address="10.0.0.1",
        user_agent="test",
        get_data="",
        post_data="",
        failures_since_start=5,
    )
    http.get(URL)
    with django_assert_num_queries(ACTIVITY_QUERIES):
        larger = http.get(URL)
    assert len(larger.context["rows"]) == 21
