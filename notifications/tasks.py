"""Beat runs both every minute (hrp/celery.py). They take no arguments, so nothing about a
client ever travels through the broker, and both are safe to run twice at once."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from notifications import services


@shared_task(
    acks_late=True,
    # The counts are worth keeping for operators (and the fault tests read them); beat, not a
    # page, enqueues these, so an unreachable result store cannot stall a request.
    ignore_result=False,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=50,
    time_limit=60,
)
def plan_reminders() -> int:
    return services.plan_reminders()


@shared_task(
    acks_late=True,
    # The counts are worth keeping for operators (and the fault tests read them); beat, not a
    # page, enqueues these, so an unreachable result store cannot stall a request.
    ignore_result=False,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=50,
    time_limit=60,
)
def send_due_reminders() -> int:
    return services.send_due_reminders()
