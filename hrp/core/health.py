"""Checks behind /healthz. Each returns (ok, detail) and never raises."""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import connection

from hrp import schema
from hrp.core.tasks import HEARTBEAT_KEY


def database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "down"; the kind is enough to report
        return False, type(error).__name__
    return True, connection.vendor


def indexes() -> tuple[bool, list[str]]:
    """(no index is INVALID, the INVALID ones' names): an interrupted concurrent build leaves
    one behind (hrp/schema.py). Reported, not fatal: the clinic works, only slower."""
    try:
        invalid = schema.invalid_indexes()
    except Exception:  # the database check above reports an unreachable database
        return False, []
    return not invalid, invalid


def broker() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "in-process (no broker configured)"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
        client.ping()
    except redis.RedisError as error:
        return False, type(error).__name__
    return True, "redis"


def beat_heartbeat_age() -> float | None:
    """Seconds since beat's last heartbeat ran on a worker, or None if unknown."""
    if not settings.REDIS_URL:
        return None
    try:
        value = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).get(HEARTBEAT_KEY)
    except redis.RedisError:
        return None
    return round(time.time() - float(value), 1) if value else None
