"""Reminders about measures and questionnaire answers, registered from
AssessmentsConfig.ready() (see notifications/extensions.py): a measure falling due again. (A
suicide-risk answer opens a risk flag, which risk/reminders.py reminds about.)"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Administration
from assessments.selectors import latest_by_measure, measure_interval
from clients.models import Client
from notifications.extensions import (
    HORIZON,
    Kind,
    ReminderRule,
    Spec,
    at_send_hour,
    in_window,
    staff_specs,
    timing,
)
from notifications.models import Reminder


def _current() -> QuerySet[Administration]:
    """Administrations not corrected by a later one (as selectors._current, in SQL)."""
    return Administration.objects.filter(
        ~Exists(Administration.objects.filter(corrects_id=OuterRef("pk")))
    )


class MeasureDue(ReminderRule):
    """`measure_due_days` after a measure an active client has had falls due again (its
    interval since the latest administration has run out). A measure never given is not due."""

    key = "measure_due"
    kinds = (Kind.MEASURE_DUE,)
    order = 40

    def plan(self, now: datetime.datetime) -> list[Spec]:
        # The latest current administration of each measure for every active client, in one
        # query (was one query per client), then the due date in Python as due_measures has it.
        latest = (
            _current()
            .filter(client_id=OuterRef("client_id"), measure_code=OuterRef("measure_code"))
            .order_by("-administered_at", "-id")
            .values("pk")[:1]
        )
        administrations = (
            _current()
            .filter(
                client__status=Client.Status.ACTIVE,
                client__therapist__isnull=False,
                pk=Subquery(latest),
            )
            .select_related("client__therapist")
            .defer("answers")
            .order_by("client_id", "measure_code")
        )
        horizon = timezone.localdate() + datetime.timedelta(days=HORIZON.days)
        after = datetime.timedelta(days=timing("measure_due_days"))
        intervals: dict[str, datetime.timedelta] = {}  # one settings read per measure, not per row
        specs: list[Spec] = []
        for last in administrations:
            code = last.measure_code
            if code not in intervals:
                intervals[code] = measure_interval(code)
            due_on = timezone.localdate(last.administered_at + intervals[code])
            if due_on > horizon:
                continue
            due = at_send_hour(due_on + after)
            if in_window(due, now):
                specs += staff_specs(
                    Kind.MEASURE_DUE,
                    object_id=last.pk,
                    client_id=last.client_id,
                    due_at=due,
                    recipients=[last.client.therapist],
                )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        last = Administration.objects.filter(pk=reminder.object_id).select_related("client").first()
        if last is None:
            return False
        return latest_by_measure(last.client).get(last.measure_code) == last

    def render(self, reminder: Reminder) -> tuple[str, str]:
        return _("A measure is due."), reverse("assessments:due")


RULES = (MeasureDue(),)
