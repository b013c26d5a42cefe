"""Clinic settings are read from the cache once per request or task, not once per row
(hrp/clinic.py, `settings_scope`), and a save is seen at once by the request that made it and
by every request or task that starts after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache as django_cache
from django.test import Client as HttpClient
from django.urls import reverse

from hrp import clinic
from hrp.accounts.models import User
from notifications.tasks import plan_reminders
from tests.supervision.helpers import seed_every_column

ClientFor = Callable[[User | None], HttpClient]


class CountedCache:
    """Django's cache, with the reads of the clinic settings counted."""

    def __init__(self) -> None:
        self.reads = 0

    def get(self, key: str, *args: Any, **kwargs: Any) -> Any:
        if key == clinic.CACHE_KEY:
            self.reads += 1
        return django_cache.get(key, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(django_cache, name)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> CountedCache:
    counted = CountedCache()
    monkeypatch.setattr(clinic, "cache", counted)
    return counted


@pytest.mark.parametrize("who", ["therapist", "supervisor"])
def test_a_page_reads_the_clinic_settings_once_whatever_its_rows(
    client_for: ClientFor, therapist: User, supervisor: User, counted: CountedCache, who: str
) -> None:
    seed_every_column(therapist)  # measures due, late notes: settings asked per client
    page = client_for(therapist if who == "therapist" else supervisor)
    url = reverse("clients:caseload") if who == "therapist" else reverse("home:home")
    counted.reads = 0

    response = page.get(url)

    assert response.status_code == 200
    assert counted.reads == 1


def test_a_task_reads_the_clinic_settings_once(therapist: User, counted: CountedCache) -> None:
    seed_every_column(therapist)
    with clinic.settings_scope():
        clinic.clinic_setting("LATE_NOTE_HOURS")  # the caller's scope is not the task's

    plan_reminders.delay()

    assert counted.reads == 2  # the caller's one, and the task's own


def test_a_scope_keeps_what_it_read_until_it_saves(counted: CountedCache, db: None) -> None:
    with clinic.settings_scope():
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 24
        # Another process saves: this request carries on with what it read at its start.
        django_cache.set(clinic.CACHE_KEY, {"LATE_NOTE_HOURS": 48}, timeout=None)
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 24
        # A save in this request is seen at once, without another read.
        clinic.store({"LATE_NOTE_HOURS": 72})
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 72
        assert counted.reads == 1
        # An emptied cache sends the next read back to it.
        clinic.clear_cache()
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 24
        assert counted.reads == 2
    with clinic.settings_scope():
        clinic.store({"LATE_NOTE_HOURS": 36})
    # The next request sees the save; outside a scope every read goes to the cache.
    with clinic.settings_scope():
        assert clinic.clinic_setting("LATE_NOTE_HOURS") == 36
    django_cache.set(clinic.CACHE_KEY, {"LATE_NOTE_HOURS": 12}, timeout=None)
    assert clinic.clinic_setting("LATE_NOTE_HOURS") == 12


def test_a_value_read_in_a_scope_cannot_be_changed_by_its_reader(db: None) -> None:
    clinic.store({"MEASURE_INTERVAL_WEEKS": {"PHQ9": 2}})
    with clinic.settings_scope():
        clinic.clinic_setting("MEASURE_INTERVAL_WEEKS")["PHQ9"] = 99
        assert clinic.clinic_setting("MEASURE_INTERVAL_WEEKS")["PHQ9"] == 2
