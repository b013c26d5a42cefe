"""Session-note pages issue a fixed number of queries, whatever the number of notes, goals,
substances, addenda, reviews or rating alerts.

Each count is pinned at one row and at many, with the same number: a query per row would make
the larger case fail. Every count includes the three queries of any signed-in request (session,
user, two-factor device).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from sessions import selectors, services
from sessions.models import NoteAddendum, NoteReview, RatingAlert, SessionNote
from tests.budgets import CALENDAR_QUERIES, CASELOAD_QUERIES, SESSIONS_SECTION_QUERIES
from tests.clients.factories import ClientFactory
from tests.goals.factories import GoalFactory
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section
from tests.sessions.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    SessionNoteFactory,
    at,
    days_from_today,
    sign_note,
)

ClientFor = Callable[[User | None], HttpClient]

# + late sessions with client, therapist and note; open notes by state with their return count;
#   open contacts outside sessions with theirs; open rating alerts with client, therapist and
#   the note's appointment
MY_NOTES_QUERIES = 7
# + notes waiting for co-signature with client, appointment and author; contacts outside
#   sessions waiting, with client and author; supervisees' late sessions; open rating alerts
COSIGN_QUERIES = 7
# + client, note with appointment and people, its addenda, its reviews, its records of each
#   kind of technique (3: sessions.extensions.NoteSection), access event, active goals not
#   checked in yet, the goals shown, substances, the previous attended session, the plan's
#   versions (their limits give days above plan for each week)
DRAFT_NOTE_QUERIES = 16
# As the draft, without the active goals (a signed note keeps the goals it checked in)
SIGNED_NOTE_QUERIES = 15
# For the author of a draft only: each substance's stage of change (the harm assessments'
# stage history, the intake's substances) for the suggestions beside the interventions
STAGE_SUGGESTION_QUERIES = 2


def _late_and_open(therapist: User, supervisor: User, index: int) -> None:
    """For one client of `therapist`: a late session without a note, a late draft, a returned
    note, one waiting for co-signature with an open rating alert."""
    client = ClientFactory(therapist=therapist)
    AttendedAppointmentFactory(client=client, starts_at=at(days_from_today(-9), "09:00"))
    SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=client, starts_at=at(days_from_today(-8), "09:00")
        )
    )
    User.objects.filter(pk=therapist.pk).update(requires_cosign=True)
    author = User.objects.get(pk=therapist.pk)
    returned = sign_note(
        SessionNoteFactory(
            appointment=AttendedAppointmentFactory(
                client=client, starts_at=at(days_from_today(-7), "09:00")
            ),
            author=author,
        )
    )
    services.note_return(actor=supervisor, note=returned, comments=f"Plan {index}.")
    awaiting = sign_note(
        SessionNoteFactory(
            appointment=AttendedAppointmentFactory(
                client=client, starts_at=at(days_from_today(-6), "09:00")
            ),
            author=author,
        )
    )
    User.objects.filter(pk=therapist.pk).update(requires_cosign=False)
    RatingAlert.objects.create(
        note=awaiting, client=client, reason=RatingAlert.Reason.BELOW_THRESHOLD, total=10
    )


@pytest.mark.parametrize("size", [1, 25])
def test_my_notes_queries(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    size: int,
    django_assert_num_queries,
) -> None:
    for index in range(size):
        _late_and_open(therapist, supervisor, index)
    web = client_for(therapist)

    with django_assert_num_queries(MY_NOTES_QUERIES):
        response = web.get(reverse("sessions:my_notes"))

    assert response.status_code == 200
    context = response.context
    # The late list and the alerts show 25 a page, and say how many there are.
    assert [len(context[k]) for k in ("late", "returned", "drafts", "awaiting", "alerts")] == [
        min(3 * size, 25),
        size,
        size,
        size,
        size,
    ]
    assert (context["late_page"].total, context["alerts_page"].total) == (3 * size, size)

    with django_assert_num_queries(MY_NOTES_QUERIES):
        response = web.get(reverse("sessions:my_notes"), {"late": "3" if size == 25 else "1"})

    assert len(response.context["late"]) == (25 if size == 25 else 3)
    assert response.context["late_page"].number == (3 if size == 25 else 1)


@pytest.mark.parametrize("size", [1, 25])
def test_cosign_queue_queries(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    size: int,
    django_assert_num_queries,
) -> None:
    for index in range(size):
        _late_and_open(therapist, supervisor, index)
    web = client_for(supervisor)

    with django_assert_num_queries(COSIGN_QUERIES):
        response = web.get(reverse("sessions:cosign_queue"))

    assert response.status_code == 200
    context = response.context
    assert [len(context[k]) for k in ("queue", "late", "alerts")] == [size, min(3 * size, 25), size]
    assert [context[k].total for k in ("queue_page", "late_page", "alerts_page")] == [
        size,
        3 * size,
        size,
    ]

    with django_assert_num_queries(COSIGN_QUERIES):
        response = web.get(reverse("sessions:cosign_queue"), {"late": "2" if size == 25 else "1"})

    assert len(response.context["late"]) == (25 if size == 25 else 3)


@pytest.fixture
def rich_client(therapist: User, request: pytest.FixtureRequest) -> Client:
    """A client with `request.param` active goals (each about its own substance) and an earlier
    attended session four weeks back, so the follow-back asks about several weeks."""
    client = ClientFactory(therapist=therapist)
    for _index in range(request.param):
        GoalFactory(client=client)
    # As many plan versions, with limits: days above plan are worked out for every line from
    # one read of the versions.
    plan = PlanFactory(client=client)
    for _index in range(request.param):
        PlanVersionFactory(
            plan=plan, sections=[plan_section(max_amount_per_day="3", amount_unit="drinks")]
        )
    AttendedAppointmentFactory(client=client, starts_at=at(days_from_today(-30), "10:00"))
    return client


def _rich_note(client: Client, size: int) -> SessionNote:
    note = services.note_start(
        actor=client.therapist,
        appointment=AttendedAppointmentFactory(client=client),
    )
    # The follow-back covers four weeks; the use is entered for the last one.
    last_week = selectors.covered_weeks(note.appointment)[-1]
    values = {
        "data": "Described the week.",
        "overdose_risk": "none",
        "suicide_risk": "none",
        "goal_checkins": [
            {"goal": line["goal"], "score": 5, "note": "Steady."} for line in note.goal_checkins
        ],
        "use_entries": [
            {
                "substance": substance.pk,
                "week": last_week.isoformat(),
                "use_days": 2,
                "days_above_plan": 1,
                "amount": "3",
                "unit": "drinks",
            }
            for substance in client.substances.all()
        ],
    }
    result = services.note_save(
        actor=client.therapist, note=note, expected_version=1, values=values
    )
    assert len(result.note.goal_checkins) == size
    return result.note


@pytest.mark.parametrize("rich_client", [1, 25], indirect=True)
@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_draft_note_queries(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    rich_client: Client,
    role: str,
    django_assert_num_queries,
) -> None:
    size = rich_client.goals.count()
    note = _rich_note(rich_client, size)
    web = client_for(request.getfixturevalue(role))
    url = reverse("sessions:note", kwargs={"pk": rich_client.pk, "note_pk": note.pk})

    writes = role == "therapist"
    with django_assert_num_queries(DRAFT_NOTE_QUERIES + STAGE_SUGGESTION_QUERIES * writes):
        response = web.get(url)

    assert response.status_code == 200
    form = response.context["form"]
    assert (len(form.goal_rows()), len(form.use_rows())) == (size, size * 4)
    # Every substance has its intake's stage: one suggestion each, for the author only.
    assert len(response.context["stage_suggestions"]) == (size if writes else 0)


@pytest.mark.parametrize("rich_client", [1, 25], indirect=True)
def test_signed_note_queries(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    rich_client: Client,
    django_assert_num_queries,
) -> None:
    """A signed note with as many addenda and returns (by the supervisor) as goals."""
    size = rich_client.goals.count()
    note = _rich_note(rich_client, size)
    for index in range(size):
        review = NoteReview(
            note=note, reviewer=supervisor, decision="returned", comments=f"Round {index}."
        )
        review.content_hash = review.compute_hash()
        review.save()
    note = sign_note(note)
    for index in range(size):
        addendum = NoteAddendum(note=note, author=therapist, text=f"Addendum {index}.")
        addendum.content_hash = addendum.compute_hash()
        addendum.save()
    web = client_for(therapist)
    url = reverse("sessions:note", kwargs={"pk": rich_client.pk, "note_pk": note.pk})

    with django_assert_num_queries(SIGNED_NOTE_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    assert response.content.decode().count("Addendum ") == size
    assert response.content.decode().count("Round ") == size


@pytest.fixture
def noted_record(therapist: User, request: pytest.FixtureRequest) -> Client:
    """A client with `request.param` attended sessions a week apart, each with a rated signed
    note (every third with a rating alert), plus one attended without a note and one ahead."""
    client = ClientFactory(therapist=therapist)
    for index in range(request.param):
        note = SessionNoteFactory(
            appointment=AttendedAppointmentFactory(
                client=client, starts_at=at(days_from_today(-7 * (index + 1)), "10:00")
            ),
            rating_heard=8,
            rating_wanted=7,
            rating_approach=index % 10,
            rating_overall=8,
        )
        note = sign_note(note)
        if index % 3 == 0:
            RatingAlert.objects.create(
                note=note, client=client, reason=RatingAlert.Reason.BELOW_THRESHOLD, total=23
            )
    AttendedAppointmentFactory(client=client, starts_at=at(days_from_today(-1), "10:00"))
    AppointmentFactory(client=client)
    return client


@pytest.mark.parametrize("noted_record", [1, 25], indirect=True)
@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_chart_section_with_notes_queries(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    noted_record: Client,
    role: str,
    django_assert_num_queries,
) -> None:
    web = client_for(request.getfixturevalue(role))
    url = reverse("sessions:section", kwargs={"pk": noted_record.pk})

    with django_assert_num_queries(SESSIONS_SECTION_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    rated = noted_record.session_notes.count()
    # The latest 20 ratings, oldest of them first.
    ratings = response.context["ratings"]
    assert len(ratings) == min(rated, 20)
    assert [p.total for p in ratings] == [
        8 + 7 + (index % 10) + 8 for index in reversed(range(min(rated, 20)))
    ]
    assert ratings == sorted(ratings, key=lambda p: p.date)
    assert [f.label for f in response.context["flags"]] == ["Session rating alert"]


@pytest.mark.parametrize("size", [1, 25])
def test_caseload_with_notes_queries(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    size: int,
    django_assert_num_queries,
) -> None:
    """`size` clients, each with late notes, a returned note and a rating alert."""
    for index in range(size):
        _late_and_open(therapist, supervisor, index)
    web = client_for(therapist)

    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.get(reverse("clients:caseload"))

    assert response.status_code == 200
    assert [n.text for n in response.context["notices"]] == [
        f"{3 * size} sessions have no signed note 24 hours after they ended.",
        f"{size} note{'s' if size > 1 else ''} came back from your supervisor with comments.",
        f"{size} session rating{'s need' if size > 1 else ' needs'} a look.",
    ]
    assert [[f.label for f in flags] for _client, flags, _s in response.context["rows"]] == [
        ["Session rating alert"]
    ] * size


@pytest.mark.parametrize("size", [1, 20])
def test_calendar_with_notes_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    """`size` attended sessions last week, each with a note: the calendar loads no note."""
    monday = days_from_today(-7) - datetime.timedelta(days=days_from_today(-7).weekday())
    for index in range(size):
        SessionNoteFactory(
            appointment=AttendedAppointmentFactory(
                client=ClientFactory(therapist=therapist),
                starts_at=at(
                    monday + datetime.timedelta(days=index % 5), f"{9 + index % 8:02d}:00"
                ),
            )
        )
    web = client_for(therapist)

    with django_assert_num_queries(CALENDAR_QUERIES):
        response = web.get(
            reverse("scheduling:week", args=[therapist.pk]), {"date": monday.isoformat()}
        )

    assert response.status_code == 200
    assert sum(len(day.appointments) for day in response.context["days"]) == size
    assert timezone.localdate(response.context["days"][0].appointments[0].starts_at) == monday
