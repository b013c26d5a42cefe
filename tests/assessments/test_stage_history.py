"""Stage of change over time (issue 16): the history per substance across harm assessments,
the current stage per substance, the chart's Assessments section that shows the history (in a
fixed number of queries at 1 and many assessments) and the suggestions on the session note."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from assessments import selectors
from assessments.selectors import CurrentStage, StagePoint
from clients.models import STAGE_CHOICES, Client, SubstanceUse, stage_label
from hrp import formats
from hrp.accounts.models import User
from sessions.stage_fit import STAGE_FIT
from sessions.vocab import INTERVENTIONS
from tests.assessments.factories_harm import HarmAssessmentFactory, SubstancePatternFactory
from tests.assessments.test_queries import SECTION_QUERIES
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.htmltext import parse, words
from tests.sessions.factories import SessionNoteFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]

TODAY = timezone.localdate


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist)


def _assessed(record: Client, days_ago: int, *rows: tuple[SubstanceUse | str, str]):
    """A harm assessment `days_ago` with a pattern per (intake substance or name, stage)."""
    assessment = HarmAssessmentFactory(
        client=record, assessed_on=TODAY() - datetime.timedelta(days=days_ago)
    )
    for substance, stage in rows:
        if isinstance(substance, SubstanceUse):
            SubstancePatternFactory(
                assessment=assessment,
                substance=substance,
                substance_name=substance.name,
                stage_of_change=stage,
            )
        else:
            SubstancePatternFactory(
                assessment=assessment, substance_name=substance, stage_of_change=stage
            )
    return assessment


# --- The history -------------------------------------------------------------------------------


def test_no_assessments_no_history(record: Client) -> None:
    history = selectors.stage_history(record)

    assert (history.dates, history.substances) == ([], [])


def test_a_substance_missing_from_a_later_assessment(record: Client) -> None:
    alcohol = SubstanceUseFactory(client=record)
    first = _assessed(record, 60, (alcohol, "contemplation"), ("Cannabis", "precontemplation"))
    second = _assessed(record, 10, (alcohol, "preparation"))  # cannabis not talked about

    history = selectors.stage_history(record)

    assert history.dates == [(first.pk, first.assessed_on), (second.pk, second.assessed_on)]
    assert [(s.name, s.points) for s in history.substances] == [
        (
            "Alcohol",
            [
                StagePoint(first.pk, first.assessed_on, "contemplation"),
                StagePoint(second.pk, second.assessed_on, "preparation"),
            ],
        ),
        (
            "Cannabis",
            [
                StagePoint(first.pk, first.assessed_on, "precontemplation"),
                StagePoint(second.pk, second.assessed_on, None),
            ],
        ),
    ]
    # Its current stage is still the last one it was given, with that date.
    assert history.substances[1].current == history.substances[1].points[0]


def test_several_substances_an_assessment_without_any_and_a_blank_stage(record: Client) -> None:
    alcohol = SubstanceUseFactory(client=record)
    first = _assessed(record, 90, (alcohol, "precontemplation"), ("  cannabis", "contemplation"))
    empty = _assessed(record, 50)
    last = _assessed(record, 5, (alcohol, ""), ("Cannabis", "action"), ("Gambling", "maintenance"))

    history = selectors.stage_history(record)

    assert [d for d, _on in history.dates] == [first.pk, empty.pk, last.pk]
    assert [
        (s.name, [p.stage for p in s.points], s.current.stage if s.current else None)
        for s in history.substances
    ] == [
        # A stage left blank is "not discussed": the earlier stage stays the current one.
        ("Alcohol", ["precontemplation", None, ""], "precontemplation"),
        # The same name said differently is one substance; the latest spelling is shown.
        ("Cannabis", ["contemplation", None, "action"], "action"),
        ("Gambling", [None, None, "maintenance"], "maintenance"),
    ]


def test_current_stages_fall_back_to_the_intake(record: Client) -> None:
    alcohol = SubstanceUseFactory(client=record, stage_of_change="contemplation")
    cocaine = SubstanceUseFactory(
        client=record, substance=SubstanceUse.Substance.STIMULANTS_COCAINE, stage_of_change=""
    )
    benzos = SubstanceUseFactory(
        client=record,
        substance=SubstanceUse.Substance.BENZODIAZEPINES,
        stage_of_change="preparation",
    )
    later = _assessed(record, 3, (alcohol, "action"), (benzos, ""))

    assert selectors.current_stages(record) == [
        CurrentStage("Alcohol", "action", later.assessed_on, "assessment"),
        # Not given a stage in any assessment: the intake's stands.
        CurrentStage(
            "Benzodiazepines", "preparation", timezone.localdate(benzos.recorded_at), "intake"
        ),
    ]
    assert cocaine.stage_of_change == ""


def test_every_stage_reads_plainly_with_the_formal_term_beside() -> None:
    assert [str(stage_label(value)) for value, _label in STAGE_CHOICES] == [
        "Not considering change right now (precontemplation)",
        "Thinking about change, in two minds (contemplation)",
        "Getting ready to change (preparation)",
        "Making changes now (action)",
        "Keeping up changes made (maintenance)",
    ]
    # The same values as the intake's stages, so the two compare directly.
    assert [v for v, _l in STAGE_CHOICES] == list(SubstanceUse.Stage.values)


# --- The chart's Assessments section -----------------------------------------------------------


def _section(record: Client) -> str:
    return reverse("assessments:section", kwargs={"pk": record.pk})


def test_the_section_shows_the_history_as_a_table(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    alcohol = SubstanceUseFactory(client=record)
    first = _assessed(record, 60, (alcohol, "contemplation"), ("Cannabis", "precontemplation"))
    second = _assessed(record, 10, (alcohol, "preparation"))

    for user in (therapist, supervisor):
        response = client_for(user).get(_section(record))
        assert response.status_code == 200
        table = parse(response).xpath("//section[@aria-labelledby='stages-h']//table")[0]
        rows = [
            [words(cell.text_content()) for cell in row.xpath("./th|./td")]
            for row in table.xpath(".//tr")
        ]
        assert rows == [
            [
                "Substance",
                formats.date(first.assessed_on),
                formats.date(second.assessed_on),
            ],
            [
                "Alcohol",
                "Thinking about change, in two minds (contemplation)",
                "Getting ready to change (preparation)",
            ],
            [
                "Cannabis",
                "Not considering change right now (precontemplation)",
                "Not part of this assessment",
            ],
        ]


def test_the_section_without_assessments_says_so(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(_section(record))

    section = parse(response).xpath("//section[@aria-labelledby='stages-h']")[0]
    assert words(section.text_content()) == (
        "Stage of change over time No stage of change recorded in a harm assessment yet."
    )


def test_outsiders_do_not_see_the_history(
    client_for: ClientFor, other_therapist: User, record: Client
) -> None:
    _assessed(record, 10, ("Alcohol", "action"))

    assert client_for(other_therapist).get(_section(record)).status_code == 404


@pytest.mark.parametrize("n", [1, 15])
def test_section_queries_do_not_grow_with_the_history(
    client_for: ClientFor, therapist: User, record: Client, n: int, django_assert_num_queries
) -> None:
    alcohol = SubstanceUseFactory(client=record)
    stages = [value for value, _label in STAGE_CHOICES]
    for index in range(n):
        _assessed(
            record,
            n - index,
            (alcohol, stages[index % 5]),
            (f"Substance {index % 4}", stages[(index + 2) % 5]),
        )
    web = client_for(therapist)
    web.get(_section(record))

    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(_section(record))

    table = parse(response).xpath("//section[@aria-labelledby='stages-h']//tbody/tr")
    assert len(table) == 1 + min(n, 4)


# --- Suggestions on the session note ----------------------------------------------------------


def test_the_mapping_names_only_interventions_the_note_can_record() -> None:
    known = {key for key, _label in INTERVENTIONS}
    assert set(STAGE_FIT) == {value for value, _label in STAGE_CHOICES}
    assert {key for fit in STAGE_FIT.values() for key in fit.interventions} <= known


def test_the_note_suggests_what_fits_each_current_stage(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    alcohol = SubstanceUseFactory(client=record, stage_of_change="contemplation")
    later = _assessed(record, 4, (alcohol, "preparation"), ("Cannabis", "maintenance"))
    note = SessionNoteFactory(
        appointment__client=record, appointment__therapist=therapist, interventions=[]
    )
    url = reverse("sessions:note", kwargs={"pk": record.pk, "note_pk": note.pk})

    response = client_for(therapist).get(url)

    aside = parse(response).xpath("//aside[contains(@class, 'stage-suggestions')]")[0]
    on = formats.date(later.assessed_on)
    assert [words(li.text_content()) for li in aside.xpath(".//li")] == [
        f"Alcohol: Getting ready to change (preparation) (harm assessment, {on}) Build the plan "
        "together: small, concrete steps the client chooses. For example: Ideal use plan work; "
        "“Thinking it through”.",
        f"Cannabis: Keeping up changes made (maintenance) (harm assessment, {on}) Notice what "
        "is working and plan for lapses as information to learn from, not failure. For "
        "example: Re-writing the negative script; Stress inoculation; Awareness and "
        "relaxation training.",
    ]
    # Suggestions only: nothing is ticked for the clinician.
    ticked = parse(response).xpath("//input[@name='interventions' and @checked]")
    assert ticked == []
    # A supervisor reading the draft is shown no suggestions (they are for writing it).
    read = client_for(supervisor).get(url)
    assert read.status_code == 200
    assert parse(read).xpath("//aside[contains(@class, 'stage-suggestions')]") == []


def test_the_comparison_shows_each_substance_stage_before_and_after(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    alcohol = SubstanceUseFactory(client=record)
    _assessed(record, 60, (alcohol, "contemplation"))
    _assessed(record, 10, (alcohol, "preparation"), ("Cannabis", ""))

    response = client_for(therapist).get(
        reverse("assessments:harm_compare", kwargs={"pk": record.pk})
    )

    rows = parse(response).xpath("//section[@aria-labelledby='readiness-h']//tbody/tr")
    assert [words(" ".join(row.xpath("./td")[-1].itertext())) for row in rows] == [
        "Thinking about change, in two minds (contemplation) → to Getting ready to change "
        "(preparation)",
        "— → to —",
    ]
