"""Strengths and resources (issue 16): the selector's choice between the latest harm
assessment and the intake, and where they are shown (chart Overview, Plan section, plan page,
harm assessment pages), with the query cost of each page at 1 and many rows."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from assessments import selectors
from assessments.selectors import Strength
from clients import services as client_services
from clients.models import STRENGTH_FIELDS, Client, Intake
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.clients.factories import ClientFactory
from tests.goals.factories import GoalFactory
from tests.htmltext import parse, words

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]

TODAY = timezone.localdate
INTAKE_WORDS = {
    "strengths": "I show up for my kids.",
    "supports": "My sister Ana; the running group.",
    "past_changes": "Quit smoking for two years.",
}


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(
        therapist=therapist, **{f"intake__{k}": v for k, v in INTAKE_WORDS.items()}
    )


def _intake_on(record: Client) -> datetime.date:
    intake = Intake.objects.get(client=record)
    return timezone.localdate(intake.completed_at)


# --- The selector ------------------------------------------------------------------------------


def test_nothing_recorded_gives_an_empty_list(therapist: User) -> None:
    bare = ClientFactory(therapist=therapist)
    HarmAssessmentFactory(client=bare)  # an assessment without strengths changes nothing

    assert selectors.current_strengths(bare) == []


def test_intake_only(record: Client) -> None:
    on = _intake_on(record)

    assert selectors.current_strengths(record) == [
        Strength(key, label, INTAKE_WORDS[key], "intake", on)
        for key, label, _help in STRENGTH_FIELDS
    ]


def test_a_newer_assessment_wins_field_by_field(record: Client) -> None:
    older = HarmAssessmentFactory(
        client=record, assessed_on=TODAY() - datetime.timedelta(days=40), strengths="Older."
    )
    newer = HarmAssessmentFactory(
        client=record,
        assessed_on=TODAY() - datetime.timedelta(days=3),
        strengths="Kept to my plan at the wedding.",
        supports="",  # left empty: the intake's words stand
        past_changes="Weeknights off for a month.",
    )

    found = selectors.current_strengths(record)

    assert [(s.key, s.text, s.source, s.on, s.assessment_pk) for s in found] == [
        ("strengths", "Kept to my plan at the wedding.", "assessment", newer.assessed_on, newer.pk),
        ("supports", INTAKE_WORDS["supports"], "intake", _intake_on(record), None),
        ("past_changes", "Weeknights off for a month.", "assessment", newer.assessed_on, newer.pk),
    ]
    assert older.pk != newer.pk


def test_the_latest_by_date_not_by_entry(record: Client) -> None:
    # Entered later, but about an earlier conversation: the assessment dated later counts.
    recent = HarmAssessmentFactory(client=record, assessed_on=TODAY(), strengths="Recent.")
    HarmAssessmentFactory(
        client=record, assessed_on=TODAY() - datetime.timedelta(days=60), strengths="Back-dated."
    )

    first = selectors.current_strengths(record)[0]
    assert (first.text, first.assessment_pk) == ("Recent.", recent.pk)


def test_the_group_version_keeps_to_the_date_and_each_client(
    record: Client, therapist: User
) -> None:
    other = ClientFactory(therapist=therapist)
    HarmAssessmentFactory(client=record, assessed_on=TODAY(), strengths="After the period.")
    HarmAssessmentFactory(
        client=record, assessed_on=TODAY() - datetime.timedelta(days=20), strengths="In it."
    )

    found = selectors.strengths_by_client(
        [record, other], as_of=TODAY() - datetime.timedelta(days=10)
    )

    assert [s.text for s in found[record.pk]] == [
        "In it.",
        INTAKE_WORDS["supports"],
        INTAKE_WORDS["past_changes"],
    ]
    assert found[other.pk] == []


def test_the_intake_words_are_encrypted_and_not_copied_to_the_audit_trail(
    record: Client, therapist: User
) -> None:
    client_services.intake_update(
        actor=therapist, client=record, values={"strengths": "Patient with myself."}
    )

    event = AuditEvent.objects.filter(action="intake.save").latest("pk")
    assert event.changes == {
        "strengths": [client_services.ENCRYPTED_VALUE, client_services.ENCRYPTED_VALUE]
    }
    stored = Intake.objects.filter(client=record).values_list("strengths", flat=True).get()
    assert stored == "Patient with myself."
    with connection.cursor() as cursor:
        cursor.execute("SELECT strengths FROM clients_intake WHERE client_id = %s", [record.pk])
        assert cursor.fetchone()[0].startswith("enc1:")


# --- Where they are shown ----------------------------------------------------------------------


def _chart(record: Client) -> str:
    return reverse("clients:chart", kwargs={"pk": record.pk})


def _panel_text(response, key: str) -> str:
    section = parse(response).xpath(f"//section[@data-panel='{key}']")[0]
    return words(" ".join(section.itertext()))


def test_the_overview_shows_where_and_when_each_came_from(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    newer = HarmAssessmentFactory(
        client=record, assessed_on=datetime.date(2026, 11, 2), strengths="Kept to my plan."
    )
    intake_on = _intake_on(record)

    for user in (therapist, supervisor):
        response = client_for(user).get(_chart(record))
        assert response.status_code == 200
        shown_on, shown_intake = (
            formats.date(newer.assessed_on),
            formats.date(intake_on),
        )
        assert _panel_text(response, "strengths") == words(
            f"Strengths and resources Strengths Kept to my plan. Harm assessment, {shown_on} "
            "Supports: people, places, services My sister Ana; the running group. "
            f"Intake, {shown_intake} "
            "Past changes that worked Quit smoking for two years. "
            f"Intake, {shown_intake}"
        )
        link = parse(response).xpath("//section[@data-panel='strengths']//a/@href")
        assert link == [
            reverse("assessments:harm_detail", kwargs={"pk": record.pk, "assessment_pk": newer.pk})
        ]


def test_outsiders_get_no_strengths(
    client_for: ClientFor, other_therapist: User, record: Client
) -> None:
    assert client_for(other_therapist).get(_chart(record)).status_code == 404
    plan = reverse("goals:section", kwargs={"pk": record.pk})
    assert client_for(other_therapist).get(plan).status_code == 404


def test_the_plan_section_and_plan_page_show_them_beside_the_plan(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    web = client_for(therapist)
    for name in ("goals:section", "goals:plan_edit"):
        response = web.get(reverse(name, kwargs={"pk": record.pk}))
        assert response.status_code == 200, name
        page = words(parse(response).text_content())
        assert "My sister Ana; the running group." in page, name
        assert "Quit smoking for two years." in page, name


@pytest.mark.parametrize("n", [1, 12])
def test_plan_section_queries_do_not_grow_with_assessments(
    client_for: ClientFor, therapist: User, record: Client, n: int, django_assert_num_queries
) -> None:
    GoalFactory(client=record)  # as the section's budget counts: goals with their reviews
    for days in range(n):
        HarmAssessmentFactory(
            client=record, assessed_on=TODAY() - datetime.timedelta(days=days), strengths=f"{days}"
        )
    web = client_for(therapist)
    web.get(reverse("goals:section", kwargs={"pk": record.pk}))  # warm the session

    from tests.goals.test_queries import SECTION_QUERIES

    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(reverse("goals:section", kwargs={"pk": record.pk}))
    assert "Harm assessment" in words(parse(response).text_content())


def test_the_harm_assessment_page_shows_its_own_strengths(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    assessment = HarmAssessmentFactory(client=record, strengths="Good with my hands.")

    response = client_for(therapist).get(
        reverse("assessments:harm_detail", kwargs={"pk": record.pk, "assessment_pk": assessment.pk})
    )

    section = parse(response).xpath("//section[@aria-labelledby='strengths-h']")[0]
    assert words(" ".join(section.itertext())) == (
        "Strengths and resources, in the client's words Strengths Good with my hands. "
        "Supports: people, places, services Not recorded in this assessment. "
        "Past changes that worked Not recorded in this assessment."
    )


def test_a_new_assessment_starts_from_the_current_strengths(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    HarmAssessmentFactory(client=record, strengths="Said last time.")

    response = client_for(therapist).get(reverse("assessments:harm_new", kwargs={"pk": record.pk}))

    initial = response.context["form"].initial
    assert (initial["strengths"], initial["supports"], initial["past_changes"]) == (
        "Said last time.",
        INTAKE_WORDS["supports"],
        INTAKE_WORDS["past_changes"],
    )
