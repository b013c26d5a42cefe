"""Demo plans and goals for `manage.py seed_demo` (DEMO_MODE only): plans with two to four
versions, goals of every kind (most not abstinence; exploring where the client is undecided),
each use goal answering a harm the client named, several reviewed and revised, and ten weeks
of use check-ins so progress shows. Goals start three weeks after the client's intake. Skips
clients that already have a plan."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assessments.models import IdentifiedHarm
from clients.demo import intake_at
from clients.models import Client, SubstanceUse
from goals import services
from goals.models import Goal, GoalReview, Plan, PlanReview

GOAL_KIND = {
    SubstanceUse.Goal.SAFER_USE: Goal.Kind.SAFER_USE,
    SubstanceUse.Goal.MODERATION: Goal.Kind.MODERATION,
    SubstanceUse.Goal.ABSTINENCE: Goal.Kind.ABSTINENCE,
    # Undecided stays undecided: the goal is to explore, not a use goal chosen for them.
    SubstanceUse.Goal.UNDECIDED: Goal.Kind.EXPLORING,
}
S = SubstanceUse.Substance
OPIOIDS = {S.HEROIN_FENTANYL, S.OPIOIDS_PRESCRIBED}

# Each goal's words and its hypothesis are written together, here: the hypothesis is the
# experiment the goal tests ("If I ..., I expect ..."), so it is about the same thing. A safer-use
# goal follows the substance (DOMAIN.md: naloxone and never using alone are about opioids).
SAFER_USE_GOALS: dict[str, tuple[str, str]] = {
    "opioids": (
        "Carry naloxone and never use alone",
        "If I keep naloxone with me and never use alone, I expect that someone could reverse an "
        "overdose in time.",
    ),
    S.BENZODIAZEPINES: (
        "Never mix {name} with alcohol or opioids",
        "If I keep {name} to days without alcohol or opioids, I expect to stay out of overdose "
        "danger.",
    ),
    S.CANNABIS: (
        "Keep {name} away from driving and from my kid",
        "If I only use {name} at home after my kid is asleep, I expect no more driving high and "
        "no more being high around my kid.",
    ),
    S.ALCOHOL: (
        "Eat first and drink water between drinks",
        "If I eat before drinking and have water between drinks, I expect fewer blackouts and "
        "easier mornings.",
    ),
    "other": (
        "Test {name} before I take it",
        "If I test {name} with strips before I take it, I expect to know what is in it and to "
        "skip a bad batch.",
    ),
}
MODERATION_GOAL = (
    "{Use} on fewer days",
    "If I decide in the morning whether today is a {name} day, I expect to {use} on fewer days "
    "and feel more in control of my week.",
)
ABSTINENCE_GOAL = (
    "A month without {name}",
    "If I plan something else for the evenings I used to spend on {name}, I expect to get "
    "through a month without {name}.",
)
EXPLORING_GOAL = (
    "Figure out what {name} does for me",
    "If I notice what I am feeling before I {use}, I expect to learn what it does for me and "
    "whether I want to change anything.",
)
# The revision of a moderation goal that proved too big a step at its first review.
REVISED_GOAL = (
    "{Use} on four days at most, then three",
    "If I plan my weekends ahead, I expect to {use} on four days a week at most.",
)
LIFE_GOALS = [
    (
        "Walk to the park three mornings a week",
        "If I walk in the morning, I expect less anxiety at work.",
    ),
    ("Call my sister every Sunday", "If I call her, I expect to feel less alone at the weekend."),
    (
        "Cook dinner at home four nights",
        "If I eat at home, I expect to spend less and sleep better.",
    ),
]


def _fill(texts: tuple[str, str], substance: SubstanceUse) -> tuple[str, str]:
    name = substance.name.lower()
    use = "gamble" if substance.substance == S.GAMBLING else f"use {name}"
    values = {"name": name, "use": use, "Use": use[0].upper() + use[1:]}
    return texts[0].format(**values), texts[1].format(**values)


def goal_texts(kind: str, substance: SubstanceUse) -> tuple[str, str]:
    """The client's words and the hypothesis of the demo's goal of `kind` for `substance`."""
    if kind == Goal.Kind.SAFER_USE:
        key = "opioids" if substance.substance in OPIOIDS else substance.substance
        return _fill(SAFER_USE_GOALS.get(key, SAFER_USE_GOALS["other"]), substance)
    if kind == Goal.Kind.ABSTINENCE:
        return _fill(ABSTINENCE_GOAL, substance)
    if kind == Goal.Kind.EXPLORING:
        return _fill(EXPLORING_GOAL, substance)
    return _fill(MODERATION_GOAL, substance)


def revised_goal_texts(substance: SubstanceUse) -> tuple[str, str]:
    return _fill(REVISED_GOAL, substance)


def _section(substance: SubstanceUse, version: int) -> dict:
    limit = {1: "", 2: "3 drinks", 3: "2 drinks", 4: "2 drinks"}[version]
    return {
        "name": substance.name,
        "current_pattern": ", ".join(
            p
            for p in (substance.amount, substance.frequency, substance.route, substance.setting)
            if p
        ),
        "dose_limit": limit if substance.substance == SubstanceUse.Substance.ALCOHOL else "",
        "max_days_per_week": {1: None, 2: 4, 3: 3, 4: 3}[version],
        # The limits in numbers that the weekly check-ins are measured against.
        "max_amount_per_day": {1: None, 2: "4", 3: "3", 4: "3"}[version]
        if substance.substance == SubstanceUse.Substance.ALCOHOL
        else None,
        "amount_unit": "drinks"
        if substance.substance == SubstanceUse.Substance.ALCOHOL and version > 1
        else "",
        "route": "smoking instead of injecting"
        if "inject" in substance.route and version > 1
        else "",
        "setting_company": "never alone" if version > 1 else "",
        "safer_use": ["food_water", "never_alone"] if version > 1 else ["food_water"],
        "alternatives": {"coping": "a walk or a call to a friend"} if version > 2 else {},
        "client_words": "I want the good nights without losing the next day.",
        "clinician_notes": "Built together; revisit after the next two weeks."
        if version > 1
        else "",
    }


@transaction.atomic
def seed_demo_goals(*, clients: list[Client]) -> int:
    rng = random.Random(5)  # demo data, not security
    today = timezone.localdate()
    seeded = 0
    for index, client in enumerate(clients):
        if client.intake.is_draft or Plan.objects.filter(client=client).exists():
            continue
        therapist = client.therapist
        substances = list(client.substances.all())
        if not substances:
            continue
        versions = 2 + index % 3
        # The first plan a week after intake, each later version three weeks on (the last one
        # at most three weeks ago, so that its review after three weeks of check-ins is due).
        now = timezone.now()
        last_at = now - datetime.timedelta(weeks=3)
        first_at = intake_at(client) + datetime.timedelta(weeks=1)
        step = datetime.timedelta(weeks=3)
        saved = [
            min(first_at + step * n, last_at - step * (versions - 1 - n)) for n in range(versions)
        ]
        if saved[0] < intake_at(client):
            saved = [intake_at(client) + datetime.timedelta(hours=n + 1) for n in range(versions)]
        saved = [
            min(at, now - datetime.timedelta(hours=versions - n)) for n, at in enumerate(saved)
        ]
        for number in range(1, versions + 1):
            services.plan_save(
                actor=therapist,
                client=client,
                saved_at=saved[number - 1],
                sections=[_section(s, number) for s in substances],
                reason=[
                    "First plan together",
                    "Added limits",
                    "Swapped in alternatives",
                    "Fine-tuned",
                ][number - 1],
            )
        main = substances[0]
        kind = GOAL_KIND[main.goal]
        # Three weeks after the intake, once the first plan has been talked through.
        start = timezone.localdate(intake_at(client)) + datetime.timedelta(weeks=3)
        if not Goal.Kind(kind).about_use:
            target = Goal.Target.NONE
        elif kind != Goal.Kind.SAFER_USE:
            target = Goal.Target.MAX_USE_DAYS
        elif main.substance in OPIOIDS:
            target = Goal.Target.CARRIES_NALOXONE
        else:
            target = Goal.Target.NONE
        words, hypothesis = goal_texts(kind, main)
        # The goal answers the first harm the client named with this substance at intake (it
        # still answers it in the later assessment that carried it over); the client's other
        # harms are left for the plan's "harms no goal answers yet".
        answers = list(
            IdentifiedHarm.objects.filter(
                assessment__client=client, substance=main, first_identified__isnull=True
            ).order_by("id")[:1]
        )
        goal = services.goal_create(
            actor=therapist,
            client=client,
            values={
                "kind": kind,
                "substance": main,
                "client_words": words,
                "hypothesis": hypothesis,
                "target": target,
                "target_value": (
                    Decimal(0 if kind == Goal.Kind.ABSTINENCE else 3)
                    if target == Goal.Target.MAX_USE_DAYS
                    else None
                ),
                "start_date": start,
                "review_date": start + datetime.timedelta(weeks=4),
                "harms": answers,
            },
        )
        # Another substance the client has not decided about: exploring it is the goal.
        for other in substances[1:]:
            if other.goal == SubstanceUse.Goal.UNDECIDED and kind != Goal.Kind.EXPLORING:
                exploring_words, exploring_hypothesis = goal_texts(Goal.Kind.EXPLORING, other)
                services.goal_create(
                    actor=therapist,
                    client=client,
                    values={
                        "kind": Goal.Kind.EXPLORING,
                        "substance": other,
                        "client_words": exploring_words,
                        "hypothesis": exploring_hypothesis,
                        "target": Goal.Target.NONE,
                        "target_value": None,
                        "start_date": start,
                        "review_date": today + datetime.timedelta(days=rng.randint(3, 21)),
                    },
                )
                break
        # Several goals are reviewed; some revised into a more realistic version.
        if index % 2 == 0:
            revise = index % 4 == 0 and kind == Goal.Kind.MODERATION
            services.goal_review_record(
                actor=therapist,
                goal=goal,
                values={
                    "reviewed_on": start + datetime.timedelta(weeks=4),
                    "what_happened": (
                        "Noticed it is mostly about getting to sleep; not ready to change yet."
                        if kind == Goal.Kind.EXPLORING
                        else "Used on 4 days most weeks; two weeks within the plan."
                    ),
                    "realistic": GoalReview.Realistic.PARTLY,
                    "learned": (
                        "Evenings alone are when it matters most."
                        if kind == Goal.Kind.EXPLORING
                        else "Weekends with old friends are the hard part."
                    ),
                    "decision": GoalReview.Decision.REVISE if revise else GoalReview.Decision.KEEP,
                    "next_review_date": None
                    if revise
                    else today + datetime.timedelta(days=rng.randint(-3, 20)),
                },
                new_goal_values=(
                    {
                        "kind": kind,
                        "substance": main,
                        "client_words": revised_goal_texts(main)[0],
                        "hypothesis": revised_goal_texts(main)[1],
                        "target": Goal.Target.MAX_USE_DAYS,
                        "target_value": Decimal(4),
                        "start_date": start + datetime.timedelta(weeks=4),
                        "review_date": today + datetime.timedelta(days=rng.randint(-2, 14)),
                        "harms": answers,
                    }
                    if revise
                    else None
                ),
            )
        if index % 5 == 1:
            life_words, life_hypothesis = LIFE_GOALS[index % len(LIFE_GOALS)]
            life = services.goal_create(
                actor=therapist,
                client=client,
                values={
                    "kind": Goal.Kind.LIFE,
                    "substance": None,
                    "client_words": life_words,
                    "hypothesis": life_hypothesis,
                    "target": "",
                    "target_value": None,
                    "start_date": start,
                    "review_date": start + datetime.timedelta(weeks=6),
                },
            )
            services.goal_review_record(
                actor=therapist,
                goal=life,
                values={
                    "reviewed_on": start + datetime.timedelta(weeks=6),
                    "what_happened": "Did it most weeks and liked it.",
                    "realistic": GoalReview.Realistic.YES,
                    "learned": "Mornings work better than evenings.",
                    "decision": GoalReview.Decision.ACHIEVED,
                },
            )
        # Ten weeks of check-ins, trending toward the plan with a setback week.
        for week in range(10):
            use_days = max(0, 5 - week // 2 + (2 if week == 6 else 0) - rng.randint(0, 1))
            day = start + datetime.timedelta(weeks=week)
            if day > today:
                break
            # Days above plan are worked out from the plan version in force that week.
            services.checkin_record(
                actor=therapist,
                client=client,
                substance=main,
                week=day,
                use_days=use_days,
                typical_amount=Decimal(max(1, 6 - week // 2)),
                amount_unit="drinks" if main.substance == SubstanceUse.Substance.ALCOHOL else "",
            )
        # The plan tested as a hypothesis: half the plans were reviewed after three weeks of
        # check-ins against their latest version; the others' reviews are due or overdue.
        latest = client.plan.versions.order_by("-number").first()
        if latest is not None and index % 2 == 1:
            reviewed_on = timezone.localdate(latest.created_at) + datetime.timedelta(weeks=3)
            if reviewed_on <= today:
                services.plan_review_record(
                    actor=therapist,
                    version=latest,
                    values={
                        "reviewed_on": reviewed_on,
                        "what_happened": "Three weeks of check-ins: within the plan on most "
                        "days, above it one weekend with old friends.",
                        "realistic": "partly",
                        "harms_changed": "Fewer hungover mornings; missed no work.",
                        "learned": "Planning the weekend on Friday helps; the day limit fits.",
                        "outcome": PlanReview.Outcome.KEEP,
                        "next_review_date": max(
                            reviewed_on + datetime.timedelta(days=1),
                            today + datetime.timedelta(days=rng.randint(-3, 25)),
                        ),
                    },
                )
        seeded += 1
    return seeded
