"""Reminders about goal reviews, registered from GoalsConfig.ready() (see
notifications/extensions.py): a review due soon, and a review overdue, to the client's
therapist."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from goals.models import Goal
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


class GoalReview(ReminderRule):
    """`review_due_days` before an active goal's review date, and the day after it."""

    key = "goal_review"
    kinds = (Kind.REVIEW_DUE, Kind.REVIEW_OVERDUE)
    order = 30

    def plan(self, now: datetime.datetime) -> list[Spec]:
        before = datetime.timedelta(days=timing("review_due_days"))
        today = timezone.localdate(now)
        goals = Goal.objects.filter(
            status=Goal.Status.ACTIVE,
            review_date__gte=today - datetime.timedelta(days=2),
            review_date__lte=today + HORIZON + before + datetime.timedelta(days=1),
            client__therapist__isnull=False,
        ).select_related("client__therapist")
        specs: list[Spec] = []
        for goal in goals:
            for kind, due in (
                (Kind.REVIEW_DUE, at_send_hour(goal.review_date - before)),
                (Kind.REVIEW_OVERDUE, at_send_hour(goal.review_date + datetime.timedelta(days=1))),
            ):
                if in_window(due, now) and due >= goal.created_at:
                    specs += staff_specs(
                        kind,
                        object_id=goal.pk,
                        client_id=goal.client_id,
                        due_at=due,
                        recipients=[goal.client.therapist],
                    )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        goal = Goal.objects.filter(pk=reminder.object_id).select_related("client").first()
        if goal is None or goal.status != Goal.Status.ACTIVE:
            return False
        # The review date the reminder was planned for must still be the goal's.
        local_due = timezone.localdate(reminder.due_at)
        offset = datetime.timedelta(
            days=timing("review_due_days") if reminder.kind == Kind.REVIEW_DUE else -1
        )
        return goal.review_date == local_due + offset and (
            goal.client.therapist_id == reminder.recipient_id
        )

    def render(self, reminder: Reminder) -> tuple[str, str]:
        url = reverse("goals:goal", args=[reminder.client_id, reminder.object_id])
        if reminder.kind == Kind.REVIEW_DUE:
            days = timing("review_due_days")
            return ngettext(
                "A goal review is due in %(n)d day.", "A goal review is due in %(n)d days.", days
            ) % {"n": days}, url
        return _("A goal review is overdue."), url


RULES = (GoalReview(),)
