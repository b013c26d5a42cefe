"""Concrete harms named per substance in a harm assessment: entered with the pattern analysis,
kept as they were (append-only, encrypted at rest), carried into the next assessment with their
thread, limited to the client's own substances and harms, and shown grouped by substance."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client as HttpClient

from assessments.models import HarmAssessment, IdentifiedHarm, ImmutableError
from clients.models import Client, SubstanceUse
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from tests.assessments.factories_harm import HarmAssessmentFactory, IdentifiedHarmFactory
from tests.assessments.test_harm import TODAY, form_data, page_url, text
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.htmltext import cell_text, parse

ClientFor = Callable[[User | None], HttpClient]

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist)


@pytest.fixture
def alcohol(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.ALCOHOL)


@pytest.fixture
def cannabis(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.CANNABIS)


def _stored(record: Client) -> list[tuple]:
    return list(
        IdentifiedHarm.objects.filter(assessment__client=record)
        .order_by("id")
        .values_list("substance_id", "domain", "description", "severity", "first_identified_id")
    )


# --- Entering harms with the assessment --------------------------------------------------------


def test_harms_are_stored_with_their_substance_in_the_clients_words(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    alcohol: SubstanceUse,
    cannabis: SubstanceUse,
) -> None:
    data = form_data(
        harms=[
            {
                "substance": str(alcohol.pk),
                "domain": "work",
                "description": "Misses Monday shifts after weekend use",
                "severity": "2",
            },
            {"substance": str(cannabis.pk), "domain": "safety", "description": "Drives high"},
            {"substance": "", "domain": "financial", "description": "Rent was late twice"},
        ]
    )

    response = client_for(therapist).post(page_url("harm_new", record), data)

    assessment = HarmAssessment.objects.get(client=record)
    assert response.status_code == 302
    assert _stored(record) == [
        (alcohol.pk, "work", "Misses Monday shifts after weekend use", 2, None),
        (cannabis.pk, "safety", "Drives high", None, None),
        (None, "financial", "Rent was late twice", None, None),
    ]
    page = client_for(therapist).get(page_url("harm_detail", record, assessment))
    groups = [(g.label, [h.description for h in g.harms]) for g in page.context["harm_groups"]]
    assert groups == [
        ("Alcohol", ["Misses Monday shifts after weekend use"]),
        ("Cannabis", ["Drives high"]),
        ("Use in general", ["Rent was late twice"]),
    ]
    items = [cell_text(li) for li in parse(page).xpath("//ul[@data-harm-group]/li")]
    assert items == [
        "Misses Monday shifts after weekend use · Work or school · 2 moderate",
        "Drives high · Safety and housing",
        "Rent was late twice · Financial",
    ]


def test_a_harm_row_without_words_or_part_of_life_stores_nothing_and_keeps_what_was_typed(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    data = form_data(
        harms=[
            {"substance": str(alcohol.pk), "domain": "", "description": "Hangovers at work"},
            {"substance": str(alcohol.pk), "domain": "work", "description": "  "},
        ]
    )

    response = client_for(therapist).post(page_url("harm_new", record), data)

    assert response.status_code == 200
    assert HarmAssessment.objects.filter(client=record).count() == 0
    rows = response.context["harm_formset"].forms
    assert rows[0].errors == {
        "domain": ["Choose the part of life this harm touches (or clear the row)."]
    }
    assert rows[1].errors == {
        "description": ["Say what happens, concretely, in the client's words (or clear the row)."]
    }
    assert "Hangovers at work" in text(response)


def test_a_severity_outside_0_to_3_is_refused(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    row = {"substance": str(alcohol.pk), "domain": "work", "description": "Late", "severity": "7"}

    response = client_for(therapist).post(page_url("harm_new", record), form_data(harms=[row]))

    assert response.status_code == 200
    assert HarmAssessment.objects.filter(client=record).count() == 0
    assert response.context["harm_formset"].forms[0].errors == {
        "severity": ["Choose from 0 (no harm) to 3 (severe harm), or “Not rated”."]
    }


def test_another_clients_substance_is_refused(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    theirs = SubstanceUseFactory(client=ClientFactory(therapist=therapist))
    data = form_data(
        harms=[{"substance": str(theirs.pk), "domain": "work", "description": "Late to work"}]
    )

    response = client_for(therapist).post(page_url("harm_new", record), data)

    assert response.status_code == 200
    assert HarmAssessment.objects.filter(client=record).count() == 0
    assert response.context["harm_formset"].forms[0].errors == {
        "substance": ["Choose one of this client's substances, or “use in general”."]
    }


def test_another_clients_harm_cannot_be_carried(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    theirs = IdentifiedHarmFactory(assessment=HarmAssessmentFactory())
    data = form_data(
        harms=[{"carries": str(theirs.pk), "domain": "work", "description": "Late to work"}]
    )

    response = client_for(therapist).post(page_url("harm_new", record), data)

    assert response.status_code == 200
    assert HarmAssessment.objects.filter(client=record).count() == 0
    assert response.context["harm_formset"].forms[0].errors == {
        "carries": ["This row is linked to a harm that is not on this client's record."]
    }


def test_a_new_assessment_starts_from_the_last_ones_harms_and_keeps_their_thread(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    first = HarmAssessmentFactory(client=record, assessed_on=TODAY() - datetime.timedelta(days=40))
    named = IdentifiedHarmFactory(assessment=first, substance=alcohol, description="Misses shifts")
    web = client_for(therapist)

    page = web.get(page_url("harm_new", record))
    initial = page.context["harm_formset"].initial
    assert initial == [
        {
            "carries": named.pk,
            "substance": alcohol.pk,
            "domain": "work",
            "description": "Misses shifts",
            "severity": 2,
        }
    ]
    # Carried over as it was, then carried again: every record of it names the first.
    for _round in range(2):
        row = {**initial[0], "severity": "1"}
        latest = IdentifiedHarm.objects.order_by("-id").first()
        row["carries"] = str(latest.pk)
        response = web.post(page_url("harm_new", record), form_data(harms=[row]))
        assert response.status_code == 302

    assert _stored(record) == [
        (alcohol.pk, "work", "Misses shifts", 2, None),
        (alcohol.pk, "work", "Misses shifts", 1, named.pk),
        (alcohol.pk, "work", "Misses shifts", 1, named.pk),
    ]


def test_the_audit_trail_counts_harms_without_their_words(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    data = form_data(
        harms=[{"substance": str(alcohol.pk), "domain": "work", "description": "Secret words"}]
    )
    client_for(therapist).post(page_url("harm_new", record), data)

    event = AuditEvent.objects.get(action=AuditAction.HARM_ASSESS)
    assert event.changes["harms"] == [None, 1]
    assert "Secret words" not in str(event.changes)


def test_compare_matches_harms_by_their_thread_not_their_words(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    earlier = HarmAssessmentFactory(
        client=record, assessed_on=TODAY() - datetime.timedelta(days=40)
    )
    later = HarmAssessmentFactory(client=record, assessed_on=TODAY() - datetime.timedelta(days=2))
    shifts = IdentifiedHarmFactory(
        assessment=earlier, substance=alcohol, description="Misses Monday shifts", severity=3
    )
    IdentifiedHarmFactory(assessment=earlier, substance=None, description="Rent late", severity=1)
    IdentifiedHarmFactory(
        assessment=later,
        substance=alcohol,
        first_identified=shifts,
        description="Late on Mondays now and then",
        severity=1,
    )
    IdentifiedHarmFactory(assessment=later, substance=alcohol, description="Blackouts", severity=2)

    response = client_for(therapist).get(
        page_url("harm_compare", record), {"a": earlier.pk, "b": later.pk}
    )

    rows = parse(response).xpath("//table[@data-named-harm-changes]/tbody/tr")
    assert [[cell_text(cell) for cell in row] for row in rows] == [
        ["Late on Mondays now and then", "Alcohol", "3 severe", "1 mild"],
        ["Blackouts", "Alcohol", "not named then", "2 moderate"],
        ["Rent late", "Use in general", "1 mild", "no longer named"],
    ]


# --- Kept as they were -------------------------------------------------------------------------


def test_a_stored_harm_cannot_be_changed_or_deleted(record: Client) -> None:
    harm = IdentifiedHarmFactory(assessment=HarmAssessmentFactory(client=record))

    harm.description = "Changed"
    with pytest.raises(ImmutableError):
        harm.save()
    with pytest.raises(ImmutableError):
        harm.delete()
    # The database refuses too (the trigger), whatever the ORM does.
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessments_identifiedharm SET domain = 'legal' WHERE id = %s", [harm.pk]
            )
    assert IdentifiedHarm.objects.get(pk=harm.pk).domain == "work"


def test_the_description_is_encrypted_at_rest(record: Client) -> None:
    harm = IdentifiedHarmFactory(
        assessment=HarmAssessmentFactory(client=record), description="Sleeps in the car"
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT description FROM assessments_identifiedharm WHERE id = %s", [harm.pk]
        )
        stored = cursor.fetchone()[0]

    assert "Sleeps in the car" not in stored
    assert IdentifiedHarm.objects.get(pk=harm.pk).description == "Sleeps in the car"


# --- Query counts ------------------------------------------------------------------------------

# As test_harm.DETAIL_QUERIES: the named harms (with their substances) are one prefetch.
DETAIL_QUERIES = 9


@pytest.mark.parametrize("count", [1, 12])
def test_detail_queries_with_named_harms(
    client_for: ClientFor, therapist: User, record: Client, count: int, django_assert_num_queries
) -> None:
    assessment = HarmAssessmentFactory(client=record)
    substances = [SubstanceUseFactory(client=record) for _index in range(min(count, 4))]
    for index in range(count):
        IdentifiedHarmFactory(
            assessment=assessment,
            substance=substances[index % len(substances)] if index % 5 else None,
        )
    web = client_for(therapist)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = web.get(page_url("harm_detail", record, assessment))

    assert sum(len(g.harms) for g in response.context["harm_groups"]) == count
