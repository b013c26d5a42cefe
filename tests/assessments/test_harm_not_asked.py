"""Harm ratings start at "not asked": a life area nobody asked about is stored as unknown (NULL),
shown as "Not asked" and never counted as "0 none"; the migration that made them nullable keeps
every stored rating."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as HttpClient
from django.utils import timezone

from assessments.harm_views import harm_comparison
from assessments.models import HARM_DOMAINS, HarmAssessment, harm_rating_label
from clients.models import Client
from hrp.accounts.models import User
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.assessments.test_harm import form_data, page_url
from tests.clients.factories import ClientFactory
from tests.htmltext import form_values, parse, table

ClientFor = Callable[[User | None], HttpClient]

RATING_FIELDS = [f"{key}_rating" for key, _label in HARM_DOMAINS]


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, legal_name="Robin Example", preferred_name="Robin")


def test_a_new_assessment_has_no_rating(db: None, therapist: User) -> None:
    client = ClientFactory(therapist=therapist)

    assessment = HarmAssessment.objects.create(client=client, assessed_by=therapist)

    assessment.refresh_from_db()
    assert [getattr(assessment, name) for name in RATING_FIELDS] == [None] * 7


def test_the_first_form_starts_every_life_area_at_not_asked(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(page_url("harm_new", record))

    assert response.status_code == 200
    values = form_values(response)
    assert {name: values[name] for name in RATING_FIELDS} == dict.fromkeys(RATING_FIELDS, "")
    root = parse(response)
    for name in RATING_FIELDS:
        options = root.xpath(f'//select[@name="{name}"]/option')
        assert [(o.get("value"), o.text_content()) for o in options] == [
            ("", "Not asked"),
            ("0", "0 none"),
            ("1", "1 mild"),
            ("2", "2 moderate"),
            ("3", "3 severe"),
        ]
        assert [o.get("value") for o in options if o.get("selected") is not None] == [""]


def test_a_life_area_left_not_asked_is_stored_as_unknown(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    data = form_data(legal_rating="", work_rating="", safety_rating="0")

    response = client_for(therapist).post(page_url("harm_new", record), data)

    assert response.status_code == 302
    stored = HarmAssessment.objects.get(client=record)
    assert {name: getattr(stored, name) for name in RATING_FIELDS} == {
        "physical_rating": 1,
        "mental_rating": 2,
        "relationships_rating": 1,
        "work_rating": None,
        "legal_rating": None,
        "financial_rating": 2,
        "safety_rating": 0,
    }


def test_the_detail_page_says_not_asked_and_keeps_a_real_zero(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    assessment = HarmAssessmentFactory(
        client=record, physical_rating=2, mental_rating=None, safety_rating=0
    )

    response = client_for(therapist).get(page_url("harm_detail", record, assessment))

    _header, rows = table(response)
    assert [row[:2] for row in rows if len(row) == 3] == [
        ["Physical health", "2 moderate"],
        ["Mental health", "Not asked"],
        ["Relationships", "Not asked"],
        ["Work or school", "Not asked"],
        ["Legal", "Not asked"],
        ["Financial", "Not asked"],
        ["Safety and housing", "0 none"],
    ]


def test_a_new_assessment_carries_not_asked_over_from_the_latest(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    HarmAssessmentFactory(client=record, physical_rating=3, mental_rating=None, legal_rating=0)

    response = client_for(therapist).get(page_url("harm_new", record))

    initial = response.context["form"].initial
    assert {name: initial[name] for name in RATING_FIELDS} == {
        "physical_rating": 3,
        "mental_rating": None,
        "relationships_rating": None,
        "work_rating": None,
        "legal_rating": 0,
        "financial_rating": None,
        "safety_rating": None,
    }
    values = form_values(response)
    assert (values["mental_rating"], values["legal_rating"]) == ("", "0")


@pytest.mark.parametrize(
    ("earlier", "later", "change", "direction"),
    [
        (None, None, None, "unknown"),
        (None, 2, None, "unknown"),
        (3, None, None, "unknown"),
        (0, 0, 0, "same"),
        (0, 2, 2, "more"),
        (3, 1, -2, "less"),
    ],
)
def test_a_comparison_never_counts_not_asked_as_zero(
    db: None,
    therapist: User,
    earlier: int | None,
    later: int | None,
    change: int | None,
    direction: str,
) -> None:
    client = ClientFactory(therapist=therapist)
    today = timezone.localdate()
    first = HarmAssessmentFactory(
        client=client, assessed_on=today - datetime.timedelta(days=40), legal_rating=earlier
    )
    second = HarmAssessmentFactory(client=client, assessed_on=today, legal_rating=later)

    comparison = harm_comparison(first, second)

    [legal] = [d for d in comparison.domains if str(d.label) == "Legal"]
    assert (legal.change, legal.direction) == (change, direction)
    assert (str(legal.earlier_label), str(legal.later_label)) == (
        str(harm_rating_label(earlier)),
        str(harm_rating_label(later)),
    )


# --- The migration ------------------------------------------------------------------------------

BEFORE = [("assessments", "0003_administration_suicide_risk_index")]


def _migrate(targets: list[tuple[str, str]] | None) -> None:
    """Migrate to `targets`, or with None back to the latest migration of every app."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def test_the_migration_keeps_every_stored_rating(db: None, therapist: User) -> None:
    client = ClientFactory(therapist=therapist)
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            # Before: the columns are NOT NULL with 0 as their default.
            cursor.execute(
                "INSERT INTO assessments_harmassessment (client_id, assessed_on, assessed_by_id, "
                "created_at, physical_rating, mental_rating, relationships_rating, work_rating, "
                "legal_rating, financial_rating, safety_rating, uses_alone, mixes_depressants, "
                "lowered_tolerance, unknown_supply, injects, previous_overdose, has_naloxone, "
                "has_test_strips, has_sterile_supplies, overdose_risk, physical_words, "
                "mental_words, relationships_words, work_words, legal_words, financial_words, "
                "safety_words, benefits_of_use, costs_of_use, benefits_of_change, "
                "costs_of_change, notes) VALUES (%s, %s, %s, now(), 3, 2, 1, 0, 0, 1, 2, false, "
                "false, false, false, false, false, false, false, false, false, '', '', '', '', "
                "'', '', '', '', '', '', '', '') RETURNING id",
                [client.pk, timezone.localdate(), therapist.pk],
            )
            (pk,) = cursor.fetchone()
    finally:
        _migrate(None)

    stored = HarmAssessment.objects.get(pk=pk)
    assert [getattr(stored, name) for name in RATING_FIELDS] == [3, 2, 1, 0, 0, 1, 2]
    # After: a new row with no rating stores NULL ("not asked").
    fresh = HarmAssessment.objects.create(client=client, assessed_by=therapist)
    fresh.refresh_from_db()
    assert fresh.legal_rating is None
