"""The ideal substance use plan: edit it with the client, its versions, one version, and two
versions compared.

Covers who may open and save what (assigned therapist writes, their supervisor reads, everyone
else gets 404), that a change adds a version and leaves earlier ones byte-for-byte as they
were, that unchanged content adds none, that a comparison reports exactly the fields that
differ, refusal of bad input with nothing stored, escaping of typed HTML, pre-filling from the
latest version, harm assessment or intake, and pinned query counts.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from assessments.models import FUNCTIONS
from clients.models import Client, SubstanceUse
from goals import selectors
from goals.models import SECTION_FIELDS, ImmutableError, Plan, PlanVersion
from goals.plan_forms import ALTERNATIVE_LABELS, PlanSectionForm
from hrp.access import ClientAccess
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.assessments.factories_harm import HarmAssessmentFactory, SubstancePatternFactory
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.concurrency import run_at_once, web_for
from tests.conftest import STAFF_ROLES
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section
from tests.htmltext import form_audit, parse

ClientFor = Callable[[User | None], HttpClient]

ALL_ROLES = [*STAFF_ROLES, "anonymous"]

# 3 for any signed-in request (session, user, two-factor device), then:
HISTORY_QUERIES = 6  # client, access event, the versions with who saved them
COMPARE_QUERIES = 7  # client, the versions with who saved them, access event, the chosen two
VERSION_QUERIES = 7  # client, the version with who saved it, access event, the latest number
# client, access event, the latest version with who saved it; the client's strengths beside
# the plan (latest harm assessment's, intake's)
EDIT_QUERIES = 8

FUNCTION_KEYS = [key for key, _label in FUNCTIONS]
SECTION_KEYS = [key for key, _label in SECTION_FIELDS]


# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def record(therapist: User) -> Client:
    """A client on the assigned therapist's caseload."""
    return ClientFactory(therapist=therapist, legal_name="Robin Example", preferred_name="Robin")


@pytest.fixture
def v1(record: Client) -> PlanVersion:
    return PlanVersionFactory(
        plan=PlanFactory(client=record),
        reason="First plan with Robin",
        sections=[
            plan_section(),
            plan_section(
                name="Cannabis",
                current_pattern="Most evenings, alone",
                dose_limit="One joint",
                max_days_per_week=5,
                setting_company="At home",
                safer_use=["no_driving"],
                alternatives={"sleep": "Herbal tea and a podcast"},
                client_words="It helps me sleep.",
                clinician_notes="",
            ),
        ],
    )


@pytest.fixture
def v2(v1: PlanVersion) -> PlanVersion:
    return PlanVersionFactory(
        plan=v1.plan,
        reason="Lower weekend limit after the review",
        sections=[plan_section(dose_limit="2 pints"), v1.sections[1]],
    )


def page_url(name: str, record: Client, number: int | None = None) -> str:
    kwargs: dict[str, Any] = {"pk": record.pk}
    if name == "plan_version":
        kwargs["number"] = number if number is not None else 1
    return reverse(f"goals:{name}", kwargs=kwargs)


def text(response: HttpResponse) -> str:
    """The page as a person reads it: HTML entities decoded."""
    return html.unescape(response.content.decode())


def section_data(section: dict[str, Any]) -> dict[str, Any]:
    """A section as the edit page posts it."""
    numbers = ("max_days_per_week", "max_amount_per_day")
    data = {k: v for k, v in section.items() if k not in ("alternatives", *numbers)}
    for key in numbers:
        value = section.get(key)
        data[key] = "" if value is None else str(value)
    for key, value in (section.get("alternatives") or {}).items():
        data[f"alt_{key}"] = value
    return data


def form_data(
    record: Client,
    sections: list[dict[str, Any]],
    reason: str = "Changed with Robin today",
    based_on: int | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A complete POST for the edit page: `sections` as rows (as `section_data` builds them)
    and one blank row after them, as the page has."""
    if based_on is None:
        latest = selectors.latest_version(record)
        based_on = latest.number if latest else 0
    rows = [*sections, {}]
    data: dict[str, Any] = {
        "reason": reason,
        "based_on": str(based_on),
        "sections-TOTAL_FORMS": str(len(rows)),
        "sections-INITIAL_FORMS": "0",
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"sections-{index}-{key}"] = value
    data.update(overrides)
    return data


def raw_sections(version: PlanVersion) -> str:
    """The version's sections as the database holds them, not as the ORM decodes them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CAST(sections AS TEXT) FROM goals_planversion WHERE id = %s", [version.pk]
        )
        return cursor.fetchone()[0]


def stored_state(record: Client) -> dict[str, Any]:
    """Every plan row of the client, as plain values (sections as stored and as JSON)."""
    versions = PlanVersion.objects.filter(plan__client=record).order_by("number")
    return {
        "plans": list(Plan.objects.filter(client=record).values("id", "created_at")),
        "versions": [
            (
                v.number,
                v.reason,
                v.created_by_id,
                v.created_at,
                json.dumps(v.sections),
                raw_sections(v),
            )
            for v in versions
        ],
    }


def change_events() -> int:
    return AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count()


def message_texts(response: HttpResponse) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def form_values(page: str) -> dict[str, Any]:
    """What a browser would post for the form on `page` as it is."""
    data: dict[str, Any] = {}
    for field in parse(page).xpath("//input[@name != ''] | //textarea[@name != '']"):
        name = field.get("name")
        if field.tag == "textarea":
            data[name] = (field.text or "").lstrip("\n")
            continue
        kind = field.get("type")
        if kind == "checkbox" or (kind == "hidden" and name.endswith("-functions")):
            if kind == "hidden" or field.get("checked") is not None:
                data.setdefault(name, []).append(field.get("value") or "on")
        elif kind != "submit":
            data[name] = field.get("value") or ""
    return data


# --- Access matrix -----------------------------------------------------------------------------

