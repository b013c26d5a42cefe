"""Demo risk flags for `manage.py seed_demo` (DEMO_MODE only).

The flags themselves come out of the demo's measures, harm assessments and notes, raised by
their services as in a real clinic. What a therapist would have done since is added here: of
each client's flags of one kind, all but the newest were followed up and resolved at the time.
The newest stay as they are (open, or followed up where the demo recorded a follow-up), so the
demo shows open, acute, followed-up and resolved flags. Re-running changes nothing.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients.models import Client
from risk import services
from risk.models import RiskFlag

ACTION = "Talked it through together at the next session; the plan for staying safer is in place."
RESOLUTION = "Reviewed at the next session: the client feels safe and knows who to call."


@transaction.atomic
def seed_demo_risk(*, clients: list[Client]) -> int:
    """Follow up and resolve the older unresolved flags of each demo client; the number
    resolved."""
    resolved = 0
    newest: set[tuple[int, str]] = set()
    flags = (
        RiskFlag.objects.filter(client__in=clients, state__in=RiskFlag.UNRESOLVED)
        .select_related("client__therapist")
        .order_by("client_id", "kind", "-opened_at", "-id")
    )
    now = timezone.now()
    for flag in flags:
        key = (flag.client_id, flag.kind)
        if key not in newest:
            newest.add(key)
            continue
        therapist = flag.client.therapist
        if therapist is None:
            continue
        done_at = min(now, flag.opened_at + datetime.timedelta(days=1))
        if flag.state == RiskFlag.State.OPEN:
            services.risk_flag_follow_up(actor=therapist, flag=flag, action=ACTION, done_at=done_at)
        services.risk_flag_resolve(
            actor=therapist, flag=flag, resolution=RESOLUTION, resolved_at=done_at
        )
        resolved += 1
    return resolved
