"""Demo plans and goals for `manage.py seed_demo` (DEMO_MODE only): plans with two to four
versions, goals of every kind (most not abstinence), several reviewed and revised, and ten weeks
of use check-ins so progress shows. Skips clients that already have a plan."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clients.models import Client, SubstanceUse
from goals import services
from goals.models import Goal, GoalReview, Plan

GOAL_KIND = {
    SubstanceUse.Goal.SAFER_USE: Goal.Kind.SAFER_USE,
    SubstanceUse.Goal.MODERATION: Goal.Kind.MODERATION,
    SubstanceUse.Goal.ABSTINENCE: Goal.Kind.ABSTINENCE,
    SubstanceUse.Goal.UNDECIDED: Goal.Kind.SAFER_USE,
}
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
        for number in range(1, versions + 1):
            services.plan_save(
                actor=therapist,
                client=client,
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
        start = today - datetime.timedelta(weeks=10)
        target = (
            Goal.Target.MAX_USE_DAYS
            if kind != Goal.Kind.SAFER_USE
            else Goal.Target.CARRIES_NALOXONE
        )
        goal = services.goal_create(
            actor=therapist,
            client=client,
            values={
                "kind": kind,
                "substance": main,
                "client_words": {
                    Goal.Kind.MODERATION: f"Use {main.name.lower()} on fewer days",
                    Goal.Kind.ABSTINENCE: f"A month without {main.name.lower()}",
                    Goal.Kind.SAFER_USE: "Carry naloxone and never use alone",
                }[kind],
                "hypothesis": "If I plan my days ahead, I expect to feel more in control.",
                "target": target,
                "target_value": (
                    Decimal(0 if kind == Goal.Kind.ABSTINENCE else 3)
                    if target == Goal.Target.MAX_USE_DAYS
                    else None
                ),
                "start_date": start,
                "review_date": start + datetime.timedelta(weeks=4),
            },
        )
        # Several goals are reviewed; some revised into a more realistic version.
        if index % 2 == 0:
            revise = index % 4 == 0 and kind == Goal.Kind.MODERATION
            services.goal_review_record(
                actor=therapist,
                goal=goal,
                values={
                    "reviewed_on": start + datetime.timedelta(weeks=4),
                    "what_happened": "Used on 4 days most weeks; two weeks within the plan.",
                    "realistic": GoalReview.Realistic.PARTLY,
                    "learned": "Weekends with old friends are the hard part.",
                    "decision": GoalReview.Decision.REVISE if revise else GoalReview.Decision.KEEP,
                    "next_review_date": None
                    if revise
                    else today + datetime.timedelta(days=rng.randint(-3, 20)),
                },
                new_goal_values=(
                    {
                        "kind": kind,
                        "substance": main,
                        "client_words": f"Use {main.name.lower()} on four days at most, then three",
                        "hypothesis": "If I plan weekends ahead, I expect fewer days above plan.",
                        "target": Goal.Target.MAX_USE_DAYS,
                        "target_value": Decimal(4),
                        "start_date": start + datetime.timedelta(weeks=4),
                        "review_date": today + datetime.timedelta(days=rng.randint(-2, 14)),
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
            services.checkin_record(
                actor=therapist,
                client=client,
                substance=main,
                week=start + datetime.timedelta(weeks=week),
                use_days=use_days,
                days_above_plan=min(use_days, max(0, use_days - 3)),
                typical_amount=Decimal(max(1, 6 - week // 2)),
                amount_unit="drinks" if main.substance == SubstanceUse.Substance.ALCOHOL else "",
            )
        seeded += 1
    return seeded
