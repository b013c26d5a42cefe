"""Scoring of the shipped standard measures, exactly as DOMAIN.md gives it: every band edge,
the reverse-scored DAST-10 question 3, AUDIT questions 9 and 10 (0, 2 or 4), WHO-5 x4, and the
flags. Property tests cover the whole answer space: a complete valid set always scores inside
the range and in exactly one band; anything incomplete or invalid is refused and stores
nothing."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import services
from assessments.measures import AUDIT, AUDIT_C, DAST10, GAD7, MEASURES, PHQ9, WHO5, Measure
from assessments.models import Administration
from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.assessments.factories import answers_for

SHIPPED = ["PHQ9", "GAD7", "AUDIT", "AUDITC", "DAST10", "WHO5"]


def test_the_registry_ships_exactly_the_free_measures() -> None:
    assert list(MEASURES) == SHIPPED
    assert [len(m.items) for m in MEASURES.values()] == [9, 7, 10, 3, 10, 5]
    assert [m.score_max for m in MEASURES.values()] == [27, 21, 40, 12, 10, 100]


def _plain(measure: Measure, raw_total: int) -> dict[str, str]:
    """Answers for a measure whose answer values are their points (all but DAST-10)."""
    answers = answers_for(measure, raw_total)
    # The input is checked on its own terms, so the test does not lean on the registry.
    assert sum(int(value) for value in answers.values()) == raw_total
    return answers


# --- Band edges --------------------------------------------------------------------------------

PLAIN_EDGES = [
    *[
        (PHQ9, total, band)
        for total, band in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "moderately_severe"),
            (19, "moderately_severe"),
            (20, "severe"),
            (27, "severe"),
        ]
    ],
    *[
        (GAD7, total, band)
        for total, band in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "severe"),
            (21, "severe"),
        ]
    ],
    *[
        (AUDIT, total, band)
        for total, band in [
            (0, "low"),
            (7, "low"),
            (8, "increasing"),
            (15, "increasing"),
            (16, "harmful"),
            (19, "harmful"),
            (20, "possible_dependence"),
            (40, "possible_dependence"),
        ]
    ],
    *[
        (AUDIT_C, total, band)
        for total, band in [
            (0, "negative"),
            (2, "negative"),
            (3, "positive_women"),
            (4, "positive"),
            (12, "positive"),
        ]
    ],
]


@pytest.mark.parametrize(
    "measure, total, band",
    PLAIN_EDGES,
    ids=[f"{m.code}-{total}" for m, total, _band in PLAIN_EDGES],
)
def test_band_edges(measure: Measure, total: int, band: str) -> None:
    answers = _plain(measure, total)

    score = measure.score(answers)

    assert score == total
    assert measure.band(score).key == band


def test_audit_questions_9_and_10_score_0_2_or_4_only() -> None:
    for key in ("q9", "q10"):
        item = next(i for i in AUDIT.items if i.key == key)
        assert [(c.value, item.points(c.value)) for c in item.choices] == [
            ("0", 0),
            ("2", 2),
            ("4", 4),
        ]
    zeros = {key: "0" for key in AUDIT.item_keys}
    assert AUDIT.score({**zeros, "q9": "2"}) == 2
    assert AUDIT.score({**zeros, "q9": "4", "q10": "2"}) == 6
    assert AUDIT.score({**zeros, "q10": "4"}) == 4
    for odd in ("1", "3"):
        assert AUDIT.problems({**zeros, "q9": odd}) == {"q9": "invalid"}
        assert AUDIT.problems({**zeros, "q10": odd}) == {"q10": "invalid"}


def test_audit_c_is_the_first_three_audit_questions() -> None:
    assert AUDIT_C.items == AUDIT.items[:3]
    assert AUDIT_C.score({"q1": "4", "q2": "4", "q3": "4"}) == 12


def _dast(yes_count: int, *, q3: str) -> dict[str, str]:
    """DAST-10 answers: "yes" on the first `yes_count` questions other than 3, and `q3`."""
    others = [key for key in DAST10.item_keys if key != "q3"]
    answers = {key: ("yes" if index < yes_count else "no") for index, key in enumerate(others)}
    return {**answers, "q3": q3}


def test_dast_10_question_3_is_reverse_scored() -> None:
    # Question 3: "Are you always able to stop using drugs when you want to?"
    assert DAST10.score(_dast(0, q3="no")) == 1
    assert DAST10.score(_dast(0, q3="yes")) == 0
    assert DAST10.score(_dast(9, q3="yes")) == 9
    assert DAST10.score(_dast(9, q3="no")) == 10
    assert DAST10.score({key: "yes" for key in DAST10.item_keys}) == 9
    assert DAST10.score({key: "no" for key in DAST10.item_keys}) == 1


DAST_EDGES = [
    # (answers, score, band)
    (_dast(0, q3="yes"), 0, "none"),
    (_dast(0, q3="no"), 1, "low"),
    (_dast(1, q3="yes"), 1, "low"),
    (_dast(2, q3="yes"), 2, "low"),
    (_dast(1, q3="no"), 2, "low"),
    (_dast(3, q3="yes"), 3, "moderate"),
    (_dast(4, q3="no"), 5, "moderate"),
    (_dast(6, q3="yes"), 6, "substantial"),
    (_dast(5, q3="no"), 6, "substantial"),
    (_dast(8, q3="yes"), 8, "substantial"),
    (_dast(9, q3="yes"), 9, "severe"),
    (_dast(8, q3="no"), 9, "severe"),
    (_dast(9, q3="no"), 10, "severe"),
]


@pytest.mark.parametrize(
    "answers, score, band",
    DAST_EDGES,
    ids=[f"{score}-q3-{answers['q3']}" for answers, score, _band in DAST_EDGES],
)
def test_dast_10_band_edges(answers: dict[str, str], score: int, band: str) -> None:
    assert DAST10.score(answers) == score
    assert DAST10.band(score).key == band


@pytest.mark.parametrize(
    "answers, score, band",
    [
        ({key: "5" for key in WHO5.item_keys}, 100, "adequate"),
        ({key: "0" for key in WHO5.item_keys}, 0, "poor"),
        ({"q1": "5", "q2": "5", "q3": "2", "q4": "0", "q5": "0"}, 48, "poor"),  # raw 12
        ({"q1": "5", "q2": "5", "q3": "3", "q4": "0", "q5": "0"}, 52, "adequate"),  # raw 13
        ({"q1": "3", "q2": "3", "q3": "3", "q4": "3", "q5": "1"}, 52, "adequate"),  # raw 13
    ],
    ids=["all-5", "all-0", "raw-12", "raw-13", "raw-13-spread"],
)
def test_who_5_reports_the_raw_total_times_4(
    answers: dict[str, str], score: int, band: str
) -> None:
    assert WHO5.score(answers) == score
    assert WHO5.band(score).key == band


# --- Flags -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q9, flagged", [("0", False), ("1", True), ("2", True), ("3", True)])
def test_phq_9_question_9_above_0_raises_the_suicide_flag(q9: str, flagged: bool) -> None:
    # Question 9 decides on its own: 24 points elsewhere raise nothing, 1 point on it does.
    answers = {**{key: "3" for key in PHQ9.item_keys}, "q9": q9}

    assert PHQ9.raises_suicide_flag(answers) is flagged
    assert PHQ9.raises_suicide_flag({**{key: "0" for key in PHQ9.item_keys}, "q9": q9}) is flagged


@pytest.mark.parametrize("code", ["GAD7", "AUDIT", "AUDITC", "DAST10", "WHO5"])
def test_only_phq_9_raises_the_suicide_flag(code: str) -> None:
    measure = MEASURES[code]
    answers = answers_for(
        measure, sum(max(i.points(c.value) for c in i.choices) for i in measure.items)
    )

    assert measure.raises_suicide_flag(answers) is False


@pytest.mark.parametrize(
    "measure, score, flagged",
    [
        (AUDIT, 19, False),
        (AUDIT, 20, True),
        (AUDIT, 40, True),
        (DAST10, 5, False),
        (DAST10, 6, True),
        (DAST10, 10, True),
        (PHQ9, 27, False),
        (GAD7, 21, False),
        (AUDIT_C, 12, False),
        (WHO5, 0, False),
    ],
    ids=lambda value: getattr(value, "code", str(value)),
)
def test_severity_flag(measure: Measure, score: int, flagged: bool) -> None:
    assert measure.raises_severity_flag(score) is flagged


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, answers, score, band, suicide_risk, severity_flag",
    [
        ("PHQ9", {**_plain(PHQ9, 0), "q9": "1"}, 1, "minimal", True, False),
        ("PHQ9", _plain(PHQ9, 15), 15, "moderately_severe", False, False),
        ("AUDIT", _plain(AUDIT, 19), 19, "harmful", False, False),
        ("AUDIT", _plain(AUDIT, 20), 20, "possible_dependence", False, True),
        ("DAST10", _dast(5, q3="yes"), 5, "moderate", False, False),
        ("DAST10", _dast(5, q3="no"), 6, "substantial", False, True),
        ("WHO5", _plain(WHO5, 13), 52, "adequate", False, False),
    ],
    ids=["PHQ9-q9-1", "PHQ9-15", "AUDIT-19", "AUDIT-20", "DAST10-5", "DAST10-6", "WHO5-raw-13"],
)
def test_the_service_stores_what_the_registry_computes(
    therapist: User,
    record: Client,
    code: str,
    answers: dict[str, str],
    score: int,
    band: str,
    suicide_risk: bool,
    severity_flag: bool,
) -> None:
    administration = services.administration_record(
        actor=therapist, client=record, measure_code=code, answers=answers
    )

    stored = Administration.objects.get(pk=administration.pk)
    assert (stored.score, stored.band, stored.suicide_risk, stored.severity_flag) == (
        score,
        band,
        suicide_risk,
        severity_flag,
    )
    assert stored.answers == answers
    event = AuditEvent.objects.get(action="measure.administer")
    # Score and band only: the answers stay out of the audit trail.
    assert event.changes == {
        "measure": [None, code],
        "score": [None, score],
        "band": [None, band],
        "corrects": [None, None],
    }
    assert event.chart_number == record.chart_number


# --- Properties over the whole answer space ----------------------------------------------------


@pytest.mark.parametrize("code", SHIPPED)
def test_every_reachable_score_has_exactly_one_band(code: str) -> None:
    measure = MEASURES[code]
    raw_max = measure.score_max // measure.multiplier
    for raw in range(raw_max + 1):
        score = raw * measure.multiplier
        assert len([b for b in measure.bands if b.low <= score <= b.high]) == 1, score


def valid_answers(measure: Measure) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {item.key: st.sampled_from([c.value for c in item.choices]) for item in measure.items}
    )


MEASURE_CODES = st.sampled_from(SHIPPED)
QUICK = settings(max_examples=60, deadline=None, database=None)
WITH_DB = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@QUICK
@given(data=st.data(), code=MEASURE_CODES)
def test_any_complete_valid_answers_score_in_range_with_one_band(
    data: st.DataObject, code: str
) -> None:
    measure = MEASURES[code]
    answers = data.draw(valid_answers(measure))

    score = measure.score(answers)

    assert measure.problems(answers) == {}
    assert 0 <= score <= measure.score_max
    assert score % measure.multiplier == 0
    bands = [b for b in measure.bands if b.low <= score <= b.high]
    assert len(bands) == 1
    assert measure.band(score) == bands[0]


def _counts() -> tuple[int, int]:
    return Administration.objects.count(), AuditEvent.objects.count()


def _record(actor: User, client: Client, code: str, answers: Mapping[str, str]) -> None:
    services.administration_record(actor=actor, client=client, measure_code=code, answers=answers)


@pytest.mark.django_db
@WITH_DB
@given(data=st.data(), code=MEASURE_CODES)
def test_any_complete_valid_answers_are_stored_as_scored(
    therapist: User, record: Client, data: st.DataObject, code: str
) -> None:
    measure = MEASURES[code]
    answers = data.draw(valid_answers(measure))
    before = Administration.objects.count()

    administration = services.administration_record(
        actor=therapist, client=record, measure_code=code, answers=answers
    )

    assert Administration.objects.count() == before + 1
    assert administration.score == measure.score(answers)
    assert administration.band == measure.band(administration.score).key


@pytest.mark.django_db
@WITH_DB
@given(data=st.data(), code=MEASURE_CODES, blank=st.booleans())
def test_missing_answers_are_refused_per_item_and_nothing_is_stored(
    therapist: User, record: Client, data: st.DataObject, code: str, blank: bool
) -> None:
    measure = MEASURES[code]
    answers = data.draw(valid_answers(measure))
    missing = data.draw(
        st.lists(st.sampled_from(measure.item_keys), min_size=1, unique=True), label="missing"
    )
    for key in missing:
        if blank:
            answers[key] = ""  # an unanswered radio group posts nothing; "" counts the same
        else:
            del answers[key]
    before = _counts()

    with pytest.raises(ValidationError) as refused:
        _record(therapist, record, code, answers)

    assert refused.value.message_dict == {key: ["Please answer this question."] for key in missing}
    assert _counts() == before


@pytest.mark.django_db
@WITH_DB
@given(
    data=st.data(),
    code=MEASURE_CODES,
    unknown_key=st.text(min_size=1, max_size=12),
    unknown_value=st.text(max_size=5),
)
def test_unknown_items_are_tampering_and_nothing_is_stored(
    therapist: User,
    record: Client,
    data: st.DataObject,
    code: str,
    unknown_key: str,
    unknown_value: str,
) -> None:
    measure = MEASURES[code]
    if unknown_key in measure.item_keys:
        unknown_key = f"{unknown_key}_extra"
    answers = {**data.draw(valid_answers(measure)), unknown_key: unknown_value}
    before = _counts()

    with pytest.raises(services.TamperedSubmission):
        _record(therapist, record, code, answers)

    assert _counts() == before


@pytest.mark.django_db
@WITH_DB
@given(data=st.data(), code=MEASURE_CODES, value=st.text(min_size=1, max_size=6))
def test_answers_not_among_the_choices_are_tampering_and_nothing_is_stored(
    therapist: User, record: Client, data: st.DataObject, code: str, value: str
) -> None:
    measure = MEASURES[code]
    answers = data.draw(valid_answers(measure))
    item = data.draw(st.sampled_from(measure.items), label="item")
    if value in {c.value for c in item.choices}:
        value = f"{value}9"  # "09", "yes9": close to a choice, but not one
    answers[item.key] = value
    before = _counts()

    with pytest.raises(services.TamperedSubmission):
        _record(therapist, record, code, answers)

    assert _counts() == before


@pytest.mark.django_db
@WITH_DB
@given(data=st.data(), code=st.text(max_size=10).filter(lambda c: c not in MEASURES))
def test_an_unknown_measure_is_tampering_and_nothing_is_stored(
    therapist: User, record: Client, data: st.DataObject, code: str
) -> None:
    answers = data.draw(valid_answers(PHQ9))
    before = _counts()

    with pytest.raises(services.TamperedSubmission):
        _record(therapist, record, code, answers)

    assert _counts() == before
