"""Demo supplies for `manage.py seed_demo` (DEMO_MODE only): naloxone kits and fentanyl test
strips given to the clients who use opioids over the past months, sterile supplies to Marcus
(who injects), safer-smoking supplies to Leah, and one record set aside as entered twice, so
the chart, the summaries and the funders' report have something to show. Skips clients who
already have records."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients.models import Client
from supplies import services
from supplies.models import SupplyRecord

ITEM = SupplyRecord.Item
# legal name -> (days ago, item, quantity, how, note)
PLAN: dict[str, list[tuple[int, str, int, str, str]]] = {
    "Marcus Bell": [
        (80, ITEM.NALOXONE, 2, "given", "Showed him how to use it; one for home, one for his bag."),
        (80, ITEM.FENTANYL_STRIPS, 10, "given", ""),
        (52, ITEM.STERILE, 20, "given", ""),
        (45, ITEM.FENTANYL_STRIPS, 10, "given", ""),
        (30, ITEM.XYLAZINE_STRIPS, 5, "given", ""),
        (18, ITEM.NALOXONE, 1, "given", "Used one on a friend last week; replaced it."),
        (18, ITEM.STERILE, 1, "referred", "The syringe services program has more on Tuesdays."),
    ],
    "Tomás Herrera": [
        (70, ITEM.NALOXONE, 1, "given", ""),
        (70, ITEM.FENTANYL_STRIPS, 10, "given", "Pills bought on the street: test every batch."),
        (25, ITEM.FENTANYL_STRIPS, 10, "given", ""),
    ],
    "Aaliyah Johnson": [
        (40, ITEM.SAFER_SMOKING, 2, "given", ""),
        (40, ITEM.FENTANYL_STRIPS, 5, "given", ""),
    ],
}


@transaction.atomic
def seed_demo_supplies(*, clients: list[Client]) -> int:
    """Returns how many clients were given supply records."""
    today = timezone.localdate()
    already = set(
        SupplyRecord.objects.filter(client__in=clients).values_list("client_id", flat=True)
    )
    seeded = 0
    for client in clients:
        rows = PLAN.get(client.legal_name)
        if not rows or client.pk in already or client.therapist is None:
            continue
        for days_ago, item, quantity, how, note in rows:
            services.supply_record(
                actor=client.therapist,
                client=client,
                item=item,
                quantity=quantity,
                given_on=today - datetime.timedelta(days=days_ago),
                how=how,
                note=note,
            )
        if client.legal_name == "Tomás Herrera":
            twice = services.supply_record(
                actor=client.therapist,
                client=client,
                item=ITEM.FENTANYL_STRIPS,
                quantity=10,
                given_on=today - datetime.timedelta(days=25),
            )
            services.supply_void(
                actor=client.therapist,
                client=client,
                record=twice,
                reason="Entered twice.",
            )
        seeded += 1
    return seeded
