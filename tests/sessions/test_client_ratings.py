"""The client's own rating of a session from their phone (sessions.ClientSessionRating): an
append-only row beside the note, read by the one rating rule (selectors.rated_sessions) that
the Sessions tab's chart and the alert share. The flow through the client's link is in
tests/selfreport/test_kinds.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from hrp.accounts.models import User
from hrp.immutability import ImmutableError
from sessions import selectors, services
from sessions.models import ClientSessionRating, RatingAlert
from tests.budgets import SESSIONS_SECTION_QUERIES
from tests.clients.factories import ClientFactory
from tests.sessions.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    ClientSessionRatingFactory,
    SessionNoteFactory,
    at,
    days_from_today,
    sign_note,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]
EIGHTS = {"rating_heard": 8, "rating_wanted": 8, "rating_approach": 8, "rating_overall": 8}


def test_the_rating_is_stored_in_the_clinician_s_name_and_audited(
    therapist: User, record: Client
) -> None:
    appointment = AttendedAppointmentFactory(client=record)

    rating = services.client_rating_record(actor=therapist, appointment=appointment, ratings=EIGHTS)

    assert (rating.rating_total, rating.source, rating.recorded_by) == (32, "client", therapist)
    with pytest.raises(ImmutableError):
        rating.save()
    assert RatingAlert.objects.count() == 0  # no note yet, and 32 is above the threshold


def test_refusals_store_nothing(therapist: User, other_therapist: User, record: Client) -> None:
    attended = AttendedAppointmentFactory(client=record)
    with pytest.raises(ValidationError) as refused:
        services.client_rating_record(
            actor=therapist, appointment=attended, ratings={**EIGHTS, "rating_overall": 11}
        )
    assert list(refused.value.message_dict) == ["rating_overall"]
    with pytest.raises(ValidationError):
        services.client_rating_record(
            actor=therapist, appointment=AppointmentFactory(client=record), ratings=EIGHTS
        )
    with pytest.raises(PermissionDenied):
        services.client_rating_record(actor=other_therapist, appointment=attended, ratings=EIGHTS)
    assert ClientSessionRating.objects.count() == 0


def test_the_latest_client_rating_of_a_session_is_the_one_read(
    therapist: User, record: Client
) -> None:
    appointment = AttendedAppointmentFactory(client=record)
    ClientSessionRatingFactory(appointment=appointment)  # 32
    services.client_rating_record(
        actor=therapist, appointment=appointment, ratings={**EIGHTS, "rating_overall": 2}
    )

    assert list(
        selectors.rated_sessions(record.pk).values_list(
            "rating_total", "client_total", "in_session_total"
        )
    ) == [(26, 26, None)]


@pytest.fixture
def rated_record(therapist: User, request: pytest.FixtureRequest) -> Client:
    """`request.param` attended sessions a week apart: even ones with a signed note rated in
    session (31) and then by the client (20), odd ones rated only by the client (36)."""
    client = ClientFactory(therapist=therapist)
    for index in range(request.param):
        appointment = AttendedAppointmentFactory(
            client=client, starts_at=at(days_from_today(-7 * (index + 1)), "10:00")
        )
        if index % 2 == 0:
            note = sign_note(
                SessionNoteFactory(
                    appointment=appointment,
                    rating_heard=8,
                    rating_wanted=8,
                    rating_approach=8,
                    rating_overall=7,
                )
            )
            ClientSessionRatingFactory(
                appointment=appointment,
                rating_heard=5,
                rating_wanted=5,
                rating_approach=5,
                rating_overall=5,
            )
            services.rating_evaluate(note=note)
        else:
            ClientSessionRatingFactory(
                appointment=appointment,
                rating_heard=9,
                rating_wanted=9,
                rating_approach=9,
                rating_overall=9,
            )
    return client


@pytest.mark.parametrize("rated_record", [1, 25], indirect=True)
def test_the_sessions_tab_charts_client_ratings_at_a_fixed_cost(
    client_for: ClientFor, therapist: User, rated_record: Client, django_assert_num_queries
) -> None:
    web = client_for(therapist)
    url = reverse("sessions:section", kwargs={"pk": rated_record.pk})

    with django_assert_num_queries(SESSIONS_SECTION_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    count = rated_record.appointments.count()
    ratings = response.context["ratings"]
    shown = list(reversed(range(min(count, 20))))
    assert [(p.total, p.in_session_total, p.client_total, p.alert) for p in ratings] == [
        (20, 31, 20, True) if index % 2 == 0 else (36, None, 36, False) for index in shown
    ]
    html = response.content.decode()
    assert "in session 31; later, reported by the client 20" in html
