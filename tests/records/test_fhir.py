"""The FHIR export (records.fhir): every resource type validated with fhir.resources on
factory data and on the demo clinic, the codes and labels it carries, what it leaves out, and
its cost: a fixed number of queries whatever the history."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from billing import services as billing_services
from clients.models import Client, Consent
from goals.models import Goal
from hrp.accounts.models import User
from records import fhir
from tests.assessments.factories import AdministrationFactory, local_noon
from tests.billing.test_services import _session
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.goals.factories import GoalFactory
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section
from tests.records.helpers import PART2, RESTRICTED, of_type, validate

TODAY = timezone.localdate()
CLINICIAN_NOTE = "Clinician wonders whether the limit holds"


@pytest.fixture
def person(therapist: User) -> Client:
    return ClientFactory(
        therapist=therapist,
        legal_name="Robin Example",
        preferred_name="Robin",
        chart_number="C-FHIR01",
        date_of_birth=datetime.date(1990, 4, 2),
    )


def _problem_list_and_a_coded_session(person: Client) -> None:
    """An active and a resolved diagnosis, one entered in error, and a 50-minute session coded
    90834 that addresses the active one."""
    actor = person.therapist
    add = billing_services.diagnosis_add
    add(actor=actor, client=person, code="F10.10", onset_on=TODAY - datetime.timedelta(days=90))
    resolved = add(actor=actor, client=person, code="Z59.01")
    billing_services.diagnosis_change(
        actor=actor,
        client=person,
        diagnosis=resolved,
        status="resolved",
        onset_on=None,
        resolved_on=TODAY,
        reason="Housed",
    )
    wrong = add(actor=actor, client=person, code="F41.1")
    billing_services.diagnosis_change(
        actor=actor,
        client=person,
        diagnosis=wrong,
        status="entered_in_error",
        onset_on=None,
        resolved_on=None,
        reason="Wrong chart",
    )
    billing_services.encounter_code(
        actor=actor,
        client=person,
        appointment=_session(person, minutes=50),
        code="90834",
        minutes=50,
        place_of_service="10",
        diagnosis_codes=["F10.10"],
    )


def _full_record(person: Client) -> None:
    _problem_list_and_a_coded_session(person)
    for code, raw in (("PHQ9", 11), ("GAD7", 6), ("AUDITC", 5), ("AUDIT", 9), ("DAST10", 2)):
        AdministrationFactory(client=person, measure_code=code, raw_total=raw)
    wrong = AdministrationFactory(
        client=person, measure_code="WHO5", raw_total=10, administered_at=local_noon(3)
    )
    AdministrationFactory(
        client=person,
        measure_code="WHO5",
        raw_total=12,
        corrects=wrong,
        correction_reason="Item 2 was misread",
    )
    GoalFactory(client=person, client_words="Two dry days after every weekend")
    GoalFactory(client=person, client_words="Naloxone in my bag", status=Goal.Status.SET_ASIDE)
    plan = PlanFactory(client=person)
    PlanVersionFactory(plan=plan, sections=[plan_section(dose_limit="5 pints")])
    PlanVersionFactory(
        plan=plan,
        sections=[plan_section(dose_limit="3 pints", clinician_notes=CLINICIAN_NOTE)],
    )
    ConsentFactory(client=person, recipient="Dr Lee", scope=Consent.Scope.SUMMARY)
    ConsentFactory(
        client=person,
        recipient="Housing Office",
        scope=Consent.Scope.SUMMARY,
        revoked_on=TODAY,
        revoked_by="Robin",
    )


def _bundle(person: Client, recipient: str = "Dr Lee") -> dict:
    return fhir.build_bundle(client=person, clinic_name="Harbor Clinic", recipient=recipient)


def test_every_resource_type_validates_on_factory_data(person: Client) -> None:
    _full_record(person)

    bundle = _bundle(person)

    assert validate(bundle) == {
        "Composition": 1,
        "Patient": 1,
        "Condition": 3,
        "Encounter": 1,
        "Observation": 7,
        "QuestionnaireResponse": 7,
        "Goal": 2,
        "CarePlan": 2,
        "Consent": 2,
    }
    assert bundle["type"] == "document"
    assert bundle["meta"]["security"] == [PART2, RESTRICTED]
    # A document Bundle starts with its Composition.
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"


def test_measures_carry_their_loinc_codes(person: Client) -> None:
    _full_record(person)

    bundle = _bundle(person)

    totals = {
        o["code"]["text"]: (o["code"]["coding"][0]["system"], o["code"]["coding"][0]["code"])
        for o in of_type(bundle, "Observation")
    }
    assert totals == {
        "PHQ-9": ("http://loinc.org", "44261-6"),
        "GAD-7": ("http://loinc.org", "70274-6"),
        "AUDIT-C": ("http://loinc.org", "75626-2"),
        "AUDIT": ("http://loinc.org", "75624-7"),
        "DAST-10": ("http://loinc.org", "82667-7"),
        # LOINC has no WHO-5 code we can cite: the clinic's own system names it.
        "WHO-5": ("urn:hrp:measure", "WHO5"),
    }
    questionnaires = sorted({q["questionnaire"] for q in of_type(bundle, "QuestionnaireResponse")})
    assert questionnaires == [
        "http://loinc.org/q/44249-1",
        "http://loinc.org/q/69737-5",
        "http://loinc.org/q/72109-2",
        "http://loinc.org/q/82666-9",
        "urn:hrp:measure:AUDIT",
        "urn:hrp:measure:WHO5",
    ]
    phq9 = next(o for o in of_type(bundle, "Observation") if o["code"]["text"] == "PHQ-9")
    assert (phq9["status"], phq9["valueInteger"], phq9["interpretation"]) == (
        "final",
        11,
        [{"text": "Moderate"}],
    )
    # The corrected WHO-5 was entered in error; its correction stands as "corrected".
    who5 = sorted(
        (o["valueInteger"], o["status"])
        for o in of_type(bundle, "Observation")
        if o["code"]["text"] == "WHO-5"
    )
    assert who5 == [(40, "entered-in-error"), (48, "corrected")]


def test_plan_goals_and_consents(person: Client) -> None:
    _full_record(person)

    bundle = _bundle(person)

    plans = of_type(bundle, "CarePlan")
    assert [(p["title"], p["status"]) for p in plans] == [
        ("Substance use plan, version 1", "revoked"),
        ("Substance use plan, version 2", "active"),
    ]
    assert plans[1]["replaces"][0]["reference"] == f"urn:uuid:{plans[0]['id']}"
    assert "Most per occasion: 3 pints" in plans[1]["activity"][0]["detail"]["description"]
    assert sorted(
        (g["description"]["text"], g["lifecycleStatus"]) for g in of_type(bundle, "Goal")
    ) == [
        ("Naloxone in my bag", "on-hold"),
        ("Two dry days after every weekend", "active"),
    ]
    consents = sorted(
        (c["provision"]["actor"][0]["reference"]["display"], c["status"])
        for c in of_type(bundle, "Consent")
    )
    assert consents == [("Dr Lee", "active"), ("Housing Office", "inactive")]
    patient = of_type(bundle, "Patient")[0]
    assert patient["identifier"] == [{"system": "urn:hrp:chart-number", "value": "C-FHIR01"}]
    assert patient["birthDate"] == "1990-04-02"
    assert patient["name"] == [
        {"use": "official", "text": "Robin Example"},
        {"use": "usual", "text": "Robin"},
    ]


def test_the_document_names_its_recipient_and_carries_the_notice(person: Client) -> None:
    bundle = _bundle(person)

    composition = bundle["entry"][0]["resource"]
    assert composition["title"] == "Health record of Robin Example for Dr Lee"
    assert composition["confidentiality"] == "R"
    notice = composition["section"][-1]
    assert notice["title"] == "Notice of confidentiality (42 CFR Part 2)"
    assert "protected by Federal confidentiality rules (42 CFR part 2)" in notice["text"]["div"]
    # An empty part says so rather than being left out.
    assert [s["title"] for s in composition["section"] if "emptyReason" in s] == [
        "Problem list",
        "Encounters",
        "Measures",
        "Measure answers",
        "Goals",
        "Substance use plan",
        "Consents",
    ]


def test_the_clinicians_notes_never_leave(person: Client) -> None:
    _full_record(person)

    text = json.dumps(_bundle(person))

    assert CLINICIAN_NOTE not in text
    assert "Clinician's notes" not in text


def test_a_resource_keeps_its_id_from_one_export_to_the_next(person: Client) -> None:
    _full_record(person)

    first = {e["fullUrl"] for e in _bundle(person)["entry"][1:]}
    second = {e["fullUrl"] for e in _bundle(person)["entry"][1:]}

    assert first == second


def test_the_registry_lists_one_builder_per_resource_type() -> None:
    assert [b.key for b in fhir.builders()] == [
        "patient",
        "condition",
        "encounter",
        "observation",
        "questionnaire_response",
        "goal",
        "care_plan",
        "consent",
    ]


# Diagnoses with their changes (two: shared by Condition and Encounter), encounters,
# administrations (shared by Observation and QuestionnaireResponse), goals, plan versions,
# consents: one query each, whatever the history.
EXPORT_QUERIES = 7


@pytest.mark.parametrize("rows", [1, 8])
def test_the_export_costs_the_same_at_one_and_many_rows(
    person: Client, rows: int, django_assert_num_queries
) -> None:
    plan = PlanFactory(client=person)
    for n in range(rows):
        AdministrationFactory(client=person, measure_code="GAD7", raw_total=n)
        GoalFactory(client=person, client_words=f"Goal {n}")
        PlanVersionFactory(plan=plan, sections=[plan_section(name=f"Substance {n}")])
        ConsentFactory(client=person, scope=Consent.Scope.SUMMARY)
    _problem_list_and_a_coded_session(person)

    with django_assert_num_queries(EXPORT_QUERIES):
        bundle = _bundle(person)

    assert len(of_type(bundle, "Observation")) == rows
    assert len(of_type(bundle, "CarePlan")) == rows


def test_every_demo_client_exports_a_valid_bundle(demo_clinic) -> None:
    totals: dict[str, int] = {}
    clients = list(Client.objects.order_by("pk"))
    for client in clients:
        for kind, count in validate(
            fhir.build_bundle(client=client, clinic_name="Demo", recipient="")
        ).items():
            totals[kind] = totals.get(kind, 0) + count

    assert totals["Patient"] == len(clients)
    assert totals["Composition"] == len(clients)
    # The demo clinic has every kind of record the export builds.
    assert sorted(totals) == [
        "CarePlan",
        "Composition",
        "Condition",
        "Consent",
        "Encounter",
        "Goal",
        "Observation",
        "Patient",
        "QuestionnaireResponse",
    ]
    assert totals["Observation"] == totals["QuestionnaireResponse"]


def test_the_problem_list_and_encounters_carry_their_codes(person: Client) -> None:
    _problem_list_and_a_coded_session(person)

    bundle = _bundle(person)

    conditions = {
        c["code"]["coding"][0]["code"]: (
            c.get("clinicalStatus", {}).get("coding", [{}])[0].get("code"),
            c["verificationStatus"]["coding"][0]["code"],
            c["code"]["text"],
            c["code"]["coding"][0]["system"],
        )
        for c in of_type(bundle, "Condition")
    }
    assert conditions == {
        "F10.10": (
            "active",
            "confirmed",
            conditions["F10.10"][2],
            "http://hl7.org/fhir/sid/icd-10-cm",
        ),
        "Z59.01": ("resolved", "confirmed", conditions["Z59.01"][2], conditions["F10.10"][3]),
        "F41.1": (None, "entered-in-error", conditions["F41.1"][2], conditions["F10.10"][3]),
    }
    # Person-first wording is the text; the official description stays in the coding.
    assert conditions["F10.10"][2].startswith("Alcohol use disorder, mild")
    (encounter,) = of_type(bundle, "Encounter")
    active = next(
        c for c in of_type(bundle, "Condition") if c["code"]["coding"][0]["code"] == "F10.10"
    )
    assert (
        encounter["class"]["code"],
        encounter["type"][0]["coding"][0]["code"],
        encounter["length"]["value"],
        encounter["location"][0]["location"]["identifier"]["value"],
        encounter["diagnosis"],
    ) == (
        "VR",
        "90834",
        50,
        "10",
        [
            {
                "condition": {
                    "reference": f"urn:uuid:{active['id']}",
                    "type": "Condition",
                    "display": "F10.10",
                }
            }
        ],
    )