EXPECTED = {
    "plan_edit": {"therapist": 200, "supervisor": 403},
    "plan_history": {"therapist": 200, "supervisor": 200},
    "plan_version": {"therapist": 200, "supervisor": 200},
    "plan_compare": {"therapist": 200, "supervisor": 200},
    "plan_review": {"therapist": 200, "supervisor": 403},
}
ACCESS_WHAT = {
    "plan_review": "plan_review",
    "plan_edit": "plan",
    "plan_history": "plan_history",
    "plan_version": "plan_version",
    "plan_compare": "plan_compare",
}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_get_access(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    v2: PlanVersion,
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    url = page_url(name, record)
    response = client_for(user).get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    else:
        assert response.status_code == EXPECTED[name].get(role, 404)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_post_edit_access(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    v2: PlanVersion,
    role: str,
) -> None:
    web = client_for(request.getfixturevalue(role))
    before = stored_state(record)
    events_before = AuditEvent.objects.count()
    url = page_url("plan_edit", record)
    data = form_data(record, [section_data(plan_section(dose_limit="1 pint"))])
    response = web.post(url, data)
    if role == "therapist":
        assert response.status_code == 302
        assert [v[0] for v in stored_state(record)["versions"]] == [1, 2, 3]
        return
    expected = {"supervisor": 403, "anonymous": 302}.get(role, 404)
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert stored_state(record) == before
    # Refused before anything is read: not even an access event.
    assert AuditEvent.objects.count() == events_before


def test_other_clients_version_is_404_even_for_its_therapist(
    client_for: ClientFor, therapist: User, record: Client, v1: PlanVersion
) -> None:
    # My other client has versions 1-3; this client only version 1.
    elsewhere = PlanFactory(client=ClientFactory(therapist=therapist))
    PlanVersionFactory.create_batch(3, plan=elsewhere)
    web = client_for(therapist)
    assert web.get(page_url("plan_version", record, 1)).status_code == 200
    for number in (2, 3, 999):
        assert web.get(page_url("plan_version", record, number)).status_code == 404
    response = web.get(page_url("plan_compare", record), {"a": "1", "b": "3"})
    assert response.status_code == 404


def test_pages_of_a_client_without_a_plan(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    web = client_for(therapist)
    assert web.get(page_url("plan_version", record, 1)).status_code == 404
    history = web.get(page_url("plan_history", record))
    compare = web.get(page_url("plan_compare", record))
    assert (history.status_code, compare.status_code) == (200, 200)
    assert "No plan yet — build it with the client." in text(history)
    assert "No plan yet — build it with the client." in text(compare)
    assert compare.context["diffs"] is None


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_page_records_an_access_event(
    client_for: ClientFor, therapist: User, record: Client, v2: PlanVersion, name: str
) -> None:
    web = client_for(therapist)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    web.get(page_url(name, record))
    events = list(
        AuditEvent.objects.filter(id__gt=last).values_list(
            "category", "action", "actor_id", "chart_number", "object_id"
        )
    )
    assert events == [
        (
            AuditEvent.Category.ACCESS,
            f"client.view.{ACCESS_WHAT[name]}",
            therapist.pk,
            record.chart_number,
            str(record.pk),
        )
    ]


# --- Saving ------------------------------------------------------------------------------------


def test_first_save_stores_exactly_what_was_entered(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    rows = [
        {
            "name": "  Alcohol ",
            "current_pattern": "6 pints, Fridays and Saturdays",
            "dose_limit": "3 pints",
            "max_days_per_week": "2",
            "route": "",
            "setting_company": "With friends, never alone",
            "safer_use": ["no_driving", "food_water"],
            "alt_social": "Climbing club",
            "alt_managing_feelings": "  Call my sister  ",
            "alt_sleep": "   ",
            "client_words": "I want Sundays back.",
            "clinician_notes": "Client chose the limit.",
        },
        {"name": "Gambling", "max_days_per_week": "0"},
    ]
    response = client_for(therapist).post(
        page_url("plan_edit", record), form_data(record, rows, reason="  First plan  ")
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("goals:section", kwargs={"pk": record.pk})
    assert message_texts(response) == [("success", "Plan saved as version 1.")]
    version = PlanVersion.objects.get(plan__client=record)
    assert (version.number, version.reason, version.created_by) == (1, "First plan", therapist)
    assert version.sections == [
        {
            "name": "Alcohol",
            "current_pattern": "6 pints, Fridays and Saturdays",
            "dose_limit": "3 pints",
            "max_days_per_week": 2,
            "max_amount_per_day": None,
            "amount_unit": "",
            "route": "",
            "setting_company": "With friends, never alone",
            "safer_use": ["food_water", "no_driving"],
            "alternatives": {"managing_feelings": "Call my sister", "social": "Climbing club"},
            "client_words": "I want Sundays back.",
            "clinician_notes": "Client chose the limit.",
        },
        {
            "name": "Gambling",
            "current_pattern": "",
            "dose_limit": "",
            "max_days_per_week": 0,
            "max_amount_per_day": None,
            "amount_unit": "",
            "route": "",
            "setting_company": "",
            "safer_use": [],
            "alternatives": {},
            "client_words": "",
            "clinician_notes": "",
        },
    ]
    change = AuditEvent.objects.get(category=AuditEvent.Category.CHANGE)
    assert (change.action, change.actor_id, change.chart_number, change.changes) == (
        "plan.version",
        therapist.pk,
        record.chart_number,
        # No review date typed: four weeks after saving.
        {
            "version": [None, 1],
            "review_date": [None, str(timezone.localdate() + datetime.timedelta(weeks=4))],
        },
    )


def test_a_change_adds_a_version_and_leaves_the_earlier_one_byte_for_byte(
    client_for: ClientFor, therapist: User, record: Client, v1: PlanVersion
) -> None:
    json_before = json.dumps(PlanVersion.objects.get(pk=v1.pk).sections)
    raw_before = raw_sections(v1)
    row_before = PlanVersion.objects.filter(pk=v1.pk).values().get()
    sections = [section_data(s) for s in v1.sections]
    sections[0]["dose_limit"] = "2 pints"
    sections[1]["safer_use"] = ["no_driving", "spacing_doses"]

    response = client_for(therapist).post(
        page_url("plan_edit", record), form_data(record, sections, reason="Lower limit")
    )

    assert response.status_code == 302
    assert message_texts(response) == [("success", "Plan saved as version 2.")]
    versions = list(PlanVersion.objects.filter(plan__client=record).order_by("number"))
    assert [(v.number, v.reason) for v in versions] == [
        (1, "First plan with Robin"),
        (2, "Lower limit"),
    ]
    assert json.dumps(versions[0].sections) == json_before
    assert raw_sections(v1) == raw_before
    assert PlanVersion.objects.filter(pk=v1.pk).values().get() == row_before
    assert [s["dose_limit"] for s in versions[1].sections] == ["2 pints", "One joint"]
    assert versions[1].sections[1]["safer_use"] == ["no_driving", "spacing_doses"]


def test_plan_versions_are_immutable(v1: PlanVersion) -> None:
    raw_before = raw_sections(v1)
    v1.sections[0]["dose_limit"] = "10 pints"
    v1.reason = "Rewritten"
    with pytest.raises(ImmutableError):
        v1.save()
    with pytest.raises(ImmutableError):
        PlanVersion.objects.get(pk=v1.pk).save(update_fields=["reason"])
    with pytest.raises(ImmutableError):
        v1.delete()
    assert raw_sections(v1) == raw_before
    assert PlanVersion.objects.get(pk=v1.pk).reason == "First plan with Robin"


def test_saving_the_page_unchanged_adds_no_version(
    client_for: ClientFor, therapist: User, record: Client, v2: PlanVersion
) -> None:
    web = client_for(therapist)
    before = stored_state(record)
    events_before = change_events()
    data = form_values(web.get(page_url("plan_edit", record)).content.decode())
    data["reason"] = "Went through it again"

    response = web.post(page_url("plan_edit", record), data)

    assert response.status_code == 302
    assert response["Location"] == page_url("plan_edit", record)
    assert message_texts(response) == [("info", "No changes: the plan stays at version 2.")]
    assert stored_state(record) == before
    assert change_events() == events_before
    assert "No changes: the plan stays at version 2." in text(web.get(response["Location"]))


def test_only_whitespace_and_order_of_ticks_is_no_change(
    client_for: ClientFor, therapist: User, record: Client, v1: PlanVersion
) -> None:
    sections = [section_data(s) for s in v1.sections]
    sections[0]["safer_use"] = list(reversed(sections[0]["safer_use"]))
    sections[0]["dose_limit"] = "  3 pints  "
    sections[1]["alt_pain"] = "   "
    response = client_for(therapist).post(
        page_url("plan_edit", record), form_data(record, sections)
    )
    assert message_texts(response) == [("info", "No changes: the plan stays at version 1.")]
    assert PlanVersion.objects.filter(plan__client=record).count() == 1


def test_removing_a_section_is_a_change_and_blank_rows_are_ignored(
    client_for: ClientFor, therapist: User, record: Client, v1: PlanVersion
) -> None:
    data = form_data(record, [{}, section_data(v1.sections[1]), {"safer_use": []}])
    response = client_for(therapist).post(page_url("plan_edit", record), data)
    assert response.status_code == 302
    latest = selectors.latest_version(record)
    assert latest is not None
    assert (latest.number, [s["name"] for s in latest.sections]) == (2, ["Cannabis"])


def test_a_newer_version_saved_meanwhile_is_not_overwritten_silently(
    client_for: ClientFor, therapist: User, record: Client, v1: PlanVersion
) -> None:
    web = client_for(therapist)
    data = form_values(web.get(page_url("plan_edit", record)).content.decode())
    PlanVersionFactory(plan=v1.plan, sections=[plan_section(dose_limit="2 pints")])
    data["sections-0-clinician_notes"] = "Typed while the other tab saved"
    data["reason"] = "Notes"
    before = stored_state(record)

    response = web.post(page_url("plan_edit", record), data)

    assert response.status_code == 409
    assert stored_state(record) == before
    message = (
        "The plan was saved as version 2 while this page was open. What you typed is still "
        "here: check version 2 in the history, then save again to replace it with this."
    )
    assert response.context["reason_form"].non_field_errors() == [message]
    page = text(response)
    assert message in page
    assert "Typed while the other tab saved</textarea>" in page
    # Saving again is a deliberate choice, and goes through.
    again = web.post(page_url("plan_edit", record), form_values(response.content.decode()))
    assert again.status_code == 302
    assert selectors.latest_version(record).number == 3  # type: ignore[union-attr]


# --- Bad input ---------------------------------------------------------------------------------

LONG = "x" * 10_001
LONG_MESSAGE = "Please keep this under 10,000 characters (it has 10001)."
DAYS_MESSAGE = "Most use days a week is a whole number from 0 to 7, or leave it empty."

BAD_INPUT = [
    pytest.param({"sections-0-max_days_per_week": "8"}, "sections-0-max_days_per_week",
                 DAYS_MESSAGE, id="days-8"),
    pytest.param({"sections-0-max_days_per_week": "-1"}, "sections-0-max_days_per_week",
                 DAYS_MESSAGE, id="days-negative"),
    pytest.param({"sections-0-max_days_per_week": "two"}, "sections-0-max_days_per_week",
                 DAYS_MESSAGE, id="days-not-a-number"),
    pytest.param({"sections-0-max_days_per_week": "2.5"}, "sections-0-max_days_per_week",
                 DAYS_MESSAGE, id="days-fraction"),
    pytest.param({"reason": ""}, "reason", "Say briefly what changed and why.",
                 id="reason-missing"),
    pytest.param({"reason": "   "}, "reason", "Say briefly what changed and why.",
                 id="reason-blank"),
    pytest.param({"reason": "r" * 256}, "reason",
                 "Keep this to 255 characters or fewer (it has 256).", id="reason-long"),
    pytest.param({"sections-0-client_words": LONG}, "sections-0-client_words", LONG_MESSAGE,
                 id="long-client-words"),
    pytest.param({"sections-0-clinician_notes": LONG}, "sections-0-clinician_notes",
                 LONG_MESSAGE, id="long-clinician-notes"),
    pytest.param({"sections-0-current_pattern": LONG}, "sections-0-current_pattern",
                 LONG_MESSAGE, id="long-current-pattern"),
    pytest.param({"sections-0-alt_managing_feelings": LONG},
                 "sections-0-alt_managing_feelings", LONG_MESSAGE, id="long-alternative"),
    pytest.param({"sections-0-name": "n" * 201}, "sections-0-name",
                 "Keep the name to 200 characters or fewer (it has 201).", id="long-name"),
    pytest.param({"sections-0-name": "  "}, "sections-0-name",
                 "Name the substance or behaviour for this section (or clear it).",
                 id="section-without-name"),
    pytest.param({"sections-1-name": "ALCOHOL"}, "sections-1-name",
                 "“ALCOHOL” already has a section above; put it all in one section.",
                 id="same-name-twice"),
    pytest.param({"sections-0-safer_use": ["naloxone", "praying"]}, "sections-0-safer_use",
                 "Choose from the practices listed.", id="unknown-practice"),
]  # fmt: skip


@pytest.mark.parametrize(("override", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    v1: PlanVersion,
    override: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = stored_state(record)
    events_before = change_events()
    first = section_data(plan_section(dose_limit="Typed: 2 pints", max_days_per_week=1))
    second = {
        "name": "Cannabis",
        "dose_limit": "Half a joint",
        "client_words": "Typed before the mistake",
    }
    data = form_data(record, [first, second])
    data.update(override)

    response = client_for(therapist).post(page_url("plan_edit", record), data)

    assert response.status_code == 200
    assert stored_state(record) == before
    assert change_events() == events_before
    formset, reason_form = response.context["formset"], response.context["reason_form"]
    errors = {
        **reason_form.errors,
        **{f"sections-{i}-{k}": v for i, e in enumerate(formset.errors) for k, v in e.items()},
    }
    assert errors == {field: [message]}
    page = text(response)
    assert message in page
    assert "Nothing was saved yet. Please look at the notes marked below." in page
    # What was typed is still there.
    assert "\nTyped before the mistake</textarea>" in page
    assert 'name="sections-0-dose_limit" value="Typed: 2 pints"' in page
    assert 'name="sections-1-dose_limit" value="Half a joint"' in page
    typed = data.get(field)
    if isinstance(typed, str) and typed.strip() and len(typed) < 300:
        assert f'name="{field}" value="{typed}"' in page or f">\n{typed}</textarea>" in page


def test_a_first_plan_needs_a_section(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(page_url("plan_edit", record), form_data(record, []))
    assert response.status_code == 200
    message = "Add at least one substance or behaviour to start the plan."
    assert response.context["formset"].non_form_errors() == [message]
    assert message in text(response)
    assert not Plan.objects.filter(client=record).exists()


def test_at_most_twenty_sections(client_for: ClientFor, therapist: User, record: Client) -> None:
    rows = [{"name": f"Substance {n}"} for n in range(21)]
    response = client_for(therapist).post(page_url("plan_edit", record), form_data(record, rows))
    assert response.status_code == 200
    message = "A plan holds at most 20 substances or behaviours."
    assert response.context["formset"].non_form_errors() == [message]
    assert message in text(response)
    assert not Plan.objects.filter(client=record).exists()


def test_refused_form_keeps_every_typed_value(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    row = {
        "name": "Cannabis",
        "current_pattern": "Most evenings",
        "dose_limit": "One joint",
        "max_days_per_week": "9",
        "route": "Vaporiser",
        "setting_company": "With my partner",
        "safer_use": ["no_driving", "never_alone"],
        "alt_pain": "Physio exercises",
        "client_words": "I sleep badly without it.",
        "clinician_notes": "Explore the pain.",
        "functions": ["sleep", "pain"],
    }
    response = client_for(therapist).post(
        page_url("plan_edit", record), form_data(record, [row], reason="Typed reason")
    )
    assert response.status_code == 200
    form = response.context["formset"].forms[0]
    assert {name: form[name].value() for name in row} == row
    assert response.context["reason_form"]["reason"].value() == "Typed reason"
    page = response.content.decode()
    assert re.search(r'name="sections-0-safer_use" value="never_alone"[^>]*checked', page)
    assert not re.search(r'name="sections-0-safer_use" value="naloxone"[^>]*checked', page)
    assert 'name="sections-0-alt_pain" value="Physio exercises"' in page
    assert 'name="sections-0-max_days_per_week" value="9"' in page
    assert '<input type="hidden" name="sections-0-functions" value="sleep"' in page
    # The alternatives for what it does for them come first; the rest fold away.
    first, more = form.alternative_fields()
    assert [f.name for f in first] == ["alt_sleep", "alt_pain"]
    assert len(more) == len(FUNCTIONS) - 2


def test_days_accept_exactly_0_to_7() -> None:
    for value in range(-3, 12):
        form = PlanSectionForm({"name": "Alcohol", "max_days_per_week": str(value)})
        if 0 <= value <= 7:
            assert form.is_valid(), form.errors
            assert form.cleaned_data["max_days_per_week"] == value
        else:
            assert form.errors == {"max_days_per_week": [DAYS_MESSAGE]}


def test_typed_html_is_escaped(
    client_for: ClientFor, therapist: User, record: Client, v1: PlanVersion
) -> None:
    payload = '<script>alert("x")</script><b>bold</b>'
    web = client_for(therapist)
    row = section_data(
        plan_section(
            name=payload,
            dose_limit=payload,
            alternatives={"social": payload},
            client_words=payload,
            clinician_notes=payload,
        )
    )
    assert web.post(page_url("plan_edit", record), form_data(record, [row], reason=payload))
    assert selectors.latest_version(record).number == 2  # type: ignore[union-attr]
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"
    pages = {
        "edit": web.get(page_url("plan_edit", record)),
        "refused": web.post(page_url("plan_edit", record), form_data(record, [row], reason="")),
        "version": web.get(page_url("plan_version", record, 2)),
        "history": web.get(page_url("plan_history", record)),
        "compare": web.get(page_url("plan_compare", record)),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        content = response.content.decode()
        assert '<script>alert("x")' not in content, name
        assert "<b>bold</b>" not in content, name
        assert escaped in content, name
    # Name, dose, alternative, the client's words, the notes and the reason.
    assert pages["version"].content.decode().count(escaped) == 6
    summary = _summary(record, can_edit=True)
    assert "<b>bold</b>" not in summary
    assert summary.count(escaped) == 5  # name, dose, alternative, words, notes


# --- Compare -----------------------------------------------------------------------------------


def _compare_pair(record: Client) -> tuple[PlanVersion, PlanVersion]:
    plan = PlanFactory(client=record)
    cocaine = plan_section(name="Cocaine", dose_limit="Half a gram", safer_use=["test_strips"])
    nicotine = plan_section(name="Nicotine", current_pattern="20 a day", dose_limit="")
    earlier = PlanVersionFactory(
        plan=plan,
        sections=[
            plan_section(),
            plan_section(name="Cannabis", max_days_per_week=5, alternatives={"sleep": "Tea"}),
            cocaine,
            nicotine,
        ],
    )
    later = PlanVersionFactory(
        plan=plan,
        sections=[
            plan_section(
                dose_limit="2 pints",
                safer_use=["food_water", "no_driving", "spacing_doses"],
                client_words="Sundays are for my sister.",
            ),
            plan_section(
                name="Cannabis",
                max_days_per_week=None,
                alternatives={"sleep": "Tea", "managing_feelings": "Call my sister"},
            ),
            cocaine,
            plan_section(
                name="Gambling",
                current_pattern="Online slots at night",
                dose_limit="£20 a week",
                max_days_per_week=None,
                setting_company="",
                safer_use=[],
                alternatives={},
                client_words="",
                clinician_notes="Client raised it today.",
            ),
        ],
    )
    return earlier, later


def test_compare_reports_exactly_the_fields_that_differ(record: Client) -> None:
    earlier, later = _compare_pair(record)
    diffs = selectors.compare_versions(earlier, later)
    nicotine_filled = {k for k, v in earlier.sections[3].items() if v not in ("", [], {}, None)}
    assert {d.name: (d.state, set(d.changed_fields)) for d in diffs} == {
        "Alcohol": ("changed", {"dose_limit", "safer_use", "client_words"}),
        "Cannabis": ("changed", {"max_days_per_week", "alternatives"}),
        "Cocaine": ("same", set()),
        "Nicotine": ("removed", nicotine_filled),
        "Gambling": ("added", {"name", "current_pattern", "dose_limit", "clinician_notes"}),
    }
    assert nicotine_filled == {
        "name",
        "current_pattern",
        "max_days_per_week",
        "setting_company",
        "safer_use",
        "alternatives",
        "client_words",
        "clinician_notes",
    }


def test_compare_page_marks_each_difference_in_words(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    earlier, later = _compare_pair(record)
    response = client_for(therapist).get(page_url("plan_compare", record))
    assert response.status_code == 200
    assert (response.context["earlier"], response.context["later"]) == (earlier, later)
    page = response.content.decode()
    states = {}
    for article in page.split('<article class="border rounded p-3 mb-3 plan-compare-section')[1:]:
        name = re.search(r'<h2 class="h5" id="compare-section-\d+">(.*?)\n', article)
        assert name is not None
        rows = re.findall(
            r'<tr class="plan-diff-(\w+)" data-field="(\w+)">.*?<td class="plan-change">(.*?)</td>',
            article,
            flags=re.S,
        )
        heading = re.search(r'<span class="plan-state plan-state-(\w+)">(.*?)</span>', article)
        assert heading is not None
        states[name.group(1)] = (
            heading.groups(),
            {field: (state, word) for state, field, word in rows if state != "same"},
        )
    assert states == {
        "Alcohol": (
            ("changed", "3 fields changed"),
            {
                "dose_limit": ("changed", "changed"),
                "safer_use": ("changed", "changed"),
                "client_words": ("changed", "changed"),
            },
        ),
        "Cannabis": (
            ("changed", "2 fields changed"),
            {
                "max_days_per_week": ("removed", "removed"),
                "alternatives": ("changed", "changed"),
            },
        ),
        "Cocaine": (("same", "no changes"), {}),
        "Nicotine": (
            ("removed", "removed in version 2"),
            {
                field: ("removed", "removed")
                for field in [
                    "current_pattern",
                    "max_days_per_week",
                    "setting_company",
                    "safer_use",
                    "alternatives",
                    "client_words",
                    "clinician_notes",
                ]
            },
        ),
        "Gambling": (
            ("added", "added in version 2"),
            {
                field: ("added", "added")
                for field in ["current_pattern", "dose_limit", "clinician_notes"]
            },
        ),
    }
    # Side by side, with the labels people read.
    readable = text(response)
    assert "Food and water, No driving, Spacing doses" in readable
    assert "Social connection: Climbing club on Thursdays" in readable
    assert '<link rel="stylesheet" href="/static/goals/plan.css">' in page


def test_compare_chosen_pair_in_either_order_and_a_respelt_name(
    client_for: ClientFor, therapist: User, record: Client, v1: PlanVersion, v2: PlanVersion
) -> None:
    v3 = PlanVersionFactory(
        plan=v1.plan, sections=[plan_section(name="alcohol", dose_limit="2 pints")]
    )
    web = client_for(therapist)
    for a, b in ((v1, v3), (v3, v1)):
        response = web.get(page_url("plan_compare", record), {"a": a.number, "b": b.number})
        assert (response.context["earlier"], response.context["later"]) == (v1, v3)
        diffs = response.context["diffs"]
        assert [(d.diff.name, d.diff.state, d.changed_count) for d in diffs] == [
            ("alcohol", "changed", 2),
            ("Cannabis", "removed", 7),  # every field it had but its name
        ]
        assert [(r.diff.key, r.state) for r in diffs[0].rows if r.state != "same"] == [
            ("name", "changed"),
            ("dose_limit", "changed"),
        ]


@pytest.mark.parametrize(
    "params",
    [{"a": "abc", "b": "1"}, {"a": "²", "b": "1"}, {"a": "1"}, {"a": "1", "b": "9"}],
)
def test_compare_unknown_numbers_are_404(
    client_for: ClientFor, therapist: User, record: Client, v2: PlanVersion, params: dict
) -> None:
    response = client_for(therapist).get(page_url("plan_compare", record), params)
    assert response.status_code == 404


def test_compare_same_version_twice_or_only_one_version(
    client_for: ClientFor, therapist: User, record: Client, v1: PlanVersion
) -> None:
    web = client_for(therapist)
    only = web.get(page_url("plan_compare", record))
    assert (only.status_code, only.context["diffs"]) == (200, None)
    assert "The plan has one version so far." in text(only)
    PlanVersionFactory(plan=v1.plan)
    same = web.get(page_url("plan_compare", record), {"a": "2", "b": "2"})
    assert (same.status_code, same.context["diffs"]) == (200, None)
    assert "Choose two different versions to see what changed." in text(same)


# --- History and one version -------------------------------------------------------------------


def test_history_lists_versions_newest_first_with_links_and_compare_form(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    record: Client,
    v1: PlanVersion,
    v2: PlanVersion,
) -> None:
    response = client_for(supervisor).get(page_url("plan_history", record))
    page = response.content.decode()
    rows = re.findall(
        r'<th scope="row"><a href="([^"]+)">Version (\d+)</a>.*?</th>\s*<td>(.*?)</td>\s*'
        r'<td>(.*?)</td>\s*<td class="plan-reason">(.*?)</td>',
        page,
        flags=re.S,
    )
    assert [(url, n, who, reason) for url, n, _date, who, reason in rows] == [
        (page_url("plan_version", record, 2), "2", "Tess Therapist",
         "Lower weekend limit after the review"),
        (page_url("plan_version", record, 1), "1", "Tess Therapist", "First plan with Robin"),
    ]  # fmt: skip
    form = page.split('<form method="get" action="')[1].split("</form>")[0]
    assert form.startswith(page_url("plan_compare", record))
    assert re.findall(r'<select class="form-select" id="compare-(\w)" name="(\w)">', form) == [
        ("a", "a"),
        ("b", "b"),
    ]
    assert re.findall(r'<option value="(\d+)" selected>', form) == ["1", "2"]
    # Read-only for the supervisor: no edit button.
    assert page_url("plan_edit", record) not in page
    assert (
        page_url("plan_edit", record)
        in client_for(therapist).get(page_url("plan_history", record)).content.decode()
    )


def test_version_page_is_read_only_and_shows_whose_words(
    client_for: ClientFor, supervisor: User, record: Client, v1: PlanVersion, v2: PlanVersion
) -> None:
    response = client_for(supervisor).get(page_url("plan_version", record, 1))
    page = response.content.decode()
    readable = text(response)
    assert response.context["version"] == v1
    assert "Read-only: an earlier version, kept as it was. The current plan is version 2." in (
        readable
    )
    assert "<form" not in page.split('<main id="main"')[1]
    assert page_url("plan_edit", record) not in page
    assert f"{page_url('plan_compare', record)}?a=1&amp;b=2" in page
    assert '<dd class="col-sm-9 client-words">I want Sundays back.</dd>' in page
    assert '<dd class="col-sm-9 clinician-notes">Client chose the limit.</dd>' in page
    assert '<dt class="col-sm-3">In the client\'s words</dt>' in readable
    assert '<dt class="col-sm-3">Clinician\'s notes</dt>' in readable
    cannabis = readable.split('id="plan-section-2">Cannabis</h2>')[1]
    assert '<li><span class="fw-semibold">Sleep:</span> Herbal tea and a podcast</li>' in cannabis
    assert "<li>No driving</li>" in cannabis


# --- Pre-filling -------------------------------------------------------------------------------


def test_first_plan_starts_from_the_latest_harm_assessment(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    SubstanceUseFactory(client=record)  # the assessment comes first
    old = HarmAssessmentFactory(
        client=record, assessed_on=timezone.localdate() - datetime.timedelta(days=90)
    )
    SubstancePatternFactory(assessment=old, substance_name="Old")
    assessment = HarmAssessmentFactory(client=record)
    SubstancePatternFactory(
        assessment=assessment,
        substance_name="Alcohol",
        dose="6 pints",
        frequency="Fridays and Saturdays",
        route="",
        setting="the pub",
        with_whom="work friends",
        functions=["social", "managing_feelings"],
    )
    SubstancePatternFactory(
        assessment=assessment,
        substance_name="Cannabis",
        dose="",
        frequency="most nights",
        route="smoked",
        setting="",
        with_whom="alone",
        functions=["sleep"],
    )
    response = client_for(therapist).get(page_url("plan_edit", record))
    formset = response.context["formset"]
    assert formset.initial == [
        {
            "name": "Alcohol",
            "current_pattern": "Dose or amount: 6 pints; how often: Fridays and Saturdays; "
            "setting: the pub; with whom: work friends",
            # One empty alternative per function, in the order of the list of functions.
            "alt_managing_feelings": "",
            "alt_social": "",
            "functions": ["managing_feelings", "social"],
        },
        {
            "name": "Cannabis",
            "current_pattern": "How often: most nights; route: smoked; with whom: alone",
            "alt_sleep": "",
            "functions": ["sleep"],
        },
    ]
    assert len(formset.forms) == 3  # and one blank row
    first, _more = formset.forms[0].alternative_fields()
    assert [str(f.label) for f in first] == [
        "Other ways to manage feelings",
        "Other ways to connect with people",
    ]
    page = text(response)
    assert "The current patterns below come from the harm assessment of" in page
    assert "Other ways to manage feelings" in page


def test_first_plan_without_assessment_starts_from_the_intake(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    SubstanceUseFactory(client=record)
    SubstanceUseFactory(
        client=record,
        substance=SubstanceUse.Substance.OTHER,
        substance_other="Kratom",
        amount="2 teaspoons",
        frequency="daily",
        route="",
        setting="",
    )
    response = client_for(therapist).get(page_url("plan_edit", record))
    assert response.context["formset"].initial == [
        {
            "name": "Alcohol",
            "current_pattern": "Amount: 4-5 drinks; how often: weekends; route: oral; "
            "setting: bars with friends",
        },
        {"name": "Kratom", "current_pattern": "Amount: 2 teaspoons; how often: daily"},
    ]
    assert "The substances below come from the intake." in text(response)


def test_a_plan_with_versions_starts_from_the_latest(
    client_for: ClientFor, therapist: User, record: Client, v2: PlanVersion
) -> None:
    SubstancePatternFactory(assessment=HarmAssessmentFactory(client=record))
    response = client_for(therapist).get(page_url("plan_edit", record))
    initial = response.context["formset"].initial
    assert [(row["name"], row["dose_limit"]) for row in initial] == [
        ("Alcohol", "2 pints"),
        ("Cannabis", "One joint"),
    ]
    assert initial[0] == {
        "name": "Alcohol",
        "current_pattern": "6 pints on Fridays and Saturdays at the pub",
        "dose_limit": "2 pints",
        "max_days_per_week": 2,
        "max_amount_per_day": None,
        "amount_unit": "",
        "route": "",
        "setting_company": "With friends, never alone",
        "safer_use": ["food_water", "no_driving"],
        "alt_social": "Climbing club on Thursdays",
        "client_words": "I want Sundays back.",
        "clinician_notes": "Client chose the limit.",
        "functions": ["social"],
    }
    assert response.context["reason_form"]["based_on"].value() == 2
    assert "This is version 2 of the plan." in text(response)


# --- The chart's plan summary ------------------------------------------------------------------


def _summary(record: Client, *, can_edit: bool) -> str:
    """The summary as the chart's Plan section includes it, with that view's context."""
    version = selectors.latest_version(record)
    sections = [
        [(label, selectors.display_value(key, s.get(key))) for key, label in SECTION_FIELDS]
        for s in (version.sections if version else [])
    ]
    return render_to_string(
        "goals/plan_summary.html",
        {
            "client": record,
            "version": version,
            "sections": sections,
            "can": ClientAccess(read=True, write=can_edit, supervise=not can_edit),
        },
    )


def test_summary_without_a_plan_invites_to_start_one(record: Client) -> None:
    for can_edit in (True, False):
        page = _summary(record, can_edit=can_edit)
        assert "No plan yet — build it with the client." in page
        links = re.findall(r'<a class="btn btn-primary" href="([^"]+)">Start the plan</a>', page)
        assert links == ([page_url("plan_edit", record)] if can_edit else [])


def test_summary_shows_the_current_version_and_whose_words(
    record: Client, v1: PlanVersion, v2: PlanVersion
) -> None:
    page = html.unescape(_summary(record, can_edit=True))
    assert re.findall(r'href="([^"]+)">(Edit plan|History)</a>', page) == [
        (page_url("plan_edit", record), "Edit plan"),
        (page_url("plan_history", record), "History"),
    ]
    assert re.findall(r'<h3 class="h6" id="plan-summary-\d">(.*?)</h3>', page) == [
        "Alcohol",
        "Cannabis",
    ]
    assert '<dd class="col-sm-8">2 pints</dd>' in page
    assert '<dd class="col-sm-8 client-words">I want Sundays back.</dd>' in page
    assert (
        '<dt class="col-sm-4">Clinician\'s notes</dt>\n    <dd class="col-sm-8 border-start '
        'border-2 ps-2 text-body-secondary">Client chose the limit.</dd>'
    ) in page
    read_only = _summary(record, can_edit=False)
    assert "Edit plan" not in read_only
    assert page_url("plan_history", record) in read_only


def _chart_tabs(page: str) -> list[str]:
    nav = page.split('aria-label="Chart sections"')[1].split("</nav>")[0]
    return re.findall(
        r'<a class="(?:nav-link|dropdown-item)[^"]*" [^>]*href="[^"]+">(.*?)</a>', nav
    )


def test_chart_plan_section_shows_the_summary_under_the_chart_tabs(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    url = reverse("goals:section", kwargs={"pk": record.pk})
    empty = client_for(therapist).get(url)
    assert empty.status_code == 200
    assert "No plan yet — build it with the client." in text(empty)
    assert f'href="{page_url("plan_edit", record)}">Start the plan</a>' in text(empty)
    tabs = _chart_tabs(empty.content.decode())
    # The tab row (primary tabs) first, then the "More" menu.
    assert tabs[:8] == [
        "Overview",
        "Risk",
        "Assessments",
        "Plan and goals",
        "Safety",
        "Sessions",
        "Intake",
        "Medical evaluation",
    ]

    PlanVersionFactory(plan=PlanFactory(client=record))
    for user, can_edit in ((therapist, True), (supervisor, False)):
        response = client_for(user).get(url)
        assert response.status_code == 200
        page = text(response)
        # The accounting of disclosures is the assigned therapist's tab only.
        expected_tabs = tabs if can_edit else [t for t in tabs if t != "Who accessed this record"]
        assert _chart_tabs(response.content.decode()) == expected_tabs
        assert '<h3 class="h6" id="plan-summary-1">Alcohol</h3>' in page
        assert (f'href="{page_url("plan_edit", record)}">Edit plan</a>' in page) is can_edit
        assert f'href="{page_url("plan_history", record)}">History</a>' in page


# --- Query counts ------------------------------------------------------------------------------


def _versions(record: Client, count: int, sections: int = 2) -> None:
    plan = PlanFactory(client=record)
    for index in range(count):
        PlanVersionFactory(
            plan=plan,
            sections=[
                plan_section(name=f"Substance {n}", dose_limit=f"{index} units")
                for n in range(sections)
            ],
        )


@pytest.mark.parametrize("count", [1, 5])
def test_history_queries(
    client_for: ClientFor, therapist: User, record: Client, count: int, django_assert_num_queries
) -> None:
    _versions(record, count)
    web = client_for(therapist)
    with django_assert_num_queries(HISTORY_QUERIES):
        response = web.get(page_url("plan_history", record))
    assert response.status_code == 200
    assert len(response.context["versions"]) == count


@pytest.mark.parametrize("count", [1, 5])
def test_compare_queries(
    client_for: ClientFor, therapist: User, record: Client, count: int, django_assert_num_queries
) -> None:
    _versions(record, count, sections=count)
    web = client_for(therapist)
    with django_assert_num_queries(COMPARE_QUERIES):
        response = web.get(page_url("plan_compare", record))
    assert response.status_code == 200
    assert len(response.context["versions"]) == count
    assert len(response.context["diffs"] or []) == (count if count > 1 else 0)


@pytest.mark.parametrize("count", [1, 5])
def test_version_and_edit_queries(
    client_for: ClientFor, therapist: User, record: Client, count: int, django_assert_num_queries
) -> None:
    _versions(record, count, sections=count)
    web = client_for(therapist)
    with django_assert_num_queries(VERSION_QUERIES):
        response = web.get(page_url("plan_version", record, count))
    assert len(response.context["sections"]) == count
    with django_assert_num_queries(EDIT_QUERIES):
        response = web.get(page_url("plan_edit", record))
    assert len(response.context["formset"].forms) == count + 1


# --- Pages: words, labels, strict CSP ----------------------------------------------------------


def _pages(web: HttpClient, record: Client) -> dict[str, HttpResponse]:
    return {
        "edit": web.get(page_url("plan_edit", record)),
        "edit-refused": web.post(
            page_url("plan_edit", record),
            form_data(record, [{"name": "Alcohol", "max_days_per_week": "8"}]),
        ),
        "history": web.get(page_url("plan_history", record)),
        "version": web.get(page_url("plan_version", record, 1)),
        "compare": web.get(page_url("plan_compare", record)),
    }


def test_pages_label_every_field_and_carry_nothing_inline(
    client_for: ClientFor, therapist: User, record: Client, v2: PlanVersion
) -> None:
    pages = _pages(client_for(therapist), record)
    for name, response in pages.items():
        assert response.status_code == 200, name
        audit = form_audit(response)
        assert audit.inline == [], name
        assert [c for c in audit.controls if c not in audit.labelled] == [], name
    edit = form_audit(pages["edit"])
    # Per section: name, current pattern, dose, days, route, setting, 8 safer-use boxes, one
    # alternative per function, the client's words and the notes; two sections and a blank
    # row; then the reason.
    # Per section: 8 text and number fields, 8 practices, the alternatives and 2 more; then the
    # reason and the review date.
    assert len(edit.controls) == 3 * (8 + 8 + len(FUNCTIONS) + 2) + 2


def test_edit_page_labels_whose_words_and_the_alternatives(
    client_for: ClientFor, therapist: User, record: Client, v2: PlanVersion
) -> None:
    page = text(client_for(therapist).get(page_url("plan_edit", record)))
    for label in (
        "In the client's words",
        "Clinician's notes",
        "What changed and why",
        "Most per occasion",
        "Most use days a week",
        "Other ways to manage feelings",
        *[str(label) for label in ALTERNATIVE_LABELS.values()],
    ):
        assert re.search(r">\s*" + re.escape(label), page), label
    assert set(ALTERNATIVE_LABELS) == set(FUNCTION_KEYS)
    assert re.search(r'<div class="col-md-6 client-words">.*?sections-0-client_words', page, re.S)
    assert re.search(
        r'<div class="col-md-6 clinician-notes">.*?sections-0-clinician_notes', page, re.S
    )


def test_pages_use_person_first_non_punitive_words(
    client_for: ClientFor, therapist: User, record: Client, v2: PlanVersion
) -> None:
    for name, response in _pages(client_for(therapist), record).items():
        page = text(response).lower()
        for word in ("failed", "failure", "relapse", "addict", "dirty", "clean", "non-compliant"):
            assert word not in page, (name, word)


@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_plan_at_once(therapist: User) -> None:
    record = ClientFactory(therapist=therapist, preferred_name="Robin")
    PlanVersionFactory(plan=PlanFactory(client=record), sections=[plan_section()])
    webs = [web_for(therapist) for _ in range(4)]
    pages = [form_values(w.get(page_url("plan_edit", record)).content.decode()) for w in webs]
    for n, data in enumerate(pages):
        data["sections-0-clinician_notes"] = f"Typed in tab {n}"
        data["reason"] = "Notes"

    statuses = run_at_once(
        [
            (lambda w=w, d=d: w.post(page_url("plan_edit", record), d).status_code)
            for w, d in zip(webs, pages, strict=True)
        ]
    )

    assert sorted(statuses) == [302, 409, 409, 409]
    assert selectors.latest_version(record).number == 2  # type: ignore[union-attr]
