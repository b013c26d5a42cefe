"""Who may open and change the safety pages: every URL of safety/urls.py for every role.

The assigned therapist reads and writes; their supervisor reads and prints (403 on writes);
another therapist, another supervisor and the clinic admin get 404 (a client's existence is
itself private); anonymous visitors are sent to sign in. Under an emergency grant the pages
read (and print) but every write is refused with 403, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.urls import URLPattern, reverse

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from safety import urls as safety_urls
from safety.models import OverdosePlanVersion, SafetyPlanVersion, ToleranceWindow
from tests.conftest import STAFF_ROLES
from tests.emergency.factories import EmergencyGrantFactory
from tests.safety.helpers import days, overdose_version, safety_version, window

ClientFor = Callable[[User | None], HttpClient]


@pytest.fixture
def records(therapist: User, record: Client) -> Client:
    safety_version(therapist, record)
    overdose_version(therapist, record)
    window(therapist, record, start=-3)
    return record


def _statuses(therapist: int, supervisor: int) -> dict[str, int]:
    return {
        "therapist": therapist,
        "other_therapist": 404,
        "supervisor": supervisor,
        "other_supervisor": 404,
        "clinic_admin": 404,
    }


EXPECTED_GET: dict[str, dict[str, int]] = {
    "section": _statuses(200, 200),
    "safety_edit": _statuses(200, 403),
    "safety_history": _statuses(200, 200),
    "safety_version": _statuses(200, 200),
    "safety_print": _statuses(200, 200),
    "overdose_edit": _statuses(200, 403),
    "overdose_history": _statuses(200, 200),
    "overdose_version": _statuses(200, 200),
    "overdose_print": _statuses(200, 200),
    "tolerance_new": _statuses(200, 403),
}
WRITES = ["safety_edit", "overdose_edit", "tolerance_new"]


def page_url(name: str, client: Client) -> str:
    kwargs: dict[str, Any] = {"pk": client.pk}
    if name.endswith(("_version", "_print")):
        kwargs["number"] = 1
    return reverse(f"safety:{name}", kwargs=kwargs)


def _state() -> tuple[Any, ...]:
    """Everything a safety write could change."""
    return (
        [model_to_dict(v) for v in SafetyPlanVersion.objects.order_by("pk")],
        [model_to_dict(v) for v in OverdosePlanVersion.objects.order_by("pk")],
        [model_to_dict(w) for w in ToleranceWindow.objects.order_by("pk")],
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


def _post(name: str) -> dict[str, str]:
    if name == "tolerance_new":
        return {"reason": "hospital", "start_date": days(0).isoformat(), "end_date": ""}
    if name == "safety_edit":
        return {
            "warning_signs": "Can't sleep",
            "review_date": days(14).isoformat(),
            "reason": "Reviewed together",
            "based_on": "1",
        }
    return {
        "has_naloxone": "on",
        "naloxone_where": "Bag",
        "review_date": days(14).isoformat(),
        "reason": "Reviewed together",
        "based_on": "1",
    }


def test_the_matrix_covers_every_safety_url() -> None:
    names = {p.name for p in safety_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(EXPECTED_GET)


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(EXPECTED_GET))
def test_get_status_by_role(
    request: pytest.FixtureRequest, client_for: ClientFor, records: Client, name: str, role: str
) -> None:
    user = request.getfixturevalue(role)

    response = client_for(user).get(page_url(name, records))

    assert response.status_code == EXPECTED_GET[name][role]
    if response.status_code == 200 and name.endswith("_print"):
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize("name", list(EXPECTED_GET))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, records: Client, name: str, method: str
) -> None:
    url = page_url(name, records)
    before = _state()

    response = getattr(client_for(None), method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _state() == before


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", WRITES)
def test_post_status_by_role(
    request: pytest.FixtureRequest, client_for: ClientFor, records: Client, name: str, role: str
) -> None:
    user = request.getfixturevalue(role)
    before = _state()

    response = client_for(user).post(page_url(name, records), _post(name))

    expected = {**_statuses(302, 403)}[role]
    assert response.status_code == expected
    if role == "therapist":
        assert response["Location"] == reverse("safety:section", kwargs={"pk": records.pk})
        assert _state() != before
    else:
        assert _state() == before


@pytest.fixture
def grantee(other_therapist: User, records: Client) -> User:
    EmergencyGrantFactory(user=other_therapist, client=records)
    return other_therapist


@pytest.mark.parametrize("name", list(EXPECTED_GET))
def test_an_emergency_grant_reads_and_prints_but_never_writes(
    client_for: ClientFor, grantee: User, records: Client, name: str
) -> None:
    http = client_for(grantee)
    before = _state()

    got = http.get(page_url(name, records))
    posted = http.post(page_url(name, records), _post(name)) if name in WRITES else None

    assert got.status_code == (403 if name in WRITES else 200)
    if posted is not None:
        assert posted.status_code == 403
    assert _state() == before


def test_the_section_is_a_chart_tab_for_readers_and_404_for_the_clinic_admin(
    client_for: ClientFor, clinic_admin: User, supervisor: User, records: Client
) -> None:
    response = client_for(supervisor).get(reverse("clients:chart", kwargs={"pk": records.pk}))

    assert response.status_code == 200
    assert reverse("safety:section", kwargs={"pk": records.pk}) in response.content.decode()
    assert client_for(clinic_admin).get(page_url("section", records)).status_code == 404
