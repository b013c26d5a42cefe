"""Standard measures, defined as data. One registry entry per measure: items, answer choices with
their points, reverse-scored items, the scoring rule, bands and flags. Adding a measure is an
entry here and a test, not a new model or view. Scoring rules follow DOMAIN.md.

Only free-to-use instruments ship (AUDIT, AUDIT-C, DAST-10, PHQ-9, GAD-7, WHO-5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.translation import gettext_lazy as _


def wording(text: str) -> str:
    """An instrument's own words (instructions, questions, answer choices): data, never passed
    through gettext. A translation of a standard measure must be its official, validated one,
    kept as data with its source named; a translator's rendering of a scored item could change
    what the score means. Until such a version is added, the questions show in English in every
    language (the client's link page says so). Our own labels (bands, descriptions) translate."""
    return text


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    points: int


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    choices: tuple[Choice, ...]
    reverse: bool = False  # points are counted as (max - points)

    def points(self, value: str) -> int:
        by_value = {c.value: c.points for c in self.choices}
        points = by_value[value]
        if self.reverse:
            return max(by_value.values()) - points
        return points


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    low: int  # inclusive, on the reported score
    high: int  # inclusive
    # The band in a word or two, for places that show a score beside it ("10 positive"):
    # a label that carries its own threshold ("Positive (4+)") reads badly in brackets there.
    short: str = ""

    @property
    def short_label(self) -> str:
        return str(self.short or self.label).lower()


@dataclass(frozen=True)
class Measure:
    code: str
    name: str
    description: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    score_max: int
    multiplier: int = 1  # WHO-5 reports the raw total x4
    # Reported score at or above which the result is a screening result to talk through with
    # the client (AUDIT 20+ "possible dependence", DAST-10 6+ "substantial"). A screening band,
    # never a risk flag: it is shown under "Screening", apart from suicide and overdose risk
    # (which come from `suicide_item` and the risk app). Stored on each administration as
    # `severity_flag`.
    severity_flag_at: int | None = None
    # Item whose answer above 0 raises the suicide-risk flag (PHQ-9 item 9).
    suicide_item: str | None = None
    # A change of at least this much (on the reported score) is marked as meaningful.
    meaningful_change: int | None = None
    higher_is_better: bool = False
    default_interval: timedelta = timedelta(weeks=4)
    score_unit: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    # LOINC codes for exchange (records.fhir): the questionnaire panel and the total score.
    # Only codes LOINC publishes; "" where it has none we can cite, and the export then
    # names the measure in words alone.
    loinc_panel: str = ""
    loinc_total: str = ""

    @property
    def item_keys(self) -> list[str]:
        return [item.key for item in self.items]

    def score(self, answers: Mapping[str, str]) -> int:
        """The reported score of a complete, valid set of answers (raises ValueError if not)."""
        problems = self.problems(answers)
        if problems:
            raise ValueError(f"{self.code}: {problems}")
        raw = sum(item.points(answers[item.key]) for item in self.items)
        return raw * self.multiplier

    def problems(self, answers: Mapping[str, str]) -> dict[str, str]:
        """Item key -> what is wrong, for a set of answers; empty when complete and valid."""
        problems: dict[str, str] = {}
        for item in self.items:
            value = answers.get(item.key)
            if value in (None, ""):
                problems[item.key] = "missing"
            elif value not in {c.value for c in item.choices}:
                problems[item.key] = "invalid"
        unknown = set(answers) - set(self.item_keys)
        for key in unknown:
            problems[key] = "unknown item"
        return problems

    def band(self, score: int) -> Band:
        for band in self.bands:
            if band.low <= score <= band.high:
                return band
        raise ValueError(f"{self.code}: no band for {score}")

    def raises_suicide_flag(self, answers: Mapping[str, str]) -> bool:
        if self.suicide_item is None:
            return False
        item = next(i for i in self.items if i.key == self.suicide_item)
        return item.points(answers[item.key]) > 0

    @property
    def screens(self) -> bool:
        """Whether a result of this measure can be a screening result (see severity_flag_at)."""
        return self.severity_flag_at is not None

    @property
    def raises_risk(self) -> bool:
        """Whether an answer of this measure raises a risk flag (suicide: PHQ-9 item 9)."""
        return self.suicide_item is not None

    def raises_severity_flag(self, score: int) -> bool:
        return self.severity_flag_at is not None and score >= self.severity_flag_at


def _scale(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(str(i), label, i) for i, label in enumerate(labels))


NOT_AT_ALL_TO_NEARLY = _scale(
    wording("Not at all"),
    wording("Several days"),
    wording("More than half the days"),
    wording("Nearly every day"),
)
YES_NO = (Choice("yes", wording("Yes"), 1), Choice("no", wording("No"), 0))


PHQ9 = Measure(
    code="PHQ9",
    loinc_panel="44249-1",
    loinc_total="44261-6",
    name="PHQ-9",
    description=wording(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=tuple(
        Item(f"q{i}", text, NOT_AT_ALL_TO_NEARLY)
        for i, text in enumerate(
            [
                wording("Little interest or pleasure in doing things"),
                wording("Feeling down, depressed, or hopeless"),
                wording("Trouble falling or staying asleep, or sleeping too much"),
                wording("Feeling tired or having little energy"),
                wording("Poor appetite or overeating"),
                wording(
                    "Feeling bad about yourself, or that you are a failure or have let yourself "
                    "or your family down"
                ),
                wording(
                    "Trouble concentrating on things, such as reading the newspaper or watching "
                    "television"
                ),
                wording(
                    "Moving or speaking so slowly that other people could have noticed; or the "
                    "opposite, being so fidgety or restless that you have been moving around a "
                    "lot more than usual"
                ),
                wording(
                    "Thoughts that you would be better off dead, or of hurting yourself in some way"
                ),
            ],
            start=1,
        )
    ),
    bands=(
        Band("minimal", _("Minimal"), 0, 4),
        Band("mild", _("Mild"), 5, 9),
        Band("moderate", _("Moderate"), 10, 14),
        Band("moderately_severe", _("Moderately severe"), 15, 19),
        Band("severe", _("Severe"), 20, 27),
    ),
    score_max=27,
    suicide_item="q9",
    meaningful_change=5,
    default_interval=timedelta(weeks=4),
)

GAD7 = Measure(
    code="GAD7",
    loinc_panel="69737-5",
    loinc_total="70274-6",
    name="GAD-7",
    description=wording(
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    ),
    items=tuple(
        Item(f"q{i}", text, NOT_AT_ALL_TO_NEARLY)
        for i, text in enumerate(
            [
                wording("Feeling nervous, anxious, or on edge"),
                wording("Not being able to stop or control worrying"),
                wording("Worrying too much about different things"),
                wording("Trouble relaxing"),
                wording("Being so restless that it's hard to sit still"),
                wording("Becoming easily annoyed or irritable"),
                wording("Feeling afraid as if something awful might happen"),
            ],
            start=1,
        )
    ),
    bands=(
        Band("minimal", _("Minimal"), 0, 4),
        Band("mild", _("Mild"), 5, 9),
        Band("moderate", _("Moderate"), 10, 14),
        Band("severe", _("Severe"), 15, 21),
    ),
    score_max=21,
    meaningful_change=4,
    default_interval=timedelta(weeks=4),
)

_FREQUENCY = _scale(
    wording("Never"),
    wording("Monthly or less"),
    wording("2 to 4 times a month"),
    wording("2 to 3 times a week"),
    wording("4 or more times a week"),
)
_DRINKS = _scale(
    wording("1 or 2"),
    wording("3 or 4"),
    wording("5 or 6"),
    wording("7 to 9"),
    wording("10 or more"),
)
_HOW_OFTEN = _scale(
    wording("Never"),
    wording("Less than monthly"),
    wording("Monthly"),
    wording("Weekly"),
    wording("Daily or almost daily"),
)
_NO_YES_LAST_YEAR = (
    Choice("0", wording("No"), 0),
    Choice("2", wording("Yes, but not in the last year"), 2),
    Choice("4", wording("Yes, during the last year"), 4),
)

AUDIT_ITEMS = (
    Item("q1", wording("How often do you have a drink containing alcohol?"), _FREQUENCY),
    Item(
        "q2",
        wording(
            "How many drinks containing alcohol do you have on a typical day when you are drinking?"
        ),
        _DRINKS,
    ),
    Item("q3", wording("How often do you have six or more drinks on one occasion?"), _HOW_OFTEN),
    Item(
        "q4",
        wording(
            "How often during the last year have you found that you were not able to stop "
            "drinking once you had started?"
        ),
        _HOW_OFTEN,
    ),
    Item(
        "q5",
        wording(
            "How often during the last year have you failed to do what was normally expected "
            "of you because of drinking?"
        ),
        _HOW_OFTEN,
    ),
    Item(
        "q6",
        wording(
            "How often during the last year have you needed a first drink in the morning to get "
            "yourself going after a heavy drinking session?"
        ),
        _HOW_OFTEN,
    ),
    Item(
        "q7",
        wording(
            "How often during the last year have you had a feeling of guilt or remorse after "
            "drinking?"
        ),
        _HOW_OFTEN,
    ),
    Item(
        "q8",
        wording(
            "How often during the last year have you been unable to remember what happened the "
            "night before because you had been drinking?"
        ),
        _HOW_OFTEN,
    ),
    Item(
        "q9",
        wording("Have you or someone else been injured as a result of your drinking?"),
        _NO_YES_LAST_YEAR,
    ),
    Item(
        "q10",
        wording(
            "Has a relative, friend, doctor or other health worker been concerned about your "
            "drinking or suggested you cut down?"
        ),
        _NO_YES_LAST_YEAR,
    ),
)

AUDIT = Measure(
    code="AUDIT",
    loinc_total="75624-7",
    name="AUDIT",
    description=_("Alcohol Use Disorders Identification Test (WHO)."),
    items=AUDIT_ITEMS,
    bands=(
        Band("low", _("Low risk"), 0, 7),
        Band("increasing", _("Increasing risk"), 8, 15),
        Band("harmful", _("Harmful"), 16, 19),
        Band("possible_dependence", _("Possible dependence"), 20, 40),
    ),
    score_max=40,
    severity_flag_at=20,
    default_interval=timedelta(weeks=12),
)

AUDIT_C = Measure(
    code="AUDITC",
    loinc_panel="72109-2",
    loinc_total="75626-2",
    name="AUDIT-C",
    description=_("The first three AUDIT questions, about how much and how often."),
    items=AUDIT_ITEMS[:3],
    bands=(
        # DOMAIN.md: positive at 4+ for men and 3+ for women. The product records no sex, so
        # a score of 3 is shown as "positive for some people" rather than guessing.
        Band("negative", _("Below screening threshold"), 0, 2, _("negative")),
        Band("positive_women", _("Positive for women (3+)"), 3, 3, _("positive for women")),
        Band("positive", _("Positive (4+)"), 4, 12, _("positive")),
    ),
    score_max=12,
    default_interval=timedelta(weeks=12),
)

DAST10 = Measure(
    code="DAST10",
    loinc_panel="82666-9",
    loinc_total="82667-7",
    name="DAST-10",
    description=wording(
        "These questions refer to drug use in the past 12 months, other than alcohol and "
        "medicines taken as prescribed."
    ),
    items=tuple(
        Item(f"q{i}", text, YES_NO, reverse=(i == 3))
        for i, text in enumerate(
            [
                wording("Have you used drugs other than those required for medical reasons?"),
                wording("Do you use more than one drug at a time?"),
                wording("Are you always able to stop using drugs when you want to?"),
                wording("Have you had blackouts or flashbacks as a result of drug use?"),
                wording("Do you ever feel bad or guilty about your drug use?"),
                wording(
                    "Does your spouse (or parents) ever complain about your involvement with drugs?"
                ),
                wording("Have you neglected your family because of your use of drugs?"),
                wording("Have you engaged in illegal activities in order to obtain drugs?"),
                wording(
                    "Have you ever experienced withdrawal symptoms (felt sick) when you stopped "
                    "taking drugs?"
                ),
                wording(
                    "Have you had medical problems as a result of your drug use (e.g. memory "
                    "loss, hepatitis, convulsions, bleeding)?"
                ),
            ],
            start=1,
        )
    ),
    bands=(
        Band("none", _("No problems reported"), 0, 0),
        Band("low", _("Low"), 1, 2),
        Band("moderate", _("Moderate"), 3, 5),
        Band("substantial", _("Substantial"), 6, 8),
        Band("severe", _("Severe"), 9, 10),
    ),
    score_max=10,
    severity_flag_at=6,
    default_interval=timedelta(weeks=12),
)

_WHO5_SCALE = (
    Choice("5", wording("All of the time"), 5),
    Choice("4", wording("Most of the time"), 4),
    Choice("3", wording("More than half of the time"), 3),
    Choice("2", wording("Less than half of the time"), 2),
    Choice("1", wording("Some of the time"), 1),
    Choice("0", wording("At no time"), 0),
)

WHO5 = Measure(
    code="WHO5",
    name="WHO-5",
    description=wording("Over the last two weeks..."),
    items=tuple(
        Item(f"q{i}", text, _WHO5_SCALE)
        for i, text in enumerate(
            [
                wording("I have felt cheerful and in good spirits"),
                wording("I have felt calm and relaxed"),
                wording("I have felt active and vigorous"),
                wording("I woke up feeling fresh and rested"),
                wording("My daily life has been filled with things that interest me"),
            ],
            start=1,
        )
    ),
    # Reported as a percentage (raw 0-25 x 4). Raw below 13 (below 52 of 100) is poor wellbeing.
    bands=(
        Band("poor", _("Poor wellbeing"), 0, 48),
        Band("adequate", _("Adequate wellbeing"), 52, 100),
    ),
    score_max=100,
    multiplier=4,
    meaningful_change=10,
    higher_is_better=True,
    default_interval=timedelta(weeks=4),
    score_unit="%",
)

MEASURES: dict[str, Measure] = {m.code: m for m in (PHQ9, GAD7, AUDIT, AUDIT_C, DAST10, WHO5)}


def screening_measures() -> dict[str, Measure]:
    """The measures whose results at a threshold are screening results (AUDIT, DAST-10),
    read from the registry: a measure added with `severity_flag_at` joins them."""
    return {code: m for code, m in MEASURES.items() if m.screens}


def get_measure(code: str) -> Measure:
    """The measure with this code; KeyError for an unknown one."""
    return MEASURES[code]
