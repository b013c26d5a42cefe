"""Who may open each oversight URL: clinic admins only; everyone else gets 404, and a visitor
who is not signed in is sent to sign in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.conftest import ROLE_FIXTURES

ClientFor = Callable[[User | None], HttpClient]

EXPECTED = {
    "therapist": 404,
    "other_therapist": 404,
    "supervisor": 404,
    "other_supervisor": 404,
    "clinic_admin": None,  # per URL below
    "anonymous": 302,
}


def _urls(client_pk: int, account_pk: int) -> list[tuple[str, str, int]]:
    """(method, url, status for a clinic admin)."""
    return [
        ("get", reverse("oversight:audit_trail"), 200),
        ("post", reverse("oversight:audit_trail"), 302),
        ("post", reverse("oversight:audit_export"), 200),
        ("get", reverse("oversight:client_access", args=[client_pk]), 200),
        ("get", reverse("oversight:user_activity"), 200),
        ("post", reverse("oversight:user_unlock", args=[account_pk]), 302),
    ]


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_every_oversight_url_answers_each_role_exactly(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    role: str,
    therapist: User,
    supervisor: User,
    other_supervisor: User,
) -> None:
    user = request.getfixturevalue(role)
    # The client is the therapist's own and the supervisor's supervisee's: being on the
    # care team gives no access to the admin's report.
    chart = ClientFactory(therapist=therapist)
    http = client_for(user)
    events_before = AuditEvent.objects.count()

    statuses = []
    for method, url, _admin_status in _urls(chart.pk, therapist.pk):
        response = getattr(http, method)(url)
        statuses.append(response.status_code)
        if role == "anonymous":
            assert response["Location"].startswith("/account/sign-in/?next=")
    expected = [admin_status for _m, _u, admin_status in _urls(chart.pk, therapist.pk)]
    if role != "clinic_admin":
        expected = [EXPECTED[role]] * len(expected)
    assert statuses == expected
    if role != "clinic_admin":
        # A refused request writes nothing: no export or report view is recorded.
        assert AuditEvent.objects.count() == events_before


def test_unknown_client_and_account_are_404_for_a_clinic_admin(
    client_for: ClientFor, clinic_admin: User
) -> None:
    http = client_for(clinic_admin)
    assert http.get(reverse("oversight:client_access", args=[999_999])).status_code == 404
    assert http.post(reverse("oversight:user_unlock", args=[999_999])).status_code == 404


def test_export_and_unlock_refuse_get(client_for: ClientFor, clinic_admin: User) -> None:
    http = client_for(clinic_admin)
    assert http.get(reverse("oversight:audit_export")).status_code == 405
    assert http.get(reverse("oversight:user_unlock", args=[clinic_admin.pk])).status_code == 405
