"""Writes of what the client reports from their phone into this app's own rows (the weekly use
diary, the relaxation-practice log). Kept apart from services.py, which composes the link kinds
(selfreport/kinds.py) that call these: one direction, no cycle.

Both write in the name of the clinician who sent the link, as the measure kind does, so a link
stops working the moment that clinician may no longer write in the chart.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from clients.models import Client, SubstanceUse
from goals import services as goal_services
from goals.models import UseCheckIn
from hrp import access, formats
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from selfreport.models import PracticeLog, UseDiary


@transaction.atomic
def use_diary_record(
    *,
    actor: User,
    client: Client,
    week_start: datetime.date,
    entries: Sequence[dict[str, Any]],
    substances: dict[int, SubstanceUse],
) -> UseDiary:
    """Store the client's week: each substance's use days, amount and unit through goals' own
    check-in service (source "client"), so days above plan are worked out from the plan in force
    that week exactly as for a week recorded in a session, and the whole of what they said as a
    UseDiary row. A week already recorded in a session keeps its numbers (goals.services
    .checkin_record). Side effects: `checkin.record` per substance, `self_report.diary_record`."""
    access.require_write(actor, client)
    for entry in entries:
        amount = entry.get("amount")
        goal_services.checkin_record(
            actor=actor,
            client=client,
            substance=substances[entry["substance"]],
            week=week_start,
            use_days=entry["use_days"],
            typical_amount=Decimal(amount) if amount else None,
            amount_unit=entry.get("unit", ""),
            source=UseCheckIn.Source.CLIENT,
        )
    diary = UseDiary.objects.create(client=client, week_start=week_start, entries=list(entries))
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_DIARY_RECORD,
        actor=actor,
        obj=diary,
        chart_number=client.chart_number,
        changes={"week_start": (None, week_start), "substances": (None, len(entries))},
    )
    return diary


@transaction.atomic
def practice_log_record(
    *,
    actor: User,
    client: Client,
    days: list[datetime.date],
    minutes: int,
    practice: str,
    practice_other: str,
    feeling_before: int,
    feeling_after: int,
) -> PracticeLog:
    """Store the client's relaxation practice as a row of the chart. Side effect:
    `self_report.practice_record` (how many days, never what they wrote)."""
    access.require_write(actor, client)
    log = PracticeLog(
        client=client,
        days=[formats.iso_date(day) for day in sorted(set(days))],
        minutes=minutes,
        practice=practice,
        practice_other=practice_other,
        feeling_before=feeling_before,
        feeling_after=feeling_after,
    )
    log.full_clean()
    log.save()
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SELF_REPORT_PRACTICE_RECORD,
        actor=actor,
        obj=log,
        chart_number=client.chart_number,
        changes={"days": (None, len(log.days))},
    )
    return log
