"""The chart's Overview: the panels every app registers (clients.extensions.OverviewPanel), in
order, for the readers who may see each, in a fixed number of queries whatever the client's
history."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients import extensions
from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from tests.clients.chart_records import add_care_records, day, record_with_events
from tests.clients.factories import ClientFactory
from tests.conftest import ROLE_FIXTURES
from tests.htmltext import parse, words
from tests.sessions.factories import AppointmentFactory, at, days_from_today

ClientFor = Callable[[User | None], HttpClient]

# + client with header data, 2 appointment prefetches (next, last attended), last signed
# notes, open goals with their substance, the last 4 weeks' check-ins, the last scores of each
# measure, 2 assessment flag prefetches (latest current of each measure, latest harm
# assessment), access event, latest plan version; then one read per panel of the apps added
# in issue 15 (open risk flags, last contacts outside sessions, open referrals, safety plan,
# overdose prevention plan, supplies); then the latest harm assessment's strengths (issue 16,
# the intake's come with the client); then the relaxation practice the client reported
# (selfreport): 22, at any history.
OVERVIEW_QUERIES = 22

# The story in the order issue 15 asks for: the client's words, open risk flags, what comes
# next, the plan and goals, measures, the last notes and contacts, referrals, the plans the
# client keeps, supplies; contact details last.
PANELS = [
    "words",
    "risk",
    "appointments",
    "plan",
    "strengths",
    "goals",
    "measures",
    "medical",
    "notes",
    "contacts",
    "referrals",
    "safety_plan",
    "overdose_prevention",
    "supplies",
    "contact",
]
# The risk panel is there only while a flag is open (nothing to follow up, nothing to show).
QUIET_PANELS = [key for key in PANELS if key != "risk"]
# A reader who may not write (a supervisor) is not offered to start a safety plan, a referral,
# a contact...: those panels stay away until there is something in them.
# The records here carry the client's strengths (chart_records), so readers see them too; with
# none recorded a reader sees no strengths panel (tests/assessments/test_strengths.py).
READER_QUIET_PANELS = [
    "words",
    "appointments",
    "plan",
    "strengths",
    "goals",
    "measures",
    "medical",
    "notes",
    "contact",
]


def url(client: Client) -> str:
    return reverse("clients:chart", kwargs={"pk": client.pk})


def panels_on(response) -> list[str]:
    return [s.get("data-panel") for s in parse(response).xpath("//section[@data-panel]")]


def panel_text(response, key: str) -> str:
    section = parse(response).xpath(f"//section[@data-panel='{key}']")[0]
    return words(" ".join(section.itertext())).replace(" ,", ",").replace(" .", ".")


@pytest.fixture
def full_record(therapist: User, request: pytest.FixtureRequest) -> Client:
    record = record_with_events(therapist, request.param, discharged=False)
    add_care_records(record, therapist, request.param)
    AppointmentFactory(client=record, starts_at=at(days_from_today(7), "10:00"))
    return record


@pytest.mark.parametrize("full_record", [1, 55], indirect=True)
@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_overview_queries_do_not_grow_with_the_history(
    client_for: ClientFor,
    full_record: Client,
    role: str,
    request: pytest.FixtureRequest,
    django_assert_num_queries,
) -> None:
    web = client_for(request.getfixturevalue(role))

    with django_assert_num_queries(OVERVIEW_QUERIES):
        response = web.get(url(full_record))

    assert response.status_code == 200
    assert panels_on(response) == PANELS


@pytest.mark.parametrize("full_record", [55], indirect=True)
def test_overview_tells_the_story(client_for: ClientFor, therapist: User, full_record) -> None:
    response = client_for(therapist).get(url(full_record))

    shown_next = formats.datetime_(at(days_from_today(7), "10:00"))
    assert panel_text(response, "appointments") == (
        f"Appointments Next appointment {shown_next} · In person "
        f"Last contact {formats.date(day(1))} · Phone call All sessions"
    )
    # Two weeks of check-ins, 3 use days each, 1 above the plan: 12 of 14 days within it.
    assert panel_text(response, "plan") == (
        "Plan per substance Plan per substance, with the share of days within the plan over "
        "the last 4 completed weeks Substance Plan Days within plan "
        "Alcohol at most 2 days a week; at most 3 pints per occasion 86% over 2 weeks recorded "
        "Days within plan: the last 4 completed weeks with check-ins. "
        # Version 55 was saved 55 days ago: its review (four weeks on) is overdue.
        "Plan and goals · version 55 · plan review overdue · Edit the plan"
    )
    measures = parse(response).xpath("//section[@data-panel='measures']//li")
    assert len(measures) == 1
    # The last five PHQ-9 scores, oldest first (days 5 to 1 ago), drawn and said.
    assert "Last scores, oldest first: 5, 4, 3, 2, 1." in words(measures[0].text_content())
    assert "-1 since the previous (improving)" in words(measures[0].text_content())
    assert len(measures[0].xpath(".//polyline/@points")[0].split()) == 5
    notes = parse(response).xpath("//section[@data-panel='notes']//li")
    assert len(notes) == 3
    goals = parse(response).xpath("//section[@data-panel='goals']//li")
    assert len(goals) == 55


def test_each_panel_is_a_labelled_section(client_for: ClientFor, therapist: User) -> None:
    record = ClientFactory(therapist=therapist)

    response = client_for(therapist).get(url(record))

    page = parse(response)
    for section in page.xpath("//section[@data-panel]"):
        heading = page.xpath(f"//*[@id='{section.get('aria-labelledby')}']")
        assert [h.tag for h in heading] == ["h2"]
        assert heading[0].getparent().getparent().getparent() is section
    assert [words(h.text_content()) for h in page.xpath("//section[@data-panel]//h2")] == [
        "In the client's words",
        "Appointments",
        "Plan per substance",
        "Strengths and resources",
        "Active goals",
        "Latest measures",
        "Medical evaluation",
        "Last session notes",
        "Last contacts outside sessions",
        "Open referrals",
        "Safety plan",
        "Overdose prevention",
        "Supplies given",
        "Contact",
    ]


def test_an_empty_record_says_what_is_missing(client_for: ClientFor, therapist: User) -> None:
    record = ClientFactory(therapist=therapist)

    response = client_for(therapist).get(url(record))

    assert panel_text(response, "appointments") == (
        "Appointments Next appointment None booked Last contact — "
        "All sessions · Book an appointment"
    )
    assert (
        panel_text(response, "plan")
        == "Plan per substance No plan yet. Plan and goals · Start a plan"
    )
    assert panel_text(response, "goals") == "Active goals No active goals. Add a goal"
    assert panel_text(response, "strengths") == (
        "Strengths and resources No strengths or supports recorded yet. Ask about them at "
        "intake or in the next harm assessment."
    )
    assert panel_text(response, "measures") == (
        "Latest measures No measures yet. No harm assessment yet. · All assessments"
    )
    assert panel_text(response, "notes") == "Last session notes No signed notes yet."


def test_the_supervisor_sees_no_links_to_change_the_record(
    client_for: ClientFor, therapist: User, supervisor: User
) -> None:
    record = ClientFactory(therapist=therapist)

    response = client_for(supervisor).get(url(record))

    assert panel_text(response, "plan") == "Plan per substance No plan yet. Plan and goals"
    assert panel_text(response, "goals") == "Active goals No active goals."
    assert panel_text(response, "appointments").endswith("All sessions")


@pytest.fixture
def registered_panels() -> Iterator[None]:
    """Panels as another app would register them: one for every reader, one for the treating
    clinician only, one that has nothing to show."""
    saved = dict(extensions.OVERVIEW_PANELS)
    for key, label, access, context in (
        ("zz_read", "Everyone's panel", extensions.ChartSection.READ, lambda c, can: {}),
        ("zz_treating", "Therapist's panel", extensions.ChartSection.TREATING, lambda c, can: {}),
        ("zz_empty", "Empty panel", extensions.ChartSection.READ, lambda c, can: None),
    ):
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key=key,
                label=label,
                template="clients/_panel_contact.html",
                context=context,
                order=150,
                access=access,
            )
        )
    yield
    extensions.OVERVIEW_PANELS.clear()
    extensions.OVERVIEW_PANELS.update(saved)


@pytest.mark.usefixtures("registered_panels")
def test_a_registered_panel_is_shown_to_who_may_see_it(
    client_for: ClientFor, therapist: User, supervisor: User
) -> None:
    record = ClientFactory(therapist=therapist)

    own = client_for(therapist).get(url(record))
    supervised = client_for(supervisor).get(url(record))

    assert panels_on(own) == [*QUIET_PANELS[:-1], "zz_read", "zz_treating", "contact"]
    # No strengths recorded: nothing for a reader to see in that panel, so it stays away.
    reader_panels = [key for key in READER_QUIET_PANELS[:-1] if key != "strengths"]
    assert panels_on(supervised) == [*reader_panels, "zz_read", "contact"]
    assert panel_text(own, "zz_read").startswith("Everyone's panel Legal name Legal Person ")


def test_an_unknown_access_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown access 'everyone' for overview panel 'x'"):
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key="x", label="X", template="t.html", context=lambda c, can: {}, access="everyone"
            )
        )


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_who_may_open_the_overview(
    client_for: ClientFor, therapist: User, role: str, request: pytest.FixtureRequest
) -> None:
    record = record_with_events(therapist, 1)
    user = request.getfixturevalue(role)

    response = client_for(user).get(url(record))

    expected = {"therapist": 200, "supervisor": 200, "anonymous": 302}.get(role, 404)
    assert response.status_code == expected
    if expected == 200:
        assert panels_on(response) == (QUIET_PANELS if role == "therapist" else READER_QUIET_PANELS)
