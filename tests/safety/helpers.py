"""Shared builders for the safety tests: plans and windows made through the services, as the
pages make them."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from safety import services
from safety.models import OverdosePlanVersion, SafetyPlanVersion, ToleranceWindow

STEPS = {
    "warning_signs": "When I stop answering my phone and stay in bed all day",
    "coping_alone": "Walk round the block twice, then a hot shower",
    "distractions": "The library on Elm Street; my neighbour June",
    "people_to_ask": "My sister Ana, 555 0100",
    "professionals": "My therapist Tess at the clinic",
    "safer_surroundings": "Ana keeps the spare pills at her place",
}

OVERDOSE = {
    "has_naloxone": True,
    "knows_naloxone": True,
    "fentanyl_strips": True,
    "xylazine_strips": False,
    "naloxone_where": "Kitchen drawer by the door",
    "never_alone": "My friend Sam comes by, or I call the line",
    "never_use_alone_line": "The never-use-alone line in my phone",
    "spacing": "Half first, then wait",
    "drug_checking": "Strips from the van on Tuesdays",
    "supply_route_changes": "A new batch: test it and go slow",
    "not_mixing": "No drinking on days I use",
    "client_words": "I want to see my kids grow up",
}


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def safety_version(
    therapist: User, client: Client, *, reason: str = "", **changes: Any
) -> SafetyPlanVersion:
    values = {**STEPS, "crisis_lines": services.default_crisis_lines(), **changes}
    version, _created = services.safety_plan_save(
        actor=therapist, client=client, values=values, review_date=days(28), reason=reason
    )
    return version


def overdose_version(
    therapist: User, client: Client, *, reason: str = "", **changes: Any
) -> OverdosePlanVersion:
    version, _created = services.overdose_plan_save(
        actor=therapist,
        client=client,
        values={**OVERDOSE, **changes},
        review_date=days(28),
        reason=reason,
    )
    return version


def window(
    therapist: User, client: Client, *, start: int, end: int | None = None
) -> ToleranceWindow:
    return services.tolerance_window_record(
        actor=therapist,
        client=client,
        reason=ToleranceWindow.Reason.RELEASE,
        start_date=days(start),
        end_date=days(end) if end is not None else None,
        note="Out on Monday",
    )
