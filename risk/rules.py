"""Which answers raise a risk flag, and how urgent it is: the one statement of the rule.

Pure functions of plain values (answer points, factor names, substance codes), so the services
of every source app and the data migration apply the same rule.

Suicide risk
  PHQ-9 question 9 above 0 raises a flag. "More than half the days" (2) or "nearly every day"
  (3) is acute: the therapist and the supervisor are reminded at once. A session note's
  "suicidal thoughts" answer "some" or "acute" raises a flag at that level.

Overdose risk (DOMAIN.md: overdose factors follow the substance)
  A harm assessment raises a flag when a factor that applies to the client's substances is
  ticked. Using alone and mixing depressants matter when the client uses an opioid or another
  depressant (benzodiazepines, or alcohol together with one of those): alone, alcohol is not
  an overdose factor for them. Lowered tolerance, an unknown supply, injecting and a previous
  overdose count whatever the substance (an unknown supply may hold fentanyl). Lowered
  tolerance together with a previous overdose is acute. A session note's "overdose risk"
  answer "some" or "acute" raises a flag at that level.
"""

from __future__ import annotations

from collections.abc import Iterable

SOME = "some"
ACUTE = "acute"

# SubstanceUse.Substance values (clients.models) that are opioids or other central nervous
# system depressants with which using alone or mixing can stop breathing.
DEPRESSANTS = frozenset({"opioids_rx", "heroin_fentanyl", "benzodiazepines"})

# Harm-assessment factors (assessments.models.OVERDOSE_FACTORS) that count only with one of
# DEPRESSANTS in the client's substances.
DEPRESSANT_ONLY_FACTORS = frozenset({"uses_alone", "mixes_depressants"})


def phq9_item9_level(points: int) -> str | None:
    """The suicide-flag level for PHQ-9 question 9's points (0-3), or None for no flag."""
    if points <= 0:
        return None
    return ACUTE if points >= 2 else SOME


def note_level(answer: str) -> str | None:
    """The flag level for a session note's risk answer ("none", "some", "acute")."""
    return answer if answer in (SOME, ACUTE) else None


def overdose_factors_that_count(factors: Iterable[str], substances: Iterable[str]) -> list[str]:
    """The ticked factors that raise an overdose flag for a client using `substances`, in
    the order given."""
    uses_depressant = bool(DEPRESSANTS & set(substances))
    return [f for f in factors if uses_depressant or f not in DEPRESSANT_ONLY_FACTORS]


def overdose_level(factors_that_count: Iterable[str]) -> str | None:
    counted = set(factors_that_count)
    if not counted:
        return None
    return ACUTE if {"lowered_tolerance", "previous_overdose"} <= counted else SOME
