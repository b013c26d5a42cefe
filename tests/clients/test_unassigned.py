"""The unassigned queue: clients in care with no active therapist, worked by clinic admins and
supervisors (admin-safe fields only), each assigned with the reassignment service."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from clients.models import Client, TherapistAssignment
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.factories import TherapistFactory

ClientFor = Callable[[User | None], HttpClient]
QUEUE = reverse("clients:unassigned")
# session, user, authenticator, the queue, the therapists to choose from: whatever the rows.
QUEUE_QUERIES = 5


def unassigned_client(**kwargs: Any) -> Client:
    """A client a handover sent to the queue: no therapist, no current assignment."""
    client = ClientFactory(**kwargs)
    TherapistAssignment.objects.filter(client=client).update(ended_at=timezone.now())
    Client.objects.filter(pk=client.pk).update(therapist=None)
    client.refresh_from_db()
    return client


@pytest.fixture
def waiting(db: None) -> dict[str, Client]:
    former = TherapistFactory(
        full_name="Fran Former", is_active=False, deactivated_at=timezone.now()
    )
    return {
        "lee": unassigned_client(preferred_name="Lee", chart_number="C-QQQ1"),
        # Assigned to an account deactivated before handovers existed: shown, not moved.
        "kim": ClientFactory(
            therapist=former,
            preferred_name="Kim",
            chart_number="C-QQQ2",
            status=Client.Status.ON_HOLD,
        ),
        "discharged": ClientFactory(
            therapist=former,
            preferred_name="Dee",
            status=Client.Status.DISCHARGED,
            discharged_on=timezone.localdate() - datetime.timedelta(days=3),
        ),
    }


def rows(response: Any) -> list[tuple[str, str, str, str | None]]:
    return [
        (
            c.display_name,
            c.chart_number,
            c.status,
            c.therapist.full_name if c.therapist else None,
        )
        for c in response.context["clients"]
    ]


def state() -> dict[str, Any]:
    return {
        "clients": list(Client.objects.order_by("pk").values("pk", "therapist_id")),
        "assignments": list(
            TherapistAssignment.objects.order_by("pk").values("pk", "therapist_id", "ended_at")
        ),
        "audit": AuditEvent.objects.exclude(action="auth.login").count(),
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("therapist", 404),
        ("other_therapist", 404),
        ("supervisor", 200),
        ("other_supervisor", 200),
        ("clinic_admin", 200),
    ],
)
def test_queue_is_for_clinic_admins_and_supervisors(
    request: pytest.FixtureRequest,
    role: str,
    status: int,
    client_for: ClientFor,
    waiting: dict[str, Client],
    therapist: User,
    supervisor: User,
    other_supervisor: User,
) -> None:
    http = client_for(request.getfixturevalue(role))
    before = state()

    get = http.get(QUEUE)
    post = http.post(QUEUE, {"client": waiting["lee"].pk, "therapist": therapist.pk})

    assert (get.status_code, post.status_code) == (status, 404 if status == 404 else 302)
    if status == 404:
        assert state() == before


def test_queue_sends_anonymous_people_to_sign_in(
    waiting: dict[str, Client], therapist: User
) -> None:
    http = HttpClient()
    before = state()

    get = http.get(QUEUE)
    post = http.post(QUEUE, {"client": waiting["lee"].pk, "therapist": therapist.pk})

    assert [(r.status_code, urlsplit(r["Location"]).path) for r in (get, post)] == [
        (302, "/account/sign-in/"),
        (302, "/account/sign-in/"),
    ]
    assert state() == before


def test_queue_lists_clients_in_care_without_an_active_therapist(
    client_for: ClientFor,
    clinic_admin: User,
    waiting: dict[str, Client],
    therapist: User,
) -> None:
    ClientFactory(therapist=therapist, preferred_name="Robin")  # has a therapist: not listed

    response = client_for(clinic_admin).get(QUEUE)

    assert rows(response) == [
        ("Kim", "C-QQQ2", "on_hold", "Fran Former"),
        ("Lee", "C-QQQ1", "active", None),
    ]
    active = User.objects.filter(is_active=True, is_therapist=True).order_by("full_name")
    assert response.context["therapists"] == list(active)
    assert "Fran Former" not in [t.full_name for t in response.context["therapists"]]
    html = response.content.decode()
    assert "Fran Former (account deactivated)" in html
    assert "I want my weekends back." not in html  # nothing clinical reaches the page


def test_queue_query_count_does_not_grow_with_clients(
    client_for: ClientFor,
    clinic_admin: User,
    therapist: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    http = client_for(clinic_admin)
    unassigned_client()
    http.get(QUEUE)  # settles the session's last-seen stamp
    with django_assert_num_queries(QUEUE_QUERIES):
        response = http.get(QUEUE)
    assert len(response.context["clients"]) == 1

    for _n in range(12):
        unassigned_client()
        TherapistFactory()
    http.get(QUEUE)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = http.get(QUEUE)
    assert len(response.context["clients"]) == 13


@pytest.mark.parametrize("role", ["clinic_admin", "supervisor"])
def test_assigning_from_the_queue_uses_the_reassignment_service(
    request: pytest.FixtureRequest,
    role: str,
    client_for: ClientFor,
    waiting: dict[str, Client],
    other_therapist: User,
) -> None:
    actor = request.getfixturevalue(role)
    http = client_for(actor)
    kim = waiting["kim"]
    former = kim.therapist

    response = http.post(QUEUE, {"client": kim.pk, "therapist": other_therapist.pk}, follow=True)

    assert response.redirect_chain == [(QUEUE, 302)]
    assert [str(m) for m in response.context["messages"]] == ["Kim is now with Omar Other."]
    assert rows(response) == [("Lee", "C-QQQ1", "active", None)]
    kim.refresh_from_db()
    assert kim.therapist == other_therapist
    assert [
        (a.therapist_id, a.ended_at is None, a.reason)
        for a in TherapistAssignment.objects.filter(client=kim).order_by("started_at", "id")
    ] == [
        (former.pk, False, "Intake"),
        (other_therapist.pk, True, "Assigned from the unassigned queue."),
    ]
    events = AuditEvent.objects.exclude(action="auth.login")
    assert [(e.action, e.chart_number, e.changes, e.actor) for e in events] == [
        ("client.assign", "C-QQQ2", {"therapist": [former.pk, other_therapist.pk]}, actor)
    ]


def test_assigning_is_refused_without_a_valid_choice_and_changes_nothing(
    client_for: ClientFor,
    clinic_admin: User,
    waiting: dict[str, Client],
    therapist: User,
) -> None:
    http = client_for(clinic_admin)
    former = waiting["kim"].therapist
    assigned = ClientFactory(therapist=therapist)
    before = state()

    messages = [
        [str(m) for m in http.post(QUEUE, data, follow=True).context["messages"]]
        for data in [
            {"client": waiting["lee"].pk},
            {"client": waiting["lee"].pk, "therapist": former.pk},
            {"client": assigned.pk, "therapist": therapist.pk},
            {"client": waiting["discharged"].pk, "therapist": therapist.pk},
        ]
    ]

    assert messages == [
        ["Choose the therapist who will see this client."],
        ["Choose an active therapist."],
        ["This client is no longer in the unassigned queue."],
        ["This client is no longer in the unassigned queue."],
    ]
    assert state() == before


@pytest.mark.parametrize(
    ("role", "links"),
    [("clinic_admin", 1), ("supervisor", 1), ("therapist", 0)],
)
def test_navigation_links_the_queue_for_admins_and_supervisors(
    request: pytest.FixtureRequest, role: str, links: int, client_for: ClientFor, supervisor: User
) -> None:
    response = client_for(request.getfixturevalue(role)).get(reverse("accounts:my_account"))

    assert response.content.decode().count(f'href="{QUEUE}"') == links
