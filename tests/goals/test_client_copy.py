"""The client's own copy (issue 16.8b): their current plan, active goals in their words, the
latest decisional balance and safer-use and overdose information, as a page and a PDF.

What it must hold is read from the PDF as a reader would (tests/pdftext.py); what it must not
hold (the clinician's notes of the plan and of the harm assessment, the harm ratings, the name
and chart number, a set-aside goal, an older plan version) is checked in the same text. Giving
it is an audited access event and never a disclosure. Access for every role and its query count
at one and many rows are pinned here too (the matrix of every goals URL is in test_views.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from disclosures.models import Disclosure
from goals.models import Goal
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.clients.factories import ClientFactory
from tests.emergency.factories import EmergencyGrantFactory
from tests.goals.factories import GoalFactory, days_from_today
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section
from tests.htmltext import words
from tests.pdftext import pdf_text
from tests.safety.helpers import OVERDOSE, STEPS, overdose_version, safety_version, window

ClientFor = Callable[[User | None], HttpClient]

CLINICIAN_PLAN_NOTE = "Clinician thinks the limit is optimistic"
CLINICIAN_HARM_NOTE = "Consider screening for depression next time"
CRISIS = "988 Suicide & Crisis Lifeline: call or text 988, any time"


@pytest.fixture
def person(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, preferred_name="Robin", chart_number="C-COPY01")


def _full_record(therapist: User, person: Client) -> None:
    plan = PlanFactory(client=person)
    PlanVersionFactory(
        plan=plan, sections=[plan_section(dose_limit="5 pints", client_words="Old words")]
    )
    PlanVersionFactory(
        plan=plan,
        sections=[
            plan_section(
                dose_limit="3 pints",
                client_words="I want Sundays back.",
                clinician_notes=CLINICIAN_PLAN_NOTE,
            )
        ],
    )
    GoalFactory(client=person, client_words="Two dry days after every weekend")
    GoalFactory(
        client=person, client_words="A goal set aside earlier", status=Goal.Status.SET_ASIDE
    )
    HarmAssessmentFactory(
        client=person,
        assessed_on=days_from_today(-40),
        benefits_of_use="An older balance line",
    )
    HarmAssessmentFactory(
        client=person,
        assessed_on=days_from_today(-5),
        benefits_of_use="I relax\nEasier to talk to people",
        costs_of_change="Boring weekends",
        notes=CLINICIAN_HARM_NOTE,
        physical_words="Hangovers most Sundays.",
    )
    safety_version(therapist, person)
    overdose_version(therapist, person)


def _pdf(web: HttpClient, person: Client) -> str:
    response = web.get(reverse("goals:client_copy_pdf", args=[person.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"].startswith("no-store")
    return words(pdf_text(response.content))


def test_the_copy_holds_the_current_plan_goals_balance_and_safer_use(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    _full_record(therapist, person)

    text = _pdf(client_for(therapist), person)

    assert text.startswith("Your plan")
    # The current plan version only, in words addressed to the client.
    assert "The most you take at one time 3 pints" in text
    assert "In your own words I want Sundays back." in text
    assert "5 pints" not in text and "Old words" not in text
    assert "(version 2)" in text
    # Active goals in the client's words; a set-aside goal is not on the copy.
    assert "Two dry days after every weekend" in text
    assert "If I plan my weekends ahead, I expect to feel more in control." in text
    assert "A goal set aside earlier" not in text
    # The latest decisional balance, line by line.
    assert "Good things about using I relax Easier to talk to people" in text
    assert "Not-so-good things about changing Boring weekends" in text
    assert "An older balance line" not in text
    # Safer use and overdose: the plan's own words, naloxone, the crisis line, the emergency.
    assert OVERDOSE["naloxone_where"] in text
    assert "☑ I have naloxone" in text
    assert STEPS["people_to_ask"] in text
    assert f"When things get hard, you can reach: {CRISIS}." in text
    assert "call 911, give naloxone" in text


def test_the_copy_leaves_out_what_is_written_for_clinicians_and_who_it_is(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    _full_record(therapist, person)
    web = client_for(therapist)

    text = _pdf(web, person)
    page = words(web.get(reverse("goals:client_copy", args=[person.pk])).content.decode())

    for secret in (
        CLINICIAN_PLAN_NOTE,
        CLINICIAN_HARM_NOTE,
        "Clinician's notes",
        "Hangovers most Sundays.",  # a harm rating's words: the assessment, not the copy
        "Robin",
        "C-COPY01",
    ):
        assert secret not in text
    # The page shows the same copy (with the chart's name in its breadcrumb only).
    assert CLINICIAN_PLAN_NOTE not in page
    assert CLINICIAN_HARM_NOTE not in page
    assert "Two dry days after every weekend" in page


def test_a_new_client_gets_a_copy_with_the_safer_use_information(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    text = _pdf(client_for(therapist), person)

    assert "You have not written a plan yet." in text
    assert "No goals written down yet." in text
    assert "Weighing it up" not in text
    # No safety plan: the clinic's crisis lines.
    assert f"When things get hard, you can reach: {CRISIS}." in text
    assert "Naloxone (Narcan) reverses an opioid overdose." in text


def test_an_open_window_of_lower_tolerance_comes_first(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    window(therapist, person, start=-2)

    text = _pdf(client_for(therapist), person)

    assert text.index("Your tolerance is lower until") < text.index("Your plan for using")


def test_giving_the_copy_is_audited_and_is_not_a_disclosure(
    client_for: ClientFor, supervisor: User, therapist: User, person: Client
) -> None:
    _full_record(therapist, person)
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    _pdf(client_for(supervisor), person)
    client_for(therapist).get(reverse("goals:client_copy", args=[person.pk]))

    events = list(
        AuditEvent.objects.filter(pk__gt=before)
        .order_by("pk")
        .values_list("actor_id", "action", "chart_number")
    )
    assert [e for e in events if e[1] in ("client_copy.print", "client.view.client_copy")] == [
        (supervisor.pk, "client_copy.print", "C-COPY01"),
        (therapist.pk, "client.view.client_copy", "C-COPY01"),
    ]
    printed = AuditEvent.objects.get(action="client_copy.print")
    assert printed.changes == {"plan_version": [None, 2]}
    assert Disclosure.objects.count() == 0


def test_an_emergency_grant_may_print_the_copy(
    client_for: ClientFor, other_therapist: User, person: Client
) -> None:
    EmergencyGrantFactory(user=other_therapist, client=person)

    response = client_for(other_therapist).get(reverse("goals:client_copy_pdf", args=[person.pk]))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_the_copy_is_in_spanish_for_a_client_who_reads_spanish(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    Client.objects.filter(pk=person.pk).update(preferred_language="es")
    _full_record(therapist, person)
    web = client_for(therapist)

    text = _pdf(web, person)
    page = web.get(reverse("goals:client_copy", args=[person.pk]))

    assert text.startswith("Su plan Lo que ha preparado con su consejero o consejera")
    assert "Su plan de consumo" in text
    # Labels in Spanish, the client's own words as written.
    assert "Lo máximo que toma de una vez 3 pints" in text
    assert "En sus propias palabras I want Sundays back." in text
    assert "Comida y agua, Sin conducir" in text
    assert "Relacionarse con otras personas: Climbing club on Thursdays" in text
    assert "Sus metas" in text and "Two dry days after every weekend" in text
    assert "lo bueno de consumir" in text.lower()
    assert "Su plan de seguridad para los momentos difíciles" in text
    assert "Señales de que empieza un momento difícil" in text
    assert "Si alguien no se despierta o no respira: llamar al 911" in text
    assert "The most you take at one time" not in text
    # The page the clinician goes through with the client shows the same copy, in Spanish,
    # inside the clinic's English page.
    html = page.content.decode()
    assert 'lang="es"' in html
    assert "Lo máximo que toma de una vez" in html
    assert "Print the client's copy (PDF)" in html


def test_the_plan_tab_links_to_the_copy(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    html = client_for(therapist).get(reverse("goals:section", args=[person.pk])).content.decode()

    assert html.count(f'href="{reverse("goals:client_copy", args=[person.pk])}"') == 1


# Session and user, the client with access, the audit event, then one query per part (plan
# version, goals, harm assessment, safety plan, overdose plan, open window), whatever the
# history.
COPY_PAGE_QUERIES = 11


@pytest.mark.parametrize("rows", [1, 12])
def test_the_copy_page_costs_the_same_at_one_and_many_rows(
    client_for: ClientFor,
    therapist: User,
    person: Client,
    rows: int,
    django_assert_num_queries,
) -> None:
    plan = PlanFactory(client=person)
    for n in range(rows):
        PlanVersionFactory(plan=plan, sections=[plan_section(name=f"Substance {n}")] * 2)
        GoalFactory(client=person, client_words=f"Goal {n}")
        HarmAssessmentFactory(client=person, assessed_on=days_from_today(-n - 1))
        safety_version(therapist, person, warning_signs=f"Sign {n}", reason=f"Review {n}")
        overdose_version(therapist, person, spacing=f"Spacing {n}", reason=f"Review {n}")
    web = client_for(therapist)
    web.get(reverse("goals:client_copy", args=[person.pk]))  # warm the session

    with django_assert_num_queries(COPY_PAGE_QUERIES):
        response = web.get(reverse("goals:client_copy", args=[person.pk]))

    assert response.status_code == 200
    assert len(response.context["copy"].goals) == rows
    assert response.context["copy"].plan.number == rows
