"""Demo assessments for `manage.py seed_demo` (DEMO_MODE only): the measures given since each
client's intake (the first ones at the intake meeting) and two harm assessments, the first at the
intake, so trend charts show real movement — mostly toward less harm, with some setbacks. Skips
clients that already have measures, so re-running adds nothing."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from assessments import services
from assessments.measures import MEASURES, Measure
from assessments.selectors import STRENGTH_KEYS
from clients.demo import intake_at
from clients.models import Client, Referral, SubstanceUse
from risk import services as risk_services
from risk.models import RiskFlag

DRUGS = {
    SubstanceUse.Substance.HEROIN_FENTANYL,
    SubstanceUse.Substance.OPIOIDS_PRESCRIBED,
    SubstanceUse.Substance.STIMULANTS_COCAINE,
    SubstanceUse.Substance.METHAMPHETAMINE,
    SubstanceUse.Substance.BENZODIAZEPINES,
    SubstanceUse.Substance.CANNABIS,
    SubstanceUse.Substance.MDMA,
    SubstanceUse.Substance.PSYCHEDELICS,
    SubstanceUse.Substance.OTHER,
}
OPIOIDS = {SubstanceUse.Substance.HEROIN_FENTANYL, SubstanceUse.Substance.OPIOIDS_PRESCRIBED}
S = SubstanceUse.Substance

# The concrete harms each client names per substance, in their words (part of life, what
# happens, severity at intake). The first is the one the demo's main goal answers; the second
# is left for the plan page's "harms no goal answers yet".
NAMED_HARMS: dict[str, list[tuple[str, str, int]]] = {
    S.ALCOHOL: [
        ("work", "Misses Monday shifts after weekend drinking", 2),
        ("relationships", "Arguments with my partner when I come home late and drunk", 2),
    ],
    S.CANNABIS: [
        ("safety", "Drives to pick up my kid after smoking", 2),
        ("financial", "Runs out of money for groceries by the end of the month", 1),
    ],
    S.BENZODIAZEPINES: [
        ("physical", "Can't remember parts of the evening when I take pills with wine", 3),
        ("work", "Panics about running out before a big meeting", 1),
    ],
    S.METHAMPHETAMINE: [
        ("physical", "Awake for two days straight before double shifts", 3),
        ("mental", "Paranoid and snapping at coworkers on the third day", 2),
    ],
    "opioids": [
        ("safety", "Uses alone in my room where nobody would find me", 3),
        ("financial", "Rent money is gone by the middle of the month", 2),
    ],
    "other": [
        ("financial", "Spends more on {name} than I planned most weeks", 2),
        ("relationships", "My family worries when I disappear for a night", 1),
    ],
}


def named_harms(substance: SubstanceUse) -> list[tuple[str, str, int]]:
    """The demo harms the client names with `substance` (part of life, words, severity)."""
    key = "opioids" if substance.substance in OPIOIDS else substance.substance
    harms = NAMED_HARMS.get(key, NAMED_HARMS["other"])
    return [
        (domain, words.format(name=substance.name.lower()), sev) for domain, words, sev in harms
    ]


def _answers(measure: Measure, severity: float, rng: random.Random) -> dict[str, str]:
    """Answers whose points lean toward `severity` (0 = none, 1 = most), item by item."""
    answers = {}
    for item in measure.items:
        choices = sorted(item.choices, key=lambda c: item.points(c.value))
        index = round(severity * (len(choices) - 1) + rng.uniform(-0.6, 0.6))
        answers[item.key] = choices[max(0, min(len(choices) - 1, index))].value
    return answers


def _severity_path(start: float, steps: int, rng: random.Random) -> list[float]:
    """Mostly downward, with a setback somewhere along the way."""
    setback = rng.randrange(1, steps) if steps > 2 else -1
    values: list[float] = []
    value = start
    for step in range(steps):
        values.append(max(0.0, min(1.0, value)))
        value += 0.12 if step == setback else -rng.uniform(0.04, 0.12)
    return values


def _schedule(
    first: datetime.datetime, until: datetime.datetime, every_days: int, rng: random.Random
) -> list[datetime.datetime]:
    """The first time, then one every `every_days` (a day or three late, as sessions fall)
    up to `until`."""
    times = [first]
    while True:
        step = len(times)
        when = first + datetime.timedelta(days=step * every_days + rng.randint(0, 3))
        if when > until:
            return times
        times.append(when)


@transaction.atomic
def seed_demo_assessments(*, clients: list[Client]) -> int:
    """Add measures and harm assessments to demo clients; returns how many clients got them."""
    rng = random.Random(4)  # demo data, not security
    now = timezone.now()
    seeded = 0
    for index, client in enumerate(clients):
        if client.administrations.exists() or client.intake.is_draft:
            continue
        therapist = client.therapist
        substances = list(client.substances.all())
        kinds = {s.substance for s in substances}
        plan: list[tuple[str, int]] = [("PHQ9", 28), ("GAD7", 28)]
        if SubstanceUse.Substance.ALCOHOL in kinds:
            plan.append(("AUDIT", 84))
        if kinds & DRUGS:
            plan.append(("DAST10", 84))
        if index % 3 == 0:
            plan.append(("WHO5", 28))
        start_severity = rng.uniform(0.35, 0.8)
        # Given first at the intake meeting, then every `every_days` until today. Some clients'
        # measures have not been given again on time (the last ones stop 35 days short): overdue.
        first = intake_at(client) + datetime.timedelta(minutes=30)
        until = now - datetime.timedelta(days=35 if index % 6 == 2 else 0, hours=2)
        for code, every_days in plan:
            measure = MEASURES[code]
            times = _schedule(first, until, every_days, rng)
            steps = len(times)
            for step, (when, severity) in enumerate(
                zip(times, _severity_path(start_severity, steps, rng), strict=True)
            ):
                if code in ("AUDIT", "DAST10"):
                    severity *= 0.75  # their top bands are for the heaviest patterns
                answers = _answers(
                    measure, 1 - severity if measure.higher_is_better else severity, rng
                )
                if code == "PHQ9":
                    answers["q9"] = "0"
                    # One client's latest PHQ-9 and another's first raise the suicide flag.
                    if (index == 1 and step == steps - 1) or (index == 4 and step == 0):
                        answers["q9"] = "1"
                administration = services.administration_record(
                    actor=therapist,
                    client=client,
                    measure_code=code,
                    answers=answers,
                    administered_at=when,
                )
                if administration.suicide_risk and index == 4:
                    risk_services.risk_flag_follow_up(
                        actor=therapist,
                        flag=RiskFlag.objects.get(
                            source_key=services.PHQ9_SOURCE, source_id=administration.pk
                        ),
                        action=(
                            "Talked through the thoughts together; no plan or intent. Made a "
                            "safety plan and shared crisis line numbers."
                        ),
                        done_at=when + datetime.timedelta(minutes=20),
                    )
        _seed_harm_assessments(client, substances, rng)
        seeded += 1
    return seeded


LATER_STRENGTHS: list[dict[str, str]] = [
    {
        "strengths": "I kept to my plan at the wedding. I can say no when I mean it.",
        "supports": "My sister, and now the Thursday group here.",
        "past_changes": "Weeknights without drinking for a month now. Planning ahead works.",
    },
    {
        "strengths": "I'm patient with myself more than I was.",
        "supports": "Lou, my GP, and the peer worker at the drop-in.",
        "past_changes": "Carrying naloxone and using with a friend, never alone.",
    },
]
STAGE_ORDER = ["precontemplation", "contemplation", "preparation", "action", "maintenance"]


def _stage_later(stage: str, seed: int) -> str:
    """A step on from `stage` for most substances; one in three stays where it was."""
    if not stage or seed % 3 == 0:
        return stage
    return STAGE_ORDER[min(STAGE_ORDER.index(stage) + 1, len(STAGE_ORDER) - 1)]


def _seed_harm_assessments(
    client: Client, substances: list[SubstanceUse], rng: random.Random
) -> None:
    today = timezone.localdate()
    # The first at the intake meeting, the second three weeks ago.
    dates = (timezone.localdate(intake_at(client)), today - datetime.timedelta(days=20))
    uses_opioids = any(s.substance in OPIOIDS for s in substances)
    on_probation = client.referral.mandate_kind == Referral.MandateKind.CRIMINAL_JUSTICE
    injects = any("inject" in s.route for s in substances)
    balances = [
        {
            "benefits_of_use": "Helps me unwind\nFeels like the only time I relax",
            "costs_of_use": "Hangovers at work\nArguments at home",
            "benefits_of_change": "More money\nSleep better",
            "costs_of_change": "Lose my way to cope\nFriends might not get it",
        },
        {
            "benefits_of_use": "Helps me unwind",
            "costs_of_use": "Hangovers at work\nArguments at home\nMissed my kid's game",
            "benefits_of_change": "More money\nSleep better\nFeel proud of myself",
            "costs_of_change": "Friends might not get it",
        },
    ]
    earlier: list = []  # the harms named at the previous assessment, carried into the next
    for step, assessed_on in enumerate(dates):
        harm = max(0, 3 - step - rng.randint(0, 1))
        values = {
            "assessed_on": assessed_on,
            "physical_rating": harm,
            "physical_words": "Tired all the time" if harm else "",
            "mental_rating": min(3, harm + rng.randint(0, 1)),
            "relationships_rating": max(0, harm - rng.randint(0, 1)),
            "work_rating": max(0, harm - 1),
            # The intake meeting did not come to legal harms unless the client came from a
            # court: "not asked" the first time, asked at the next assessment.
            "legal_rating": 2 if on_probation else (None if step == 0 else 0),
            "financial_rating": max(0, harm - 1),
            "safety_rating": 1 if uses_opioids else 0,
            "uses_alone": uses_opioids and step == 0,
            "mixes_depressants": uses_opioids and step == 0,
            "lowered_tolerance": False,
            "unknown_supply": uses_opioids,
            "injects": injects,
            "previous_overdose": False,
            "has_naloxone": uses_opioids and step == 1,
            "has_test_strips": uses_opioids and step == 1,
            "has_sterile_supplies": injects,
            **balances[step],
        }
        if step == 1:
            # Three weeks ago, in their words again: a little more to say than at intake.
            values.update(LATER_STRENGTHS[client.pk % len(LATER_STRENGTHS)])
        else:
            values.update({key: getattr(client.intake, key) for key in STRENGTH_KEYS})
        patterns = [
            {
                "substance": s,
                "substance_name": s.name,
                "dose": s.amount,
                "frequency": s.frequency,
                "route": s.route,
                "setting": s.setting,
                "with_whom": "alone" if step == 0 else "with a friend",
                "functions": rng.sample(["coping", "managing_feelings", "sleep", "pleasure"], 2),
                "importance": min(10, 5 + step * 2),
                "confidence": min(10, 3 + step * 3),
                "readiness": min(10, 4 + step * 3),
                # The intake's stage at the first, and most often a step on at the second:
                # the history on the chart shows the movement.
                "stage_of_change": (
                    s.stage_of_change if step == 0 else _stage_later(s.stage_of_change, s.pk)
                ),
            }
            for s in substances
        ]
        if earlier:
            # Talked through again: the same harms, a little lighter for most clients.
            harms = [
                {
                    "carries": h,
                    "substance": h.substance,
                    "domain": h.domain,
                    "description": h.description,
                    "severity": max(1, (h.severity or 1) - rng.randint(0, 1)),
                }
                for h in earlier
            ]
        else:
            harms = [
                {"substance": s, "domain": domain, "description": words, "severity": severity}
                for s in substances
                for domain, words, severity in named_harms(s)
            ]
        assessment = services.harm_assessment_record(
            actor=client.therapist,
            client=client,
            values=values,
            patterns=patterns,
            harms=harms,
        )
        earlier = list(assessment.identified_harms.select_related("substance").order_by("id"))
