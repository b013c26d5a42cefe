"""Background work for summaries. Tasks take ids only (no PHI in the broker) and call a
service; the services make them idempotent, so a redelivered or duplicated task is harmless."""

from __future__ import annotations

import kombu.exceptions
from celery import shared_task
from django.db import InterfaceError, OperationalError

from summaries import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # A database restart or a dropped connection: try again a little later.
    autoretry_for=(OperationalError, InterfaceError, kombu.exceptions.OperationalError),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
    ignore_result=True,
)
def build_summary(request_id: int) -> str:
    """Prepare summary `request_id` (a SummaryRequest id)."""
    return services.summary_build(summary_id=request_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError, kombu.exceptions.OperationalError),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
    # A group hands what is left to a new task after services.GROUP_BUDGET_SECONDS.
    soft_time_limit=300,
    time_limit=330,
    ignore_result=True,
)
def build_summaries(request_ids: list[int]) -> dict[str, int]:
    """Prepare a group of summaries (SummaryRequest ids), as the monthly round publishes them."""
    return dict(
        services.summaries_build(
            summary_ids=request_ids, budget_seconds=services.GROUP_BUDGET_SECONDS
        )
    )


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=55)
def requeue_stale() -> int:
    """Beat, every minute: publish again what never reached a worker or lost its worker."""
    return len(services.summary_requeue_stale())


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=300, time_limit=330)
def monthly_summaries() -> int:
    """Beat, the 1st of the month at 03:00: last month's summary for every active client."""
    return services.monthly_summaries_create()
