"""The supervisor's dashboard (their home page): exact numbers in every column, each linking
to the list behind it, rows ordered by what needs attention, and a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from hrp.accounts.models import User
from supervision import selectors
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.budgets import SUPERVISOR_DASHBOARD_QUERIES
from tests.clients.factories import ClientFactory, MedicalEvaluationFactory
from tests.factories import SupervisionFactory, SupervisorFactory, TherapistFactory
from tests.sessions.factories import AttendedAppointmentFactory, at, days_from_today
from tests.supervision.helpers import EXPECTED, seed_every_column

ClientFor = Callable[[User | None], Client]
HOME = reverse("home:home")


def column_url(therapist: User, key: str) -> str:
    if key == "caseload":
        return reverse("clients:supervisee_caseload", args=[therapist.pk])
    return reverse("supervision:column", args=[therapist.pk, key.replace("_", "-")])


def test_every_column_counts_exactly(
    client_for: ClientFor, supervisor: User, therapist: User, other_therapist: User
) -> None:
    seed_every_column(therapist)
    seed_every_column(other_therapist)  # another supervisor's supervisee: not on this page

    response = client_for(supervisor).get(HOME)

    assert response.status_code == 200
    [(board, cells)] = response.context["rows"]
    assert board.therapist == therapist
    assert board.counts() == EXPECTED
    assert [(column.key, count, url) for column, count, url in cells] == [
        (key, EXPECTED[key], column_url(therapist, key)) for key in EXPECTED
    ]
    html = response.content.decode()
    for key in EXPECTED:
        assert html.count(f'href="{column_url(therapist, key)}"') == 1 + (key == "caseload")


def test_each_number_opens_the_list_behind_it(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    seeded = seed_every_column(therapist)
    client = client_for(supervisor)

    items = {
        key: client.get(column_url(therapist, key)).context["items"]
        for key in EXPECTED
        if key != "caseload"
    }

    assert {key: len(value) for key, value in items.items()} == {
        k: v for k, v in EXPECTED.items() if k != "caseload"
    }
    assert items["late_notes"] == seeded.late
    assert items["cosign"] == [seeded.cosign]
    assert items["alerts"] == [seeded.alert]
    # Risk is suicide and overdose; a screening measure's result is listed apart (issue 16).
    assert [i.client for i in items["risk"]] == [seeded.a, seeded.b]
    assert [i.reasons for i in items["risk"]] == [
        ["Acute suicide risk: follow-up needed"],
        ["Overdose risk: follow-up needed"],
    ]
    assert [(i.client, i.results) for i in items["screening"]] == [
        (seeded.d, ["AUDIT 22: possible dependence"])
    ]
    assert [(i.client, i.last_attended is None) for i in items["no_contact"]] == [
        (seeded.b, False),
        (seeded.c, True),
    ]
    assert [g.client for g in items["reviews_overdue"]] == [seeded.a]
    assert [(i.client, i.due.measure.code) for i in items["measures_overdue"]] == [
        (seeded.b, "GAD7")
    ]
    assert [c.client for c in items["consents_expiring"]] == [seeded.a, seeded.d]


def test_late_note_list_links_to_the_draft_and_to_the_sessions(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    seeded = seed_every_column(therapist)

    html = client_for(supervisor).get(column_url(therapist, "late_notes")).content.decode()

    draft = seeded.late[0].note
    assert html.count(f'href="{reverse("sessions:note", args=[seeded.a.pk, draft.pk])}"') == 1
    assert html.count(f'href="{reverse("sessions:section", args=[seeded.a.pk])}"') == 1


def test_unknown_column_is_404(client_for: ClientFor, supervisor: User, therapist: User) -> None:
    client = client_for(supervisor)

    assert client.get(f"/supervision/{therapist.pk}/caseload/").status_code == 404
    assert client.get(f"/supervision/{therapist.pk}/everything/").status_code == 404


def test_rows_put_what_needs_attention_first(client_for: ClientFor, supervisor: User) -> None:
    quiet = TherapistFactory(full_name="Abe Quiet")
    late = TherapistFactory(full_name="Bea Late")
    risky = TherapistFactory(full_name="Cal Risk")
    also_quiet = TherapistFactory(full_name="Aaron Quiet")
    for therapist in (quiet, late, risky, also_quiet):
        SupervisionFactory(supervisor=supervisor, supervisee=therapist)
    for offset in (-8, -9):
        AttendedAppointmentFactory(
            client=ClientFactory(therapist=late), starts_at=at(days_from_today(offset), "10:00")
        )
    AttendedAppointmentFactory(
        client=ClientFactory(therapist=risky), starts_at=at(days_from_today(-8), "10:00")
    )
    HarmAssessmentFactory(client=ClientFactory(therapist=risky), injects=True)

    rows = client_for(supervisor).get(HOME).context["rows"]

    # Risk before late notes; then more late notes before fewer; then by name.
    assert [board.therapist.full_name for board, _cells in rows] == [
        "Cal Risk",
        "Bea Late",
        "Aaron Quiet",
        "Abe Quiet",
        "Tess Therapist",
    ]


def test_a_supervisor_who_is_also_a_therapist_keeps_their_caseload(
    client_for: ClientFor, therapist: User, other_supervisor: User
) -> None:
    dual = SupervisorFactory(full_name="Maya Both", is_therapist=True)
    SupervisionFactory(supervisor=dual, supervisee=therapist)
    SupervisionFactory(supervisor=other_supervisor, supervisee=dual)
    ClientFactory(therapist=dual)  # their own client: not a dashboard row
    client = client_for(dual)

    response = client.get(HOME)

    assert [board.therapist for board, _cells in response.context["rows"]] == [therapist]
    assert response.context["supervisor"] == other_supervisor
    assert response.content.decode().count(f'href="{reverse("clients:caseload")}"') == 2
    assert client.get(reverse("clients:caseload")).status_code == 200
    # Their own pk is not a supervisee's: the supervision lists do not open for it.
    assert client.get(column_url(dual, "late_notes")).status_code == 404


def seed_supervisees(supervisor: User, *, supervisees: int, clients: int) -> None:
    for n in range(supervisees):
        therapist = TherapistFactory(full_name=f"Therapist {n}")
        SupervisionFactory(supervisor=supervisor, supervisee=therapist)
        for _ in range(clients - 1):
            ClientFactory(therapist=therapist)
        seed_every_column(therapist)  # six clients more, with records in every column


@pytest.mark.parametrize(("supervisees", "clients"), [(1, 1), (5, 8)])
def test_dashboard_queries_do_not_grow(
    client_for: ClientFor,
    django_assert_num_queries: DjangoAssertNumQueries,
    supervisees: int,
    clients: int,
    db: None,
) -> None:
    sup = SupervisorFactory(full_name="Sam Supervisor")
    seed_supervisees(sup, supervisees=supervisees, clients=clients)
    client = client_for(sup)
    client.get(HOME)  # settles the session's last-seen stamp

    with django_assert_num_queries(SUPERVISOR_DASHBOARD_QUERIES):
        response = client.get(HOME)

    assert len(response.context["rows"]) == supervisees
    assert [cells[0][1] for _board, cells in response.context["rows"]] == [
        clients - 1 + EXPECTED["caseload"]
    ] * supervisees


# session, user, authenticator; the supervisee (access); the same nine as the dashboard
COLUMN_QUERIES = 13


@pytest.mark.parametrize("key", [k for k in EXPECTED if k != "caseload"])
@pytest.mark.parametrize("clients", [1, 8])
def test_each_list_has_a_fixed_number_of_queries(
    client_for: ClientFor,
    django_assert_num_queries: DjangoAssertNumQueries,
    supervisor: User,
    therapist: User,
    key: str,
    clients: int,
) -> None:
    for _ in range(clients - 1):
        # Evaluated, so the medical column keeps the seed's number.
        MedicalEvaluationFactory(client=ClientFactory(therapist=therapist))
    seed_every_column(therapist)
    client = client_for(supervisor)
    client.get(HOME)

    with django_assert_num_queries(COLUMN_QUERIES):
        response = client.get(column_url(therapist, key))

    assert len(response.context["items"]) == EXPECTED[key]


def test_constants_follow_the_clinic_settings(settings: object) -> None:
    assert selectors.no_contact_days() == 30
    assert selectors.consent_expiry_warning_days() == 30
    settings.NO_CONTACT_DAYS = 14  # type: ignore[attr-defined]
    settings.CONSENT_EXPIRY_WARNING_DAYS = 60  # type: ignore[attr-defined]
    assert selectors.no_contact_days() == 14
    assert selectors.consent_expiry_warning_days() == 60
