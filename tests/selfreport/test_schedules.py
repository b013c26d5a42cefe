"""Links sent by a schedule: rows scanned by a periodic task, sent once each time, moved on by
their interval; consent and the clinician's access are checked at each send."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from notifications.sms import LocmemSmsBackend
from selfreport import services, tasks
from selfreport.models import ClientLink, LinkSchedule

pytestmark = pytest.mark.django_db


def _schedule(therapist: User, record: Client, every_weeks: int = 4) -> LinkSchedule:
    return services.schedule_create(
        actor=therapist, client=record, measure_code="PHQ9", language="es", every_weeks=every_weeks
    )


def test_the_scan_sends_once_and_moves_on_by_the_interval(therapist: User, record: Client) -> None:
    schedule = _schedule(therapist, record)
    start = schedule.next_send_at
    now = timezone.now()

    assert services.send_scheduled_links(now=now) == 1
    assert services.send_scheduled_links(now=now) == 0  # a second scan sends nothing

    schedule.refresh_from_db()
    assert schedule.next_send_at == start + datetime.timedelta(weeks=4)
    link = ClientLink.objects.get()
    assert (link.measure_code, link.language, link.created_by) == ("PHQ9", "es", therapist)
    assert len(LocmemSmsBackend.outbox) == 1

    later = now + datetime.timedelta(weeks=4, minutes=1)
    assert services.send_scheduled_links(now=later) == 1
    assert ClientLink.objects.count() == 2


def test_the_task_takes_no_arguments(therapist: User, record: Client) -> None:
    _schedule(therapist, record)

    assert tasks.send_scheduled_links.delay().get() == 1
    assert ClientLink.objects.count() == 1


def test_a_client_who_opted_out_gets_nothing_and_the_schedule_waits(
    therapist: User, record: Client
) -> None:
    schedule = _schedule(therapist, record)
    Client.objects.filter(pk=record.pk).update(reminder_channel="")

    assert services.send_scheduled_links() == 1

    schedule.refresh_from_db()
    assert (ClientLink.objects.count(), LocmemSmsBackend.outbox) == (0, [])
    assert schedule.stopped_at is None
    assert schedule.next_send_at > timezone.now()


def test_a_reassigned_client_s_schedule_stops(
    therapist: User, other_therapist: User, record: Client
) -> None:
    schedule = _schedule(therapist, record)
    Client.objects.filter(pk=record.pk).update(therapist=other_therapist)

    services.send_scheduled_links()

    schedule.refresh_from_db()
    assert schedule.stopped_at is not None
    assert ClientLink.objects.count() == 0


def test_a_stopped_schedule_sends_nothing(therapist: User, record: Client) -> None:
    schedule = _schedule(therapist, record)
    services.schedule_stop(actor=therapist, schedule=schedule)

    assert services.send_scheduled_links() == 0
    assert ClientLink.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status", "made"),
    [
        ("therapist", 302, 1),
        ("supervisor", 403, 0),
        ("other_therapist", 404, 0),
        ("other_supervisor", 404, 0),
        ("clinic_admin", 404, 0),
    ],
)
def test_schedule_page_per_role(
    request: pytest.FixtureRequest,
    client_for: Callable[[User | None], WebClient],
    record: Client,
    role: str,
    status: int,
    made: int,
) -> None:
    response = client_for(request.getfixturevalue(role)).post(
        reverse("selfreport:schedule", args=[record.pk]),
        {"schedule-measure_code": "GAD7", "schedule-language": "en", "schedule-every_weeks": "4"},
    )

    assert response.status_code == status
    assert LinkSchedule.objects.count() == made


@pytest.mark.parametrize("weeks", ["0", "53", "٣", "x", ""])
def test_a_bad_interval_is_refused_with_a_message(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client, weeks: str
) -> None:
    response = client_for(therapist).post(
        reverse("selfreport:schedule", args=[record.pk]),
        {"schedule-measure_code": "GAD7", "schedule-language": "en", "schedule-every_weeks": weeks},
    )

    assert response.status_code == 200
    assert list(response.context["schedule_form"].errors) == ["every_weeks"]
    assert LinkSchedule.objects.count() == 0


def test_stop_from_the_page(
    client_for: Callable[[User | None], WebClient],
    therapist: User,
    supervisor: User,
    record: Client,
) -> None:
    schedule = _schedule(therapist, record)
    url = reverse("selfreport:schedule_stop", args=[record.pk, schedule.pk])

    assert client_for(supervisor).post(url).status_code == 403
    schedule.refresh_from_db()
    assert schedule.stopped_at is None
    assert client_for(therapist).post(url).status_code == 302
    schedule.refresh_from_db()
    assert schedule.stopped_at is not None
