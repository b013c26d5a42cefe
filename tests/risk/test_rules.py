"""The rule of which answers raise a flag and how urgent it is (risk/rules.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import OVERDOSE_FACTORS
from clients.models import SubstanceUse
from risk import rules

FACTORS = [key for key, _label in OVERDOSE_FACTORS]
S = SubstanceUse.Substance


@pytest.mark.parametrize("points, level", [(0, None), (1, "some"), (2, "acute"), (3, "acute")])
def test_phq9_question_9(points: int, level: str | None) -> None:
    assert rules.phq9_item9_level(points) == level


@pytest.mark.parametrize(
    "answer, level", [("", None), ("none", None), ("some", "some"), ("acute", "acute")]
)
def test_note_answers(answer: str, level: str | None) -> None:
    assert rules.note_level(answer) == level


@pytest.mark.parametrize(
    "factors, substances, counted",
    [
        (["uses_alone"], [S.ALCOHOL], []),
        (["uses_alone", "mixes_depressants"], [S.ALCOHOL, S.CANNABIS], []),
        (["uses_alone"], [S.HEROIN_FENTANYL], ["uses_alone"]),
        (["uses_alone"], [S.OPIOIDS_PRESCRIBED], ["uses_alone"]),
        (["mixes_depressants"], [S.ALCOHOL, S.BENZODIAZEPINES], ["mixes_depressants"]),
        (["uses_alone", "unknown_supply"], [S.ALCOHOL], ["unknown_supply"]),
        (["injects"], [S.METHAMPHETAMINE], ["injects"]),
        (["previous_overdose", "uses_alone"], [], ["previous_overdose"]),
    ],
)
def test_overdose_factors_follow_the_substance(
    factors: list[str], substances: list[str], counted: list[str]
) -> None:
    assert rules.overdose_factors_that_count(factors, substances) == counted


def test_lowered_tolerance_with_a_previous_overdose_is_acute() -> None:
    assert rules.overdose_level(["lowered_tolerance", "previous_overdose"]) == "acute"
    assert rules.overdose_level(["lowered_tolerance"]) == "some"
    assert rules.overdose_level([]) is None


@given(
    factors=st.lists(st.sampled_from(FACTORS), unique=True),
    substances=st.sets(st.sampled_from(S.values)),
)
def test_the_counted_factors_are_the_ticked_ones_less_those_the_substances_exempt(
    factors: list[str], substances: set[str]
) -> None:
    counted = rules.overdose_factors_that_count(factors, substances)
    exempt = set() if substances & rules.DEPRESSANTS else rules.DEPRESSANT_ONLY_FACTORS
    assert counted == [f for f in factors if f not in exempt]
