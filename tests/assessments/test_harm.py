"""Harm assessments: record one with the client, read it, compare two.

Covers who may open and save what (assigned therapist writes, their supervisor reads, everyone
else gets 404), what a save stores (exactly), that earlier assessments never change, the
decisional-balance diff, refusal of bad input with nothing stored, escaping of typed HTML,
pre-filling from the last assessment or the intake, and pinned query counts.
"""

from __future__ import annotations

import datetime
import html
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from assessments.harm_forms import SubstancePatternForm
from assessments.harm_views import _balance_change, _point_key
from assessments.models import HarmAssessment, ImmutableError, SubstancePattern
from clients.models import Client, SubstanceUse
from hrp import bounds, formats
from hrp.access import ClientAccess
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from risk.models import RiskFlag
from tests.assessments.factories_harm import HarmAssessmentFactory, SubstancePatternFactory
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.conftest import STAFF_ROLES
from tests.htmltext import form_audit, parse

ClientFor = Callable[[User | None], HttpClient]

ALL_ROLES = [*STAFF_ROLES, "anonymous"]

DETAIL_QUERIES = 9  # 3 for any signed-in request + client, access event, assessment with
# its author, its patterns, its named harms, the one before it
COMPARE_QUERIES = 9  # 3 + client, the client's assessment ids, access event, the two
# assessments with their authors, their patterns, their named harms

TODAY = timezone.localdate


# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def record(therapist: User) -> Client:
    """A client on the assigned therapist's caseload."""
    return ClientFactory(therapist=therapist, legal_name="Robin Example", preferred_name="Robin")


@pytest.fixture
def earlier(record: Client) -> HarmAssessment:
    # Using alone and mixing depressants are overdose factors with an opioid (risk.rules).
    SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.HEROIN_FENTANYL)
    assessment = HarmAssessmentFactory(
        client=record,
        assessed_on=TODAY() - datetime.timedelta(days=60),
        physical_rating=2,
        mental_rating=3,
        relationships_rating=0,
        financial_rating=1,
        uses_alone=True,
        mixes_depressants=True,
        benefits_of_use="I relax\nEasier to talk to people\nHelps me sleep",
        costs_of_use="Money\nMissing Sunday lunch with my sister",
        benefits_of_change="More money",
        costs_of_change="Boring weekends\nLosing my drinking friends",
    )
    SubstancePatternFactory(
        assessment=assessment, substance_name="Alcohol", importance=4, confidence=3, readiness=2
    )
    return assessment


@pytest.fixture
def later(record: Client, earlier: HarmAssessment) -> HarmAssessment:
    assessment = HarmAssessmentFactory(
        client=record,
        assessed_on=TODAY() - datetime.timedelta(days=5),
        physical_rating=1,
        mental_rating=3,
        relationships_rating=0,
        work_rating=1,
        financial_rating=2,
        uses_alone=False,
        mixes_depressants=True,
        has_naloxone=True,
        benefits_of_use="I relax\n  easier to talk to   PEOPLE \nFeels like a reward",
        costs_of_use="Money\nMissing Sunday lunch with my sister\nScared after the last time",
        benefits_of_change="More money\nSee my sister",
        costs_of_change="Boring weekends",
    )
    SubstancePatternFactory(
        assessment=assessment, substance_name="alcohol", importance=7, confidence=5, readiness=6
    )
    return assessment


def page_url(name: str, record: Client, assessment: HarmAssessment | None = None) -> str:
    kwargs: dict[str, Any] = {"pk": record.pk}
    if name == "harm_detail":
        assert assessment is not None
        kwargs["assessment_pk"] = assessment.pk
    return reverse(f"assessments:{name}", kwargs=kwargs)


def text(response: HttpResponse) -> str:
    """The page as a person reads it: HTML entities decoded."""
    return html.unescape(response.content.decode())


