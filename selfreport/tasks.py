"""Beat runs this every minute (hrp/celery.py). It takes no arguments, so nothing about a client
(nor any token) travels through the broker, and it is safe to run twice at once."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from selfreport import services


@shared_task(
    acks_late=True,
    ignore_result=False,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=50,
    time_limit=60,
)
def send_scheduled_links() -> int:
    return services.send_scheduled_links()
