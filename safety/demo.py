"""Demo safety records for `manage.py seed_demo` (DEMO_MODE only), coherent with the demo
clients' intake words:

- Marcus ("I got out three months ago and my tolerance is gone. I'm scared of using alone."):
  the period after his release from jail, now closed, and a second one open today, after a
  two-week hospital stay for an abscess that ended ten days ago; an overdose prevention plan
  in two versions (the second after the hospital stay).
- Leah, whose first PHQ-9 had a suicide-risk answer followed up with "Made a safety plan":
  a safety plan in two versions.

Skips a client who already has what it would add, so seeding twice changes nothing."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients.models import Client
from safety import services
from safety.models import OverdosePlan, SafetyPlan, ToleranceWindow

MARCUS = "Marcus Bell"
LEAH = "Aaliyah Johnson"

LEAH_PLAN = {
    "warning_signs": "Not sleeping for two nights. Thinking everyone would be better off. "
    "Staying in my room after a double shift.",
    "coping_alone": "Shower and eat something. Music with headphones. Write down three things "
    "I got done today.",
    "distractions": "Sit in the kitchen with my cousin. The laundromat on 5th, it's busy and warm.",
    "people_to_ask": "My cousin Tasha. My friend Ray from work (he knows).",
    "professionals": "My therapist at the clinic, weekdays. My doctor's office.",
    "safer_surroundings": "Tasha keeps my sleeping pills and gives me one a night.",
}

MARCUS_PLAN = {
    "has_naloxone": True,
    "knows_naloxone": True,
    "fentanyl_strips": True,
    "xylazine_strips": False,
    "naloxone_where": "Front pocket of my backpack, and one in the kitchen drawer",
    "never_alone": "Text my brother Dee before I use; he comes by or calls after 10 minutes.",
    "never_use_alone_line": "Never Use Alone line, saved in my phone",
    "spacing": "Half of what I used to, wait and see, then decide.",
    "drug_checking": "Strips from the syringe program on Tuesdays.",
    "supply_route_changes": "New bag or new guy: test it and start with a small amount.",
    "not_mixing": "No pills and no drinking on the days I use.",
    "client_words": "I got out and my tolerance is gone. I want to stay alive and keep my job.",
}


@transaction.atomic
def seed_demo_safety(*, clients: list[Client]) -> int:
    """Add the safety records above; returns how many clients were given any."""
    today = timezone.localdate()
    by_name = {client.legal_name: client for client in clients}
    seeded = 0
    marcus = by_name.get(MARCUS)
    if marcus is not None and not ToleranceWindow.objects.filter(client=marcus).exists():
        therapist = marcus.therapist
        released = today - datetime.timedelta(weeks=13)
        services.tolerance_window_record(
            actor=therapist,
            client=marcus,
            reason=ToleranceWindow.Reason.RELEASE,
            start_date=released,
            note="Released from county jail after eight months.",
        )
        services.tolerance_window_record(
            actor=therapist,
            client=marcus,
            reason=ToleranceWindow.Reason.HOSPITAL,
            start_date=today - datetime.timedelta(days=10),
            note="Two weeks in hospital for an abscess; did not use while there.",
        )
        seeded += 1
    if marcus is not None and not OverdosePlan.objects.filter(client=marcus).exists():
        first = {**MARCUS_PLAN, "fentanyl_strips": False, "never_use_alone_line": ""}
        services.overdose_plan_save(
            actor=marcus.therapist,
            client=marcus,
            values=first,
            review_date=today - datetime.timedelta(days=20),
        )
        services.overdose_plan_save(
            actor=marcus.therapist,
            client=marcus,
            values=MARCUS_PLAN,
            review_date=today + datetime.timedelta(days=14),
            reason="After the hospital stay: test strips and the never-use-alone line added",
        )
    leah = by_name.get(LEAH)
    if leah is not None and not SafetyPlan.objects.filter(client=leah).exists():
        first = {**LEAH_PLAN, "safer_surroundings": "", "people_to_ask": "My cousin Tasha."}
        services.safety_plan_save(
            actor=leah.therapist,
            client=leah,
            values={**first, "crisis_lines": services.default_crisis_lines()},
            review_date=today - datetime.timedelta(days=30),
        )
        services.safety_plan_save(
            actor=leah.therapist,
            client=leah,
            values={**LEAH_PLAN, "crisis_lines": services.default_crisis_lines()},
            review_date=today + datetime.timedelta(days=28),
            reason="Added Ray, and Tasha keeping the sleeping pills",
        )
        seeded += 1
    return seeded