def form_data(
    patterns: list[dict[str, Any]] | None = None,
    harms: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A complete, valid POST for a new harm assessment, with `patterns` as substance rows and
    `harms` as named-harm rows, each with one blank row after them (as the page has)."""
    data: dict[str, Any] = {
        "assessed_on": TODAY().isoformat(),
        "physical_rating": "1",
        "physical_words": "My stomach is bad after weekends.",
        "mental_rating": "2",
        "mental_words": "Anxious on Mondays.",
        "relationships_rating": "1",
        "relationships_words": "My sister worries.",
        "work_rating": "0",
        "work_words": "",
        "legal_rating": "0",
        "legal_words": "",
        "financial_rating": "2",
        "financial_words": "Rent was late once.",
        "safety_rating": "0",
        "safety_words": "",
        "benefits_of_use": "I relax\nEasier to talk to people",
        "costs_of_use": "Money\nHangovers",
        "benefits_of_change": "More money",
        "costs_of_change": "Boring weekends",
        "notes": "Client led the balance exercise.",
        "strengths": "I can plan ahead when I want to.",
        "supports": "My sister; the gym.",
        "past_changes": "",
    }
    rows = [
        *(patterns if patterns is not None else [{"substance_name": "Alcohol"}]),
        {},
    ]
    data.update(
        {
            "patterns-TOTAL_FORMS": str(len(rows)),
            "patterns-INITIAL_FORMS": "0",
            "patterns-MIN_NUM_FORMS": "0",
            "patterns-MAX_NUM_FORMS": "20",
        }
    )
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"patterns-{index}-{key}"] = value
    harm_rows = [*(harms or []), {}]
    data.update(
        {
            "harms-TOTAL_FORMS": str(len(harm_rows)),
            "harms-INITIAL_FORMS": "0",
            "harms-MIN_NUM_FORMS": "0",
            "harms-MAX_NUM_FORMS": "30",
        }
    )
    for index, row in enumerate(harm_rows):
        for key, value in row.items():
            data[f"harms-{index}-{key}"] = value
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not False}


def stored_state(record: Client) -> dict[str, Any]:
    """Every harm-assessment row of the client, as plain values."""
    return {
        "assessments": [
            model_to_dict(a) for a in HarmAssessment.objects.filter(client=record).order_by("pk")
        ],
        "patterns": [
            model_to_dict(p)
            for p in SubstancePattern.objects.filter(assessment__client=record).order_by("pk")
        ],
    }


def change_events() -> int:
    return AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count()


# --- Access matrix -----------------------------------------------------------------------------

EXPECTED = {
    "harm_new": {"therapist": 200, "supervisor": 403},
    "harm_detail": {"therapist": 200, "supervisor": 200},
    "harm_compare": {"therapist": 200, "supervisor": 200},
}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_get_access(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    later: HarmAssessment,
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    url = page_url(name, record, later)
    response = client_for(user).get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    else:
        assert response.status_code == EXPECTED[name].get(role, 404)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_post_new_access(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    earlier: HarmAssessment,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    before = stored_state(record)
    events_before = change_events()
    url = page_url("harm_new", record)
    response = client_for(user).post(url, form_data())
    if role == "therapist":
        assert response.status_code == 302
        assert HarmAssessment.objects.filter(client=record).count() == 2
        return
    expected = {"supervisor": 403, "anonymous": 302}.get(role, 404)
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert stored_state(record) == before
    assert change_events() == events_before


def test_other_clients_assessment_is_404_even_for_its_therapist(
    client_for: ClientFor, therapist: User, record: Client, other_therapist: User
) -> None:
    elsewhere = HarmAssessmentFactory(client=ClientFactory(therapist=other_therapist))
    mine_elsewhere = HarmAssessmentFactory(client=ClientFactory(therapist=therapist))
    web = client_for(therapist)
    # Someone else's client's assessment, and my other client's, through this client's URL.
    for assessment in (elsewhere, mine_elsewhere):
        url = reverse(
            "assessments:harm_detail", kwargs={"pk": record.pk, "assessment_pk": assessment.pk}
        )
        assert web.get(url).status_code == 404


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_page_records_an_access_event(
    client_for: ClientFor, therapist: User, record: Client, later: HarmAssessment, name: str
) -> None:
    web = client_for(therapist)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    web.get(page_url(name, record, later))
    what = "harm_compare" if name == "harm_compare" else "harm_assessment"
    events = list(
        AuditEvent.objects.filter(id__gt=last).values_list(
            "action", "actor_id", "chart_number", "object_id"
        )
    )
    assert events == [(f"client.view.{what}", therapist.pk, record.chart_number, str(record.pk))]


# --- Saving ------------------------------------------------------------------------------------


def test_save_stores_exactly_what_was_entered(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    intake_alcohol = SubstanceUseFactory(client=record)
    data = form_data(
        patterns=[
            {
                "substance": str(intake_alcohol.pk),
                "substance_name": "Alcohol",
                "dose": "6 pints",
                "frequency": "Fridays and Saturdays",
                "route": "drinking",
                "setting": "the pub",
                "with_whom": "work friends",
                "functions": ["social", "managing_feelings"],
                "function_notes": "Takes the edge off after the week.",
                "importance": "6",
                "confidence": "3",
                "readiness": "5",
                "stage_of_change": "contemplation",
            },
            {
                "substance_name": "Cannabis",
                "frequency": "most nights",
                "functions": ["sleep"],
                "function_other": "Stops the racing thoughts",
                "importance": "0",
            },
        ],
        uses_alone="on",
        unknown_supply="on",
        has_naloxone="on",
    )
    response = client_for(therapist).post(page_url("harm_new", record), data)

    assessment = HarmAssessment.objects.get(client=record)
    assert response.status_code == 302
    assert response["Location"] == page_url("harm_detail", record, assessment)
    values = model_to_dict(assessment, exclude=["id", "client", "assessed_by"])
    assert values == {
        "assessed_on": TODAY(),
        "created_at": assessment.created_at,
        "physical_rating": 1,
        "physical_words": "My stomach is bad after weekends.",
        "mental_rating": 2,
        "mental_words": "Anxious on Mondays.",
        "relationships_rating": 1,
        "relationships_words": "My sister worries.",
        "work_rating": 0,
        "work_words": "",
        "legal_rating": 0,
        "legal_words": "",
        "financial_rating": 2,
        "financial_words": "Rent was late once.",
        "safety_rating": 0,
        "safety_words": "",
        "uses_alone": True,
        "mixes_depressants": False,
        "lowered_tolerance": False,
        "unknown_supply": True,
        "injects": False,
        "previous_overdose": False,
        "has_naloxone": True,
        "has_test_strips": False,
        "has_sterile_supplies": False,
        "benefits_of_use": "I relax\nEasier to talk to people",
        "costs_of_use": "Money\nHangovers",
        "benefits_of_change": "More money",
        "costs_of_change": "Boring weekends",
        "notes": "Client led the balance exercise.",
        "strengths": "I can plan ahead when I want to.",
        "supports": "My sister; the gym.",
        "past_changes": "",
    }
    assert assessment.assessed_by == therapist
    assert assessment.overdose_risk is True
    assert assessment.overdose_factors == ["Using alone", "Unknown supply"]
    patterns = [
        model_to_dict(p, exclude=["id", "assessment"]) for p in assessment.patterns.order_by("id")
    ]
    assert patterns == [
        {
            "substance": intake_alcohol.pk,
            "substance_name": "Alcohol",
            "dose": "6 pints",
            "frequency": "Fridays and Saturdays",
            "route": "drinking",
            "setting": "the pub",
            "with_whom": "work friends",
            "functions": ["managing_feelings", "social"],
            "function_other": "",
            "function_notes": "Takes the edge off after the week.",
            "importance": 6,
            "confidence": 3,
            "readiness": 5,
            "stage_of_change": "contemplation",
        },
        {
            "substance": None,
            "substance_name": "Cannabis",
            "dose": "",
            "frequency": "most nights",
            "route": "",
            "setting": "",
            "with_whom": "",
            # Typing an "other" function ticks "other" for the clinician.
            "functions": ["sleep", "other"],
            "function_other": "Stops the racing thoughts",
            "function_notes": "",
            "importance": 0,
            "confidence": None,
            "readiness": None,
            "stage_of_change": "",
        },
    ]
    change, raised = AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).order_by("pk")
    assert (change.action, change.actor_id, change.chart_number) == (
        "harm.assess",
        therapist.pk,
        record.chart_number,
    )
    assert change.changes == {
        "overdose_risk": [None, True],
        "patterns": [None, 2],
        "harms": [None, 0],
    }
    # An unknown supply counts whatever the substance (risk.rules); using alone does not with
    # alcohol alone, so the flag names the supply only.
    assert raised.action == "risk.raise"
    flag = RiskFlag.objects.get()
    assert (flag.kind, flag.level, flag.source_key, flag.source_id, flag.source_description) == (
        "overdose",
        "some",
        "assessments.harm",
        assessment.pk,
        "Harm assessment: unknown supply",
    )


def test_overdose_flag_names_its_factors_on_the_detail_page(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.HEROIN_FENTANYL)
    web = client_for(therapist)
    web.post(
        page_url("harm_new", record),
        form_data(mixes_depressants="on", lowered_tolerance="on", has_test_strips="on"),
    )
    assessment = HarmAssessment.objects.get(client=record)
    assert assessment.overdose_risk is True
    assert assessment.overdose_factors == [
        "Mixing depressants (opioids with alcohol or benzodiazepines)",
        "Lowered tolerance after a break or release",
    ]
    page = text(web.get(page_url("harm_detail", record, assessment)))
    section = page.split('id="overdose-h"')[1].split("</section>")[0]
    assert re.findall(r"<li>(.*?)</li>", section) == [
        "Mixing depressants (opioids with alcohol or benzodiazepines)",
        "Lowered tolerance after a break or release",
        "Drug-checking strips",
    ]


def test_no_factor_no_flag(client_for: ClientFor, therapist: User, record: Client) -> None:
    client_for(therapist).post(page_url("harm_new", record), form_data(has_naloxone="on"))
    assessment = HarmAssessment.objects.get(client=record)
    assert (assessment.overdose_risk, assessment.overdose_factors) == (False, [])
    assert assessment.overdose_resources == ["Naloxone on hand"]


def test_blank_rows_are_ignored(client_for: ClientFor, therapist: User, record: Client) -> None:
    data = form_data(patterns=[{}, {"substance_name": "Gambling"}, {"functions": []}])
    client_for(therapist).post(page_url("harm_new", record), data)
    assessment = HarmAssessment.objects.get(client=record)
    assert list(assessment.patterns.values_list("substance_name", flat=True)) == ["Gambling"]


def test_new_assessment_leaves_earlier_ones_unchanged(
    client_for: ClientFor, therapist: User, record: Client, earlier: HarmAssessment
) -> None:
    before = stored_state(record)
    client_for(therapist).post(page_url("harm_new", record), form_data(mental_rating="0"))
    after = stored_state(record)
    assert len(after["assessments"]) == 2
    assert after["assessments"][0] == before["assessments"][0]
    assert after["patterns"][: len(before["patterns"])] == before["patterns"]


def test_saved_assessments_are_immutable(earlier: HarmAssessment) -> None:
    earlier.physical_rating = 0
    with pytest.raises(ImmutableError):
        earlier.save()
    pattern = earlier.patterns.get()
    pattern.readiness = 10
    with pytest.raises(ImmutableError):
        pattern.save()
    with pytest.raises(ImmutableError):
        earlier.delete()
    assert HarmAssessment.objects.get(pk=earlier.pk).physical_rating == 2
    assert SubstancePattern.objects.get(pk=pattern.pk).readiness == 2


# --- Bad input ---------------------------------------------------------------------------------

LONG = "x" * 10_001

BAD_INPUT = [
    pytest.param(
        {"physical_rating": "4"},
        "physical_rating",
        "Choose a rating from 0 (no harm) to 3 (severe harm), or “Not asked” if you did not "
        "talk about this part of life.",
        id="rating-4",
    ),
    pytest.param(
        {"patterns-0-readiness": "11"},
        "patterns-0-readiness",
        "Use a whole number from 0 to 10, or leave it empty.",
        id="readiness-11",
    ),
    pytest.param(
        {"patterns-0-importance": "-1"},
        "patterns-0-importance",
        "Use a whole number from 0 to 10, or leave it empty.",
        id="importance-negative",
    ),
    pytest.param(
        {"patterns-0-confidence": "lots"},
        "patterns-0-confidence",
        "Use a whole number from 0 to 10, or leave it empty.",
        id="confidence-not-a-number",
    ),
    pytest.param(
        {"assessed_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
        "assessed_on",
        bounds.HISTORY.message(timezone.localdate() + datetime.timedelta(days=1)),
        id="future-date",
    ),
    pytest.param(
        {"assessed_on": "1850-03-01"},
        "assessed_on",
        "Enter a date from 1 Jan 1900 onwards; please check the year.",
        id="1850",
    ),
    pytest.param(
        {"patterns-0-importance": "٣"},
        "patterns-0-importance",
        "Use a whole number from 0 to 10, or leave it empty.",
        id="importance-arabic-indic-digit",
    ),
    pytest.param(
        {"mental_words": LONG},
        "mental_words",
        "Please keep this under 10,000 characters (it has 10001).",
        id="long-words",
    ),
    pytest.param(
        {"costs_of_change": LONG},
        "costs_of_change",
        "Please keep this under 10,000 characters (it has 10001).",
        id="long-balance",
    ),
    pytest.param(
        {"patterns-0-function_notes": LONG},
        "patterns-0-function_notes",
        "Please keep this under 10,000 characters (it has 10001).",
        id="long-function-notes",
    ),
    pytest.param(
        {"patterns-0-substance_name": "", "patterns-0-dose": "2 grams"},
        "patterns-0-substance_name",
        "Name the substance or behaviour for this row (or clear the row).",
        id="row-without-name",
    ),
    pytest.param(
        {"patterns-0-functions": ["other"]},
        "patterns-0-function_other",
        "Say what else it does for them.",
        id="other-function-unnamed",
    ),
    pytest.param(
        {"patterns-0-functions": ["social", "world_domination"]},
        "patterns-0-functions",
        "Choose from the functions listed.",
        id="unknown-function",
    ),
]


@pytest.mark.parametrize(("override", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    earlier: HarmAssessment,
    override: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = stored_state(record)
    events_before = change_events()
    data = form_data(
        patterns=[{"substance_name": "Alcohol", "dose": "6 pints", "readiness": "5"}],
        physical_words="Typed before the mistake",
        **override,
    )
    response = client_for(therapist).post(page_url("harm_new", record), data)

    assert response.status_code == 200
    assert stored_state(record) == before
    assert change_events() == events_before
    form, formset = response.context["form"], response.context["formset"]
    errors = {
        **form.errors,
        **{f"patterns-{i}-{k}": v for i, e in enumerate(formset.errors) for k, v in e.items()},
    }
    assert errors == {field: [message]}
    page = text(response)
    assert message in page
    assert "Nothing was saved yet. Please look at the notes marked below." in page
    # What was typed is still there.
    assert "\nTyped before the mistake</textarea>" in page
    if field.startswith("patterns-0-") and "function" not in field:
        typed = data.get(field, "")
        if typed and typed != LONG:
            assert f'name="{field}" value="{typed}"' in page


def test_form_keeps_every_typed_value_after_refusal(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    data = form_data(
        patterns=[
            {
                "substance_name": "Cannabis",
                "with_whom": "alone",
                "functions": ["sleep", "pain"],
                "readiness": "11",
            }
        ],
        financial_rating="3",
        injects="on",
        benefits_of_change="Sleep without it",
    )
    response = client_for(therapist).post(page_url("harm_new", record), data)
    assert response.status_code == 200
    form, formset = response.context["form"], response.context["formset"]
    row = formset.forms[0]
    assert (
        form["financial_rating"].value(),
        form["injects"].value(),
        form["benefits_of_change"].value(),
    ) == ("3", True, "Sleep without it")
    assert (
        row["substance_name"].value(),
        row["with_whom"].value(),
        row["functions"].value(),
        row["readiness"].value(),
    ) == ("Cannabis", "alone", ["sleep", "pain"], "11")
    page = response.content.decode()
    assert '<option value="3" selected>' in page
    assert re.search(r'name="injects"[^>]*checked|checked[^>]*name="injects"', page)
    assert re.search(r'name="patterns-0-functions" value="pain"[^>]*checked', page)


def test_tampered_link_to_another_clients_substance_is_refused(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    theirs = SubstanceUseFactory(client=ClientFactory(therapist=therapist))
    data = form_data(patterns=[{"substance": str(theirs.pk), "substance_name": "Alcohol"}])
    response = client_for(therapist).post(page_url("harm_new", record), data)
    assert response.status_code == 200
    assert response.context["formset"].errors[0] == {
        "substance": ["This row is linked to a substance that is not on this client's record."]
    }
    assert HarmAssessment.objects.count() == 0


def test_typed_html_is_escaped(client_for: ClientFor, therapist: User, record: Client) -> None:
    payload = '<script>alert("x")</script><b>bold</b>'
    web = client_for(therapist)
    web.post(
        page_url("harm_new", record),
        form_data(
            patterns=[{"substance_name": payload, "function_notes": payload}],
            physical_words=payload,
            benefits_of_use=payload,
            notes=payload,
        ),
    )
    assessment = HarmAssessment.objects.get(client=record)
    HarmAssessmentFactory(client=record, assessed_on=TODAY() - datetime.timedelta(days=40))
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"
    pages = {
        "detail": web.get(page_url("harm_detail", record, assessment)),
        "compare": web.get(page_url("harm_compare", record)),
        "new": web.get(page_url("harm_new", record)),
    }
    for name, response in pages.items():
        content = response.content.decode()
        assert '<script>alert("x")' not in content, name
        assert "<b>bold</b>" not in content, name
        assert escaped in content, name
    assert pages["detail"].content.decode().count(escaped) == 5


# --- Properties: validation of 0-10 scores and the balance diff -----------------------------


@given(st.integers(min_value=-1000, max_value=1000))
def test_readiness_scores_accept_exactly_0_to_10(value: int) -> None:
    form = SubstancePatternForm(
        {"substance_name": "Alcohol", "importance": str(value), "readiness": str(value)}
    )
    if 0 <= value <= 10:
        assert form.is_valid(), form.errors
        assert (form.cleaned_data["importance"], form.cleaned_data["readiness"]) == (value, value)
    else:
        message = ["Use a whole number from 0 to 10, or leave it empty."]
        assert form.errors == {"importance": message, "readiness": message}


points = st.lists(st.text(min_size=1, max_size=12).map(str.strip).filter(bool), max_size=8)


@given(points, points)
def test_balance_diff_accounts_for_every_point(earlier: list[str], later: list[str]) -> None:
    change = _balance_change("costs_of_use", earlier, later)
    earlier_keys = {_point_key(p) for p in earlier}
    later_keys = {_point_key(p) for p in later}
    # Every later point is either new or still mentioned, in the client's order.
    assert Counter(change.added + change.still_mentioned) == Counter(later)
    assert change.added == [p for p in later if _point_key(p) not in earlier_keys]
    assert change.still_mentioned == [p for p in later if _point_key(p) in earlier_keys]
    # What is no longer mentioned is exactly the earlier points absent from the later list.
    assert change.no_longer_mentioned == [p for p in earlier if _point_key(p) not in later_keys]
    if [_point_key(p) for p in earlier] == [_point_key(p) for p in later]:
        assert (change.added, change.no_longer_mentioned) == ([], [])


# --- Pre-filling a new assessment --------------------------------------------------------------


def test_new_assessment_starts_from_the_latest(
    client_for: ClientFor, therapist: User, record: Client, later: HarmAssessment
) -> None:
    SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.CANNABIS)
    response = client_for(therapist).get(page_url("harm_new", record))
    form, formset = response.context["form"], response.context["formset"]
    assert form.initial == {
        "assessed_on": TODAY(),
        **{
            name: getattr(later, name)
            for name in form.fields
            if name not in ("assessed_on", "notes")
        },
    }
    assert form.initial["benefits_of_use"] == later.benefits_of_use
    assert form.initial["has_naloxone"] is True
    pattern = later.patterns.get()
    assert formset.initial == [
        {
            "substance": None,
            "substance_name": "alcohol",
            "dose": pattern.dose,
            "frequency": pattern.frequency,
            "route": pattern.route,
            "setting": pattern.setting,
            "with_whom": pattern.with_whom,
            "functions": ["social", "managing_feelings"],
            "function_other": "",
            "function_notes": "",
            "importance": 7,
            "confidence": 5,
            "readiness": 6,
            "stage_of_change": pattern.stage_of_change,
        }
    ]
    assert len(formset.forms) == 3  # the row carried over and two blank rows
    page = text(response)
    date = formats.date(later.assessed_on)
    assert f"This starts from the harm assessment of {date}." in page


def test_first_assessment_starts_from_the_intake_substances(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    alcohol = SubstanceUseFactory(client=record)
    other = SubstanceUseFactory(
        client=record,
        substance=SubstanceUse.Substance.OTHER,
        substance_other="Kratom",
        amount="2 teaspoons",
        frequency="daily",
        route="tea",
        setting="home",
    )
    response = client_for(therapist).get(page_url("harm_new", record))
    formset = response.context["formset"]
    assert formset.initial == [
        {
            "substance": alcohol.pk,
            "substance_name": "Alcohol",
            "dose": "4-5 drinks",
            "frequency": "weekends",
            "route": "oral",
            "setting": "bars with friends",
            "stage_of_change": alcohol.stage_of_change,
        },
        {
            "substance": other.pk,
            "substance_name": "Kratom",
            "dose": "2 teaspoons",
            "frequency": "daily",
            "route": "tea",
            "setting": "home",
            "stage_of_change": other.stage_of_change,
        },
    ]
    # No strengths recorded at intake: the fields start empty.
    assert response.context["form"].initial == {
        "assessed_on": TODAY(),
        "strengths": "",
        "supports": "",
        "past_changes": "",
    }
    assert "The substances below come from the intake." in text(response)


def test_prefilled_rows_saved_unchanged(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    """Posting the pre-filled page as it is stores the intake's substances as patterns."""
    alcohol = SubstanceUseFactory(client=record)
    web = client_for(therapist)
    form_page = web.get(page_url("harm_new", record))
    data = _form_values(form_page.content.decode())
    response = web.post(page_url("harm_new", record), data)
    assert response.status_code == 302
    pattern = SubstancePattern.objects.get(assessment__client=record)
    assert (pattern.substance, pattern.substance_name, pattern.dose, pattern.setting) == (
        alcohol,
        "Alcohol",
        "4-5 drinks",
        "bars with friends",
    )


# --- Compare -----------------------------------------------------------------------------------


def test_compare_defaults_to_latest_two_and_diffs_the_balance(
    client_for: ClientFor, therapist: User, record: Client, earlier: HarmAssessment
) -> None:
    # A newer pair than `earlier`: the default compares the latest two.
    middle = HarmAssessmentFactory(
        client=record,
        assessed_on=TODAY() - datetime.timedelta(days=20),
        benefits_of_use="I relax\nHelps me sleep",
        costs_of_use="Money",
    )
    newest = HarmAssessmentFactory(
        client=record,
        assessed_on=TODAY() - datetime.timedelta(days=2),
        benefits_of_use="i relax\nFeels like a reward",
        costs_of_use="Money\nScared after the last time",
        benefits_of_change="",
    )
    response = client_for(therapist).get(page_url("harm_compare", record))
    comparison = response.context["comparison"]
    assert (comparison.earlier, comparison.later) == (middle, newest)
    diff = {b.name: (b.added, b.no_longer_mentioned, b.still_mentioned) for b in comparison.balance}
    assert diff == {
        "benefits_of_use": (["Feels like a reward"], ["Helps me sleep"], ["i relax"]),
        "costs_of_use": (["Scared after the last time"], [], ["Money"]),
        "benefits_of_change": ([], ["More money"], []),
        "costs_of_change": ([], [], ["Boring weekends"]),
    }
    page = response.content.decode()
    block = page.split('id="balance-benefits_of_use"')[1].split("</div>")[0]
    assert re.findall(r'class="client-words balance-(\w+)"><li>(.*?)</li>', block) == [
        ("added", "Feels like a reward"),
        ("removed", "Helps me sleep"),
        ("kept", "i relax"),
    ]


def test_compare_chosen_pair_in_either_order(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    earlier: HarmAssessment,
    later: HarmAssessment,
) -> None:
    HarmAssessmentFactory(client=record, assessed_on=TODAY())
    web = client_for(therapist)
    for a, b in ((earlier, later), (later, earlier)):
        response = web.get(page_url("harm_compare", record), {"a": a.pk, "b": b.pk})
        comparison = response.context["comparison"]
        assert (comparison.earlier, comparison.later) == (earlier, later)
    diff = {b.name: (b.added, b.no_longer_mentioned) for b in comparison.balance}
    assert diff == {
        "benefits_of_use": (["Feels like a reward"], ["Helps me sleep"]),
        "costs_of_use": (["Scared after the last time"], []),
        "benefits_of_change": (["See my sister"], []),
        "costs_of_change": ([], ["Losing my drinking friends"]),
    }
    domains = [
        (str(d.label), d.earlier_rating, d.later_rating, d.direction) for d in comparison.domains
    ]
    assert domains == [
        ("Physical health", 2, 1, "less"),
        ("Mental health", 3, 3, "same"),
        # Rated "0 none" both times: a finding, compared like any rating.
        ("Relationships", 0, 0, "same"),
        # Not asked the first time: unknown, never "more harm" from an assumed 0.
        ("Work or school", None, 1, "unknown"),
        ("Legal", None, None, "unknown"),
        ("Financial", 1, 2, "more"),
        ("Safety and housing", None, None, "unknown"),
    ]
    factors = {str(f.label): f.status for f in comparison.factors}
    assert factors["Using alone"] == "gone"
    assert factors["Mixing depressants (opioids with alcohol or benzodiazepines)"] == "still"
    assert {str(r.label): r.status for r in comparison.resources}["Naloxone on hand"] == "new"
    assert [(r.substance, r.scores) for r in comparison.readiness] == [
        ("alcohol", [(4, 7), (3, 5), (2, 6)])
    ]
    page = text(response)
    rows = re.findall(r'<td class="harm-change-(\w+)">(.*?)</td>', page)
    assert rows == [
        ("less", '<span aria-hidden="true">↓</span> less harm (-1)'),
        ("same", '<span aria-hidden="true">→</span> no change'),
        ("same", '<span aria-hidden="true">→</span> no change'),
        ("unknown", '<span aria-hidden="true">?</span> unknown: not asked'),
        ("unknown", '<span aria-hidden="true">?</span> unknown: not asked'),
        ("more", '<span aria-hidden="true">↑</span> more harm (+1)'),
        ("unknown", '<span aria-hidden="true">?</span> unknown: not asked'),
    ]
    cells = re.findall(r'<th scope="row">Work or school</th>\s*<td>(.*?)</td>\s*<td>(.*?)<', page)
    assert cells == [("Not asked", "1 mild")]
    assert "no longer present" in page
    assert "newly has it" in page


@pytest.mark.parametrize(
    "params",
    [
        {"a": "abc", "b": "1"},
        {"a": "²", "b": "1"},
        {"a": "1"},
        {"a": "999999", "b": "999998"},
    ],
)
def test_compare_unknown_ids_are_404(
    client_for: ClientFor, therapist: User, record: Client, later: HarmAssessment, params: dict
) -> None:
    response = client_for(therapist).get(page_url("harm_compare", record), params)
    assert response.status_code == 404


def test_compare_another_clients_assessment_is_404(
    client_for: ClientFor, therapist: User, record: Client, later: HarmAssessment
) -> None:
    theirs = HarmAssessmentFactory(client=ClientFactory(therapist=therapist))
    response = client_for(therapist).get(
        page_url("harm_compare", record), {"a": theirs.pk, "b": later.pk}
    )
    assert response.status_code == 404


def test_compare_with_one_assessment_explains(
    client_for: ClientFor, therapist: User, record: Client, earlier: HarmAssessment
) -> None:
    response = client_for(therapist).get(page_url("harm_compare", record))
    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert "A comparison needs at least two harm assessments." in text(response)


def test_compare_same_twice_asks_for_two(
    client_for: ClientFor, therapist: User, record: Client, later: HarmAssessment
) -> None:
    response = client_for(therapist).get(
        page_url("harm_compare", record), {"a": later.pk, "b": later.pk}
    )
    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert "Choose two different assessments to see what changed." in text(response)


# --- Query counts ------------------------------------------------------------------------------


def _with_patterns(record: Client, count: int) -> tuple[HarmAssessment, HarmAssessment]:
    first = HarmAssessmentFactory(client=record, assessed_on=TODAY() - datetime.timedelta(days=9))
    second = HarmAssessmentFactory(client=record, assessed_on=TODAY() - datetime.timedelta(days=1))
    for assessment in (first, second):
        SubstancePatternFactory.create_batch(count, assessment=assessment)
    return first, second


@pytest.mark.parametrize("count", [1, 10])
def test_detail_queries(
    client_for: ClientFor, therapist: User, record: Client, count: int, django_assert_num_queries
) -> None:
    _first, second = _with_patterns(record, count)
    web = client_for(therapist)
    url = page_url("harm_detail", record, second)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = web.get(url)
    assert response.status_code == 200
    assert len(response.context["assessment"].patterns.all()) == count


@pytest.mark.parametrize("count", [1, 10])
def test_compare_queries(
    client_for: ClientFor, therapist: User, record: Client, count: int, django_assert_num_queries
) -> None:
    _with_patterns(record, count)
    web = client_for(therapist)
    with django_assert_num_queries(COMPARE_QUERIES):
        response = web.get(page_url("harm_compare", record))
    assert response.status_code == 200
    # Each pattern has its own name, so every one is a row of the readiness table.
    assert len(response.context["comparison"].readiness) == count * 2


# --- Pages: words, labels, strict CSP ----------------------------------------------------------


def _form_values(page: str) -> dict[str, Any]:
    """What a browser would post for the form on `page` as it is."""
    data: dict[str, Any] = {}
    fields = "//input[@name != ''] | //textarea[@name != ''] | //select[@name != '']"
    for field in parse(page).xpath(fields):
        name = field.get("name")
        if field.tag == "input":
            kind = field.get("type")
            if kind in ("checkbox", "radio"):
                if field.get("checked") is not None:
                    data.setdefault(name, []).append(field.get("value") or "on")
            elif kind != "submit":
                data[name] = field.get("value") or ""
        elif field.tag == "textarea":
            data[name] = (field.text or "").lstrip("\n")
        else:
            for option in field.xpath(".//option[@selected]"):
                data[name] = option.get("value") or ""
    return data


def _pages(web: HttpClient, record: Client, later: HarmAssessment) -> dict[str, HttpResponse]:
    return {
        "new": web.get(page_url("harm_new", record)),
        "new-refused": web.post(page_url("harm_new", record), form_data(physical_rating="9")),
        "detail": web.get(page_url("harm_detail", record, later)),
        "compare": web.get(page_url("harm_compare", record)),
    }


def test_pages_label_every_field_and_carry_nothing_inline(
    client_for: ClientFor, therapist: User, record: Client, later: HarmAssessment
) -> None:
    for name, response in _pages(client_for(therapist), record, later).items():
        assert response.status_code == 200, name
        audit = form_audit(response)
        assert audit.inline == [], name
        unlabelled = [c for c in audit.controls if c not in audit.labelled]
        assert unlabelled == [], name
    new_page = form_audit(_pages(client_for(therapist), record, later)["new"])
    # Date, 7 ratings, 7 words, 9 overdose checkboxes, 4 balance lists, 3 strengths and notes;
    # then per substance row 12 controls and 11 function checkboxes (one row carried over, two
    # blank); per named-harm row substance, part of life, words and severity (none carried, two
    # blank).
    assert len(new_page.controls) == 32 + 3 * (12 + 11) + 2 * 4


def test_pages_use_person_first_non_punitive_words(
    client_for: ClientFor, therapist: User, record: Client, later: HarmAssessment
) -> None:
    for name, response in _pages(client_for(therapist), record, later).items():
        page = text(response).lower()
        for word in ("failed", "failure", "relapse", "addict", "dirty", "clean", "non-compliant"):
            assert word not in page, (name, word)
    new_page = text(_pages(client_for(therapist), record, later)["new"])
    for phrase in (
        "Good things about using",
        "Not-so-good things about using",
        "Good things about changing",
        "Not-so-good things about changing",
        "Physical health: in the client's words",
    ):
        assert phrase in new_page


def test_clients_words_are_marked_as_theirs(
    client_for: ClientFor, therapist: User, record: Client, later: HarmAssessment
) -> None:
    page = client_for(therapist).get(page_url("harm_detail", record, later)).content.decode()
    assert '<div class="client-words">Hangovers most Sundays.</div>' in page
    assert "Decisional balance, in the client's words" in page
    balance = page.split('id="balance-h"')[1]
    assert '<ul class="client-words" aria-labelledby="balance-benefits_of_use">' in balance


# --- The chart's list of harm assessments ------------------------------------------------------


def _harm_list(record: Client, can_edit: bool) -> str:
    return render_to_string(
        "assessments/_harm_list.html",
        {
            "client": record,
            "can": ClientAccess(read=True, write=can_edit, supervise=not can_edit),
            "harm_assessments": record.harm_assessments.order_by("-assessed_on", "-id"),
        },
    )


def test_harm_list_newest_first_with_compare_and_new(
    record: Client, earlier: HarmAssessment, later: HarmAssessment
) -> None:
    newest = HarmAssessmentFactory(client=record, assessed_on=TODAY())
    page = _harm_list(record, can_edit=True)
    links = re.findall(r'href="([^"]+)"', page)
    assert links == [
        page_url("harm_new", record),
        page_url("harm_compare", record),
        page_url("harm_detail", record, newest),
        page_url("harm_detail", record, later),
        page_url("harm_detail", record, earlier),
    ]
    assert "New harm assessment" in page
    # The newest one raised no overdose-risk flag; the two before it did.
    items = re.findall(r'<li class="list-group-item.*?</li>', page, flags=re.S)
    assert ["Overdose risk" in item for item in items] == [False, True, True]


def test_harm_list_read_only_and_single(record: Client, earlier: HarmAssessment) -> None:
    page = _harm_list(record, can_edit=False)
    assert re.findall(r'href="([^"]+)"', page) == [page_url("harm_detail", record, earlier)]
    assert "New harm assessment" not in page
    assert "Compare" not in page


def test_harm_list_empty(record: Client) -> None:
    assert "No harm assessment yet." in _harm_list(record, can_edit=False)
    page = _harm_list(record, can_edit=True)
    assert re.findall(r'href="([^"]+)"', page) == [page_url("harm_new", record)]


def test_detail_links_to_a_comparison_with_the_one_before(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    earlier: HarmAssessment,
    later: HarmAssessment,
) -> None:
    web = client_for(therapist)
    compare = page_url("harm_compare", record)
    later_page = web.get(page_url("harm_detail", record, later)).content.decode()
    assert f'href="{compare}?a={earlier.pk}&amp;b={later.pk}"' in later_page
    assert response_context_previous(web, record, later) == earlier.pk
    earlier_page = web.get(page_url("harm_detail", record, earlier)).content.decode()
    assert compare not in earlier_page


def response_context_previous(web: HttpClient, record: Client, assessment: HarmAssessment) -> Any:
    return web.get(page_url("harm_detail", record, assessment)).context["previous_pk"]


def test_chart_assessments_section_lists_harm_assessments(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    record: Client,
    earlier: HarmAssessment,
    later: HarmAssessment,
) -> None:
    url = reverse("assessments:section", kwargs={"pk": record.pk})
    own = client_for(therapist).get(url).content.decode()
    read_only = client_for(supervisor).get(url).content.decode()
    for page in (own, read_only):
        assert page_url("harm_compare", record) in page
        assert page_url("harm_detail", record, later) in page
        assert page_url("harm_detail", record, earlier) in page
    assert page_url("harm_new", record) in own
    assert page_url("harm_new", record) not in read_only


def test_using_alone_with_alcohol_only_is_recorded_but_raises_no_flag(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    """DOMAIN.md: using alone is an overdose factor for opioids and other depressants, not
    for alcohol alone. The answer is kept and shown, with why it raises nothing."""
    SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.ALCOHOL)
    web = client_for(therapist)
    web.post(page_url("harm_new", record), form_data(uses_alone="on"))

    assessment = HarmAssessment.objects.get(client=record)
    assert (assessment.uses_alone, assessment.overdose_risk) == (True, False)
    assert RiskFlag.objects.filter(client=record).count() == 0
    page = parse(web.get(page_url("harm_detail", record, assessment)))
    section = page.xpath("//section[@aria-labelledby='overdose-h']")[0]
    assert section.xpath(".//span[contains(@class, 'flag-risk')]") == []
    assert " ".join(section.xpath(".//p[@data-not-counted]")[0].text_content().split()) == (
        "Recorded, but not an overdose factor with the substances this client uses (it "
        "matters with opioids and other depressants): Using alone"
    )
