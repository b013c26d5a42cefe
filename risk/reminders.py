"""Reminders about risk flags, registered from RiskConfig.ready() (notifications/extensions.py).

- RISK_ACUTE: an acute flag reminds the therapist and their current supervisors at once (due
  when it was opened; the planner runs every minute).
- RISK_OPEN: a flag still unresolved `risk_open_days` (a clinic reminder timing) after it was
  opened or last followed up reminds the therapist again, and again every `risk_open_days`
  while nothing new is recorded; the supervisors too when the flag is acute.
The texts name no client and no clinical word.
"""

from __future__ import annotations

import datetime
import math

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.extensions import (
    GRACE,
    Kind,
    ReminderRule,
    Spec,
    in_window,
    staff_specs,
    supervisors_by_supervisee,
    timing,
)
from notifications.models import Reminder
from risk.models import RiskFlag
from risk.selectors import unresolved


def _since(flag: RiskFlag) -> datetime.datetime:
    return flag.last_follow_up_at or flag.opened_at


def next_reminder_due(
    flag: RiskFlag, now: datetime.datetime, every: datetime.timedelta
) -> datetime.datetime:
    """The first multiple of `every` after the flag's last news that is not older than GRACE."""
    since = _since(flag)
    steps = max(1, math.ceil((now - GRACE - since) / every))
    return since + steps * every


class RiskFlagReminders(ReminderRule):
    key = "risk_flags"
    # SUICIDE_RISK: rows planned by the rule this one replaced (PHQ-9 follow-ups); no longer
    # planned, and cancelled at send time.
    kinds = (Kind.RISK_ACUTE, Kind.RISK_OPEN, Kind.SUICIDE_RISK)
    order = 70

    def plan(self, now: datetime.datetime) -> list[Spec]:
        supervisors = supervisors_by_supervisee()
        every = datetime.timedelta(days=timing("risk_open_days"))
        specs: list[Spec] = []
        flags = (
            unresolved()
            .filter(client__therapist__isnull=False)
            .select_related("client__therapist")
            .defer("resolution")
        )
        for flag in flags:
            therapist = flag.client.therapist
            team = [therapist, *supervisors.get(therapist.pk, [])]
            if flag.acute and flag.state == RiskFlag.State.OPEN and in_window(flag.opened_at, now):
                specs += staff_specs(
                    Kind.RISK_ACUTE,
                    object_id=flag.pk,
                    client_id=flag.client_id,
                    due_at=flag.opened_at,
                    recipients=team,
                )
            # Planned once due (the planner runs every minute), not ahead: a follow-up recorded
            # meanwhile moves it, and nothing is planned for a flag about to be resolved.
            due = next_reminder_due(flag, now, every)
            if due <= now:
                specs += staff_specs(
                    Kind.RISK_OPEN,
                    object_id=flag.pk,
                    client_id=flag.client_id,
                    due_at=due,
                    recipients=team if flag.acute else [therapist],
                )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        flag = unresolved().filter(pk=reminder.object_id).defer("resolution").first()
        if flag is None or reminder.kind == Kind.SUICIDE_RISK:
            return False
        if reminder.kind == Kind.RISK_ACUTE:
            return flag.state == RiskFlag.State.OPEN
        # Nothing recorded within the delay before this reminder's time: still waiting. (Something
        # recorded since it was planned moves the next one, planned from it.)
        every = datetime.timedelta(days=timing("risk_open_days"))
        return _since(flag) <= reminder.due_at - every

    def render(self, reminder: Reminder) -> tuple[str, str]:
        if reminder.kind == Kind.RISK_ACUTE:
            text = _("A client's chart needs a look today.")
        else:
            text = _("A client's chart is waiting for a follow-up.")
        return text, reverse("risk:flag", args=[reminder.client_id, reminder.object_id])


RULES = (RiskFlagReminders(),)
