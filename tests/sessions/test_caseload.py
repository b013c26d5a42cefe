"""The caseload's "Next appointment" and "Last contact" columns, which the sessions app adds
through clients.extensions: the next scheduled appointment still ahead, and the latest
attended one or signed contact outside a session (tests/sessions/test_contacts.py). Cancellations,
no-shows, moved and unmarked appointments are neither.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from sessions import selectors
from sessions.models import Appointment
from tests.clients.factories import ClientFactory
from tests.goals.helpers import table
from tests.sessions.factories import AppointmentFactory

ClientFor = Callable[[User | None], HttpClient]


def _from_now(**delta: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


@pytest.fixture
def booked(therapist: User) -> dict[str, Appointment]:
    """Alex has a history and two appointments ahead; Blake has none."""
    alex = ClientFactory(therapist=therapist, preferred_name="Alex")
    ClientFactory(therapist=therapist, preferred_name="Blake")

    def make(status: str, **delta: float) -> Appointment:
        notice = 24 if status.startswith("cancelled") else None
        return AppointmentFactory(
            client=alex, starts_at=_from_now(**delta), status=status, notice_hours=notice
        )

    make("attended", days=-10)
    last = make("attended", days=-3)
    make("cancelled_client", days=-2)
    make("no_show", days=-1)
    make("scheduled", hours=-1)  # started an hour ago, not marked yet
    make("rescheduled", days=1)
    make("cancelled_clinic", days=2)
    upcoming = make("scheduled", days=5)
    make("scheduled", days=12)
    return {"next": upcoming, "last": last}


def _columns(response: HttpResponse) -> dict[str, tuple[str, str]]:
    header, rows = table(response)
    nxt, last = header.index("Next appointment"), header.index("Last contact")
    return {row[0].split(" (")[0]: (row[nxt], row[last]) for row in rows}


def _shown(booked: dict[str, Appointment]) -> tuple[str, str]:
    return (
        formats.weekday_datetime(booked["next"].starts_at),
        formats.date(booked["last"].starts_at),
    )


def test_the_caseload_shows_next_appointment_and_last_contact(
    client_for: ClientFor, therapist: User, booked: dict[str, Appointment]
) -> None:
    response = client_for(therapist).get(reverse("clients:caseload"))

    assert response.status_code == 200
    header, _rows = table(response)
    assert header.index("Last contact") == header.index("Next appointment") + 1
    assert _columns(response) == {
        "Alex": _shown(booked),
        "Blake": ("None booked", "—"),
    }


def test_the_supervisor_sees_the_same_columns(
    client_for: ClientFor, therapist: User, supervisor: User, booked: dict[str, Appointment]
) -> None:
    response = client_for(supervisor).get(
        reverse("clients:supervisee_caseload", kwargs={"therapist_pk": therapist.pk})
    )

    assert response.status_code == 200
    assert _columns(response) == {
        "Alex": _shown(booked),
        "Blake": ("None booked", "—"),
    }


def test_the_selectors_read_the_same_without_a_prefetch(
    therapist: User, booked: dict[str, Appointment]
) -> None:
    alex = Client.objects.get(preferred_name="Alex")
    blake = Client.objects.get(preferred_name="Blake")
    prefetched = {
        c.preferred_name: c
        for c in selectors.prefetch_for_clients(Client.objects.filter(therapist=therapist))
    }

    last = selectors.LastContact(at=booked["last"].starts_at)
    assert selectors.next_appointment(alex) == booked["next"]
    assert selectors.last_contact(alex) == last
    assert selectors.next_appointment(prefetched["Alex"]) == booked["next"]
    assert selectors.last_contact(prefetched["Alex"]) == last
    assert (selectors.next_appointment(blake), selectors.last_contact(blake)) == (None, None)
    assert (
        selectors.next_appointment(prefetched["Blake"]),
        selectors.last_contact(prefetched["Blake"]),
    ) == (None, None)


def test_the_prefetch_is_added_once(therapist: User) -> None:
    qs = selectors.prefetch_for_clients(Client.objects.all())

    again = selectors.prefetch_for_clients(qs)

    assert again is qs
    # The next appointment is prefetched; the last contact is a column of the client query.
    assert len(again._prefetch_related_lookups) == 1
    assert {"last_session_at", "last_outside_contact_at"} <= set(again.query.annotations)
