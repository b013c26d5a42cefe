"""Rows a page reads, and history to pile up behind a client, for the tests that pin that a
page's reads do not grow with history (docs/PERFORMANCE.md: "reads cost what they show").

A constant number of queries is not enough: each query must also return about what the page
shows. `rows_fetched()` counts the rows every SELECT returned (PostgreSQL reports them on the
cursor; SQLite does not, so these tests run on PostgreSQL only). `add_history()` adds records
older than everything a client already has (and appointments booked further ahead), so what a
page shows stays the same while the history behind it grows.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from assessments.measures import MEASURES
from clients.models import Client
from goals.models import UseCheckIn
from sessions.models import Appointment, SessionNote
from tests.assessments.factories import AdministrationFactory, answers_for
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.clients.factories import SubstanceUseFactory
from tests.sessions.factories import AppointmentFactory, SessionNoteFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="rows returned are counted on PostgreSQL cursors"
)


class RowCounter:
    def __init__(self) -> None:
        self.rows = 0
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        self.queries += 1
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            self.rows += max(context["cursor"].rowcount, 0)
        return result


@contextlib.contextmanager
def rows_fetched() -> Iterator[RowCounter]:
    """`with rows_fetched() as read: ...; read.rows` is the number of rows every SELECT in the
    block returned."""
    counter = RowCounter()
    with connection.execute_wrapper(counter):
        yield counter


def add_history(client: Client, *, years_back: int, count: int) -> None:
    """`count` of each kind of record, spread over the year that ends `years_back` years ago
    (older than anything the test seeded before), plus `count` appointments booked a year or
    more ahead: measures with scores that raise no flag, harm assessments without overdose
    risk, weekly use check-ins, attended sessions with signed notes, scheduled sessions."""
    now = timezone.now()
    therapist = client.therapist
    substance = client.substances.first() or SubstanceUseFactory(client=client)
    for n in range(count):
        when = now - datetime.timedelta(days=365 * years_back + 7 * n + 1)
        week = timezone.localdate(when)
        UseCheckIn.objects.create(
            client=client,
            substance=substance,
            week_start=week - datetime.timedelta(days=week.weekday()),
            use_days=2,
            days_above_plan=0,
            recorded_by=therapist,
        )
        for code in ("PHQ9", "GAD7", "AUDIT", "DAST10", "WHO5"):
            AdministrationFactory(
                client=client,
                measure_code=code,
                answers=answers_for(MEASURES[code], 1),
                administered_at=when,
                administered_by=therapist,
            )
        HarmAssessmentFactory(client=client, assessed_on=timezone.localdate(when))
        attended = AppointmentFactory(
            client=client, starts_at=when, status=Appointment.Status.ATTENDED
        )
        SessionNoteFactory(
            appointment=attended,
            status=SessionNote.Status.SIGNED,
            signed_at=when,
            signed_by=therapist,
            content_hash="0" * 64,
        )
        ahead = now + datetime.timedelta(days=365 * years_back + 7 * n)
        AppointmentFactory(client=client, starts_at=ahead)
