"""/healthz: public, uncached, and honest about the database and the broker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from hrp.core import health
from hrp.core.tasks import HEARTBEAT_KEY, heartbeat
from tests.conftest import unreachable_redis_url

HEALTHZ = reverse("healthz")
REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")


@pytest.mark.django_db
def test_healthz_reports_ok_without_sign_in(settings: Settings) -> None:
    settings.REDIS_URL = ""

    response = Client().get(HEALTHZ)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True, "detail": connection.vendor},
        "broker": {"ok": True, "detail": "in-process (no broker configured)"},
        "indexes": {"ok": True, "invalid": []},
        "beat_heartbeat_age_seconds": None,
    }
    assert "no-cache" in response["Cache-Control"].split(", ")


@pytest.mark.django_db
def test_healthz_is_unavailable_when_the_broker_is_down(settings: Settings) -> None:
    with unreachable_redis_url() as url:
        settings.REDIS_URL = url
        response = Client().get(HEALTHZ)

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": {"ok": True, "detail": connection.vendor},
        "broker": {"ok": False, "detail": "ConnectionError"},
        "indexes": {"ok": True, "invalid": []},
        "beat_heartbeat_age_seconds": None,
    }


@pytest.mark.django_db
def test_healthz_is_unavailable_when_the_database_is_down(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    settings.REDIS_URL = ""

    class UnreachableDatabase:
        vendor = connection.vendor

        def cursor(self) -> None:
            raise OperationalError("could not connect to server")

    monkeypatch.setattr(health, "connection", UnreachableDatabase())

    response = Client().get(HEALTHZ)

    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "detail": "OperationalError"}
    assert response.json()["indexes"] == {"ok": False, "invalid": []}
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db
def test_healthz_answers_get_only() -> None:
    assert Client().post(HEALTHZ).status_code == 405


@needs_redis
@pytest.mark.django_db
def test_healthz_reports_the_redis_broker() -> None:
    response = Client().get(HEALTHZ)

    assert response.status_code == 200
    assert response.json()["broker"] == {"ok": True, "detail": "redis"}


@pytest.fixture
def isolated_redis_url(settings: Settings) -> Iterator[str]:
    """REDIS_URL pointed at a database of its own, so the heartbeat test cannot disturb a
    heartbeat that a real beat keeps in the configured database."""
    url = urlunsplit(urlsplit(REDIS_URL)._replace(path="/15"))
    settings.REDIS_URL = url
    redis.Redis.from_url(url).delete(HEARTBEAT_KEY)
    yield url
    redis.Redis.from_url(url).delete(HEARTBEAT_KEY)


@needs_redis
@pytest.mark.django_db
def test_healthz_reports_the_age_of_beats_heartbeat(isolated_redis_url: str) -> None:
    assert Client().get(HEALTHZ).json()["beat_heartbeat_age_seconds"] is None

    heartbeat.apply()
    age = Client().get(HEALTHZ).json()["beat_heartbeat_age_seconds"]

    assert isinstance(age, float)
    assert 0 <= age < 5
