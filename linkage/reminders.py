"""The follow-up reminder of a referral, registered from LinkageConfig.ready() (see
notifications/extensions.py): on an open referral's follow-up date, to the client's therapist.
The text names no client and no service: "A follow-up you planned is due today."."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linkage.models import OPEN_STATUSES, ServiceReferral
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


class ReferralFollowUp(ReminderRule):
    key = "referral_follow_up"
    kinds = (Kind.REFERRAL_FOLLOW_UP,)
    order = 35

    def plan(self, now: datetime.datetime) -> list[Spec]:
        today = timezone.localdate(now)
        referrals = ServiceReferral.objects.filter(
            status__in=list(OPEN_STATUSES),
            follow_up_on__gte=today - datetime.timedelta(days=1),
            follow_up_on__lte=today + HORIZON + datetime.timedelta(days=1),
            client__therapist__isnull=False,
        ).select_related("client__therapist")
        specs: list[Spec] = []
        for referral in referrals:
            assert referral.follow_up_on is not None  # filtered above
            due = at_send_hour(referral.follow_up_on)
            if in_window(due, now):
                specs += staff_specs(
                    Kind.REFERRAL_FOLLOW_UP,
                    object_id=referral.pk,
                    client_id=referral.client_id,
                    due_at=due,
                    recipients=[referral.client.therapist],
                )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        referral = (
            ServiceReferral.objects.filter(pk=reminder.object_id).select_related("client").first()
        )
        if referral is None or not referral.is_open:
            return False
        # The date the reminder was planned for must still be the referral's.
        return referral.follow_up_on == timezone.localdate(reminder.due_at) and (
            referral.client.therapist_id == reminder.recipient_id
        )

    def render(self, reminder: Reminder) -> tuple[str, str]:
        return _("A follow-up you planned is due today."), reverse(
            "linkage:section", args=[reminder.client_id]
        )


RULES = (ReferralFollowUp(),)
