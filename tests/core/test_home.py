"""Each role's landing page (a supervisor's is the supervision dashboard, tested in detail in
tests/supervision/test_dashboard.py), the navigation it shows, and the security headers pages
carry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from hrp.accounts.models import User
from tests.budgets import SUPERVISOR_DASHBOARD_QUERIES
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, SupervisorFactory, TherapistFactory, UserFactory
from tests.htmltext import parse, with_class

ClientFor = Callable[[User | None], Client]
HOME = reverse("home:home")
MY_ACCOUNT = reverse("accounts:my_account")


def nav_links(response: Any) -> list[tuple[str, str]]:
    """(text, href) of every link with class nav-link inside the main navigation."""
    links = parse(response).xpath(f"//nav{with_class('navbar')}//a{with_class('nav-link')}")
    return [("".join(a.itertext()).strip(), a.get("href") or "") for a in links]


def me_link(user: User) -> tuple[str, str]:
    return (f"{user.full_name} (your account)", MY_ACCOUNT)


def clinical_links(user: User) -> list[tuple[str, str]]:
    """The right-hand links every therapist and supervisor has."""
    return [
        ("Reminders", reverse("notifications:inbox")),
        me_link(user),
    ]


def test_therapist_lands_on_their_caseload(client_for: ClientFor, therapist: User) -> None:
    client = client_for(therapist)

    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:caseload")
    caseload = client.get(response["Location"])
    assert caseload.status_code == 200
    assert nav_links(caseload) == [
        ("My caseload", reverse("clients:caseload")),
        ("Calendar", reverse("scheduling:start")),
        ("Notes", reverse("sessions:my_notes")),
        ("Measures due", reverse("assessments:due")),
        ("Reviews due", reverse("goals:reviews_due")),
        ("Groups", reverse("groups:list")),
        *clinical_links(therapist),
    ]


def test_therapist_sees_their_supervisor_on_their_account_page(
    client_for: ClientFor, therapist: User, supervisor: User
) -> None:
    response = client_for(therapist).get(MY_ACCOUNT)

    assert response.status_code == 200
    assert response.context["supervisor"] == supervisor
    assert response.content.decode().count('<dd class="col-sm-9">Sue Supervisor</dd>') == 1


def test_supervisor_sees_their_supervisees(
    client_for: ClientFor, supervisor: User, therapist: User, other_therapist: User
) -> None:
    trainee = TherapistFactory(full_name="Casey Trainee", credentials="MSW", requires_cosign=True)
    SupervisionFactory(supervisor=supervisor, supervisee=trainee)

    response = client_for(supervisor).get(HOME)

    assert response.status_code == 200
    assert response.templates[0].name == "home/home.html"
    # The dashboard: nothing needs attention for either, so by name.
    assert [board.therapist for board, _cells in response.context["rows"]] == [trainee, therapist]
    html = response.content.decode()
    # The row heading, then the hidden label of each of the twelve numbers (medical evaluation
    # and screening results among them) and two buttons.
    assert html.count("Tess Therapist") == 15
    assert html.count("Casey Trainee, MSW") == 1
    assert html.count("notes need your co-signature") == 1
    assert html.count("Omar Other") == 0  # another supervisor's supervisee
    assert nav_links(response) == [
        ("Supervision", HOME),
        ("Co-signature", reverse("sessions:cosign_queue")),
        ("Unassigned clients", reverse("clients:unassigned")),
        ("Covers", reverse("covers:list")),
        ("Groups", reverse("groups:list")),
        ("Clinic calendar", reverse("scheduling:clinic_week")),
        ("Supplies report", reverse("supplies:report")),
        *clinical_links(supervisor),
    ]


def test_supervisor_with_nobody_assigned_is_told_so(client_for: ClientFor, db: None) -> None:
    lone = SupervisorFactory(full_name="Lee Lone")

    response = client_for(lone).get(HOME)

    assert response.context["rows"] == []
    assert response.content.decode().count("Nobody is assigned to you for supervision yet.") == 1


def test_supervisor_who_is_also_a_therapist_sees_both(
    client_for: ClientFor, therapist: User, other_supervisor: User
) -> None:
    dual = SupervisorFactory(full_name="Maya Both", is_therapist=True)
    SupervisionFactory(supervisor=dual, supervisee=therapist)
    SupervisionFactory(supervisor=other_supervisor, supervisee=dual)

    response = client_for(dual).get(HOME)

    assert response.status_code == 200
    assert response.context["supervisor"] == other_supervisor
    assert [board.therapist for board, _cells in response.context["rows"]] == [therapist]
    assert response.content.decode().count("Your supervisor is Otto Othersup.") == 1
    assert nav_links(response) == [
        ("Supervision", HOME),
        ("Co-signature", reverse("sessions:cosign_queue")),
        ("Unassigned clients", reverse("clients:unassigned")),
        ("Covers", reverse("covers:list")),
        ("Groups", reverse("groups:list")),
        ("My caseload", reverse("clients:caseload")),
        ("Calendar", reverse("scheduling:start")),
        ("Notes", reverse("sessions:my_notes")),
        ("Measures due", reverse("assessments:due")),
        ("Reviews due", reverse("goals:reviews_due")),
        ("Clinic calendar", reverse("scheduling:clinic_week")),
        ("Supplies report", reverse("supplies:report")),
        *clinical_links(dual),
    ]


def test_clinic_admin_without_clinical_role_lands_on_staff_accounts(
    client_for: ClientFor, clinic_admin: User
) -> None:
    client = client_for(clinic_admin)

    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:staff_list")
    staff = client.get(response["Location"])
    # Administrative pages only: no caseload, no supervision.
    assert nav_links(staff) == [
        ("Clients", reverse("clients:manage_list")),
        ("Unassigned clients", reverse("clients:unassigned")),
        ("Covers", reverse("covers:list")),
        ("Staff accounts", reverse("accounts:staff_list")),
        ("Audit trail", reverse("oversight:audit_trail")),
        ("User activity", reverse("oversight:user_activity")),
        ("Clinic settings", reverse("core:clinic_settings")),
        ("Clinic calendar", reverse("scheduling:clinic_week")),
        ("Rooms", reverse("scheduling:rooms")),
        ("Supplies report", reverse("supplies:report")),
        me_link(clinic_admin),
    ]


def test_account_without_any_role_sees_an_explanation(client_for: ClientFor, db: None) -> None:
    nobody = UserFactory(full_name="Nova Norole")

    response = client_for(nobody).get(HOME)

    assert response.status_code == 200
    assert response.templates[0].name == "home/no_role.html"
    assert nav_links(response) == [me_link(nobody)]


@pytest.mark.parametrize("supervisee_count", [1, 6])
def test_home_query_count_does_not_grow_with_supervisees(
    client_for: ClientFor,
    django_assert_num_queries: DjangoAssertNumQueries,
    supervisee_count: int,
    db: None,
) -> None:
    sup = SupervisorFactory(full_name="Sam Supervisor")
    for n in range(supervisee_count):
        therapist = TherapistFactory(full_name=f"T {n}")
        SupervisionFactory(supervisor=sup, supervisee=therapist)
        ClientFactory(therapist=therapist)
    client = client_for(sup)

    # Every column's exact numbers and the larger sizes are in tests/supervision/test_dashboard.py.
    client.get(HOME)  # settles the session's last-seen stamp
    with django_assert_num_queries(SUPERVISOR_DASHBOARD_QUERIES):
        response = client.get(HOME)

    assert len(response.context["rows"]) == supervisee_count


EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def csp_directives(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize("role", ["supervisor", "clinic_admin", "anonymous"])
def test_pages_carry_the_security_headers(
    request: pytest.FixtureRequest, client_for: ClientFor, role: str
) -> None:
    client = client_for(request.getfixturevalue(role))
    url = {
        "supervisor": HOME,
        "clinic_admin": reverse("accounts:staff_list"),
        "anonymous": reverse("accounts:login"),
    }[role]

    response = client.get(url)

    assert response.status_code == 200
    assert csp_directives(response) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client_for: ClientFor, supervisor: User) -> None:
    # The CSP forbids inline code, so any that slipped into a template would silently break.
    html = client_for(supervisor).get(HOME).content.decode()

    assert html.count("<script>") + html.count("<style") + html.count(" style=") == 0
    assert html.count("<script") == html.count("<script src=")
