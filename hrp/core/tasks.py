"""Shell-level tasks: the ping used to prove a worker is alive, and beat's heartbeat."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings

HEARTBEAT_KEY = "hrp:beat:heartbeat"


@shared_task(acks_late=True, ignore_result=False)
def ping() -> str:
    return "pong"


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def heartbeat() -> float:
    """Record that beat and a worker are running; /healthz reports its age."""
    now = time.time()
    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).set(HEARTBEAT_KEY, now)
    return now
