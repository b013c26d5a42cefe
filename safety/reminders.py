"""Reminders about periods of lower tolerance, registered from SafetyConfig.ready() (see
notifications/extensions.py): the therapist is reminded on the morning a window opens. (The
reminder before each session during an open window is planned from appointments, in
sessions/reminders.py, which may read this app; this one may not read sessions.)

The text names neither the client nor anything clinical: the link leads to the chart, where
the reader's access is checked again."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.extensions import (
    HORIZON,
    Kind,
    ReminderRule,
    Spec,
    at_send_hour,
    in_window,
    staff_specs,
)
from notifications.models import Reminder
from safety.models import ToleranceWindow


class ToleranceOpens(ReminderRule):
    """At the send hour of a window's first day, to the client's therapist; not for a window
    recorded after that moment (whoever recorded it knows)."""

    key = "tolerance_opens"
    kinds = (Kind.TOLERANCE_OPENS,)
    order = 35

    def plan(self, now: datetime.datetime) -> list[Spec]:
        today = timezone.localdate(now)
        windows = ToleranceWindow.objects.filter(
            start_date__gte=today - datetime.timedelta(days=1),
            start_date__lte=today + HORIZON + datetime.timedelta(days=1),
            client__therapist__isnull=False,
        ).select_related("client__therapist")
        specs: list[Spec] = []
        for window in windows:
            due = at_send_hour(window.start_date)
            if in_window(due, now) and due >= window.created_at:
                specs += staff_specs(
                    Kind.TOLERANCE_OPENS,
                    object_id=window.pk,
                    client_id=window.client_id,
                    due_at=due,
                    recipients=[window.client.therapist],
                )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        window = ToleranceWindow.objects.filter(pk=reminder.object_id).select_related("client")
        found = window.first()
        if found is None:
            return False
        return (
            found.start_date == timezone.localdate(reminder.due_at)
            and found.client.therapist_id == reminder.recipient_id
        )

    def render(self, reminder: Reminder) -> tuple[str, str]:
        url = reverse("safety:section", args=[reminder.client_id])
        return _("A date noted on a client's chart starts today: please look at the chart."), url


RULES = (ToleranceOpens(),)
