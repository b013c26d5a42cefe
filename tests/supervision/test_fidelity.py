"""Fidelity reviews (supervision/fidelity.py's checklist on a signed session) and the
countertransference prompt of a supervision meeting: the one-per-note rule, who reaches each
page, the trainee's trend at its edges, and its query count at one review and many."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from hrp.accounts.models import Supervision, User
from hrp.language import HINT_ATTR
from sessions.models import SessionNote
from supervision import selectors, services
from supervision.fidelity import CLEARLY, ITEM_KEYS, ITEMS, NOT_OBSERVED, PARTLY
from supervision.models import FidelityReview, SupervisionMeeting
from tests.clients.factories import ClientFactory
from tests.concurrency import run_at_once, web_for
from tests.conftest import ROLE_FIXTURES
from tests.factories import SupervisionFactory, SupervisorFactory
from tests.sessions.factories import SessionNoteFactory
from tests.supervision.helpers import attended, signed_note

ClientFor = Callable[[User | None], Client]

ALL_CLEARLY = dict.fromkeys(ITEM_KEYS, CLEARLY)


def _signed(therapist: User, days_ago: int = 1) -> SessionNote:
    client = ClientFactory(therapist=therapist)
    when = timezone.now() - datetime.timedelta(days=days_ago)
    return signed_note(attended(client, when))


def _draft(therapist: User) -> SessionNote:
    client = ClientFactory(therapist=therapist)
    return SessionNoteFactory(appointment=attended(client, timezone.now()))


def _post_data(ratings: dict[str, int], comment: str = "") -> dict[str, object]:
    return {**ratings, "comment": comment}


# --- The service: one per supervisor per note ---------------------------------------------------


def test_a_review_is_recorded_with_every_item_and_the_session_date(
    supervisor: User, therapist: User
) -> None:
    note = _signed(therapist, days_ago=3)
    ratings = {**ALL_CLEARLY, "ambivalence": PARTLY, "safety": NOT_OBSERVED}

    review = services.fidelity_review_record(
        supervisor=supervisor, note=note, ratings=ratings, comment="Ask about naloxone."
    )

    review.refresh_from_db()
    assert review.therapist == therapist
    assert review.session_on == timezone.localdate(note.appointment.starts_at)
    assert review.ratings == ratings
    assert review.comment == "Ask about naloxone."


def test_a_second_review_of_the_same_note_by_the_same_supervisor_is_refused(
    supervisor: User, therapist: User
) -> None:
    note = _signed(therapist)
    services.fidelity_review_record(supervisor=supervisor, note=note, ratings=ALL_CLEARLY)

    with pytest.raises(ValidationError) as refused:
        services.fidelity_review_record(supervisor=supervisor, note=note, ratings=ALL_CLEARLY)

    assert refused.value.message_dict == {"note": ["You have already reviewed this session."]}
    assert FidelityReview.objects.count() == 1


def test_the_next_supervisor_may_review_the_same_note_once_too(
    supervisor: User, therapist: User
) -> None:
    note = _signed(therapist)
    services.fidelity_review_record(supervisor=supervisor, note=note, ratings=ALL_CLEARLY)
    Supervision.objects.filter(supervisor=supervisor).update(ended_at=timezone.now())
    successor = SupervisorFactory()
    SupervisionFactory(supervisor=successor, supervisee=therapist)

    services.fidelity_review_record(supervisor=successor, note=note, ratings=ALL_CLEARLY)

    assert sorted(
        FidelityReview.objects.filter(note=note).values_list("supervisor", flat=True)
    ) == [
        supervisor.pk,
        successor.pk,
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ("unsigned", "note", "The note is reviewed once the therapist has signed it."),
        ("missing_item", "ratings", "Rate every item: not observed, partly or clearly."),
        ("bad_rating", "ratings", "Rate every item: not observed, partly or clearly."),
        ("long_comment", "comment", "Please keep this under 20,000 characters (it has 20001)."),
    ],
)
def test_the_service_refuses_with_a_message_and_stores_nothing(
    supervisor: User, therapist: User, change: str, field: str, message: str
) -> None:
    note = _draft(therapist) if change == "unsigned" else _signed(therapist)
    ratings, comment = dict(ALL_CLEARLY), ""
    if change == "unsigned":
        pass
    elif change == "missing_item":
        del ratings["safety"]
    elif change == "bad_rating":
        ratings["safety"] = 7
    else:
        comment = "x" * 20_001

    with pytest.raises(ValidationError) as refused:
        services.fidelity_review_record(
            supervisor=supervisor, note=note, ratings=ratings, comment=comment
        )

    assert refused.value.message_dict == {field: [message]}
    assert FidelityReview.objects.count() == 0


def test_a_supervisor_of_someone_else_cannot_review(
    other_supervisor: User, therapist: User
) -> None:
    note = _signed(therapist)

    with pytest.raises(ValidationError) as refused:
        services.fidelity_review_record(supervisor=other_supervisor, note=note, ratings=ALL_CLEARLY)

    assert refused.value.message_dict == {
        "note": ["You can review only the sessions of people you supervise."]
    }


# --- Who reaches each page ----------------------------------------------------------------------

GET_PAGES = {
    # page: (therapist, other_therapist, supervisor, other_supervisor, clinic_admin, anonymous)
    "review_create": (403, 404, 200, 404, 404, 302),
    "review": (200, 404, 200, 404, 404, 302),
    "trend": (200, 404, 200, 404, 404, 302),
}


@pytest.mark.parametrize("page", list(GET_PAGES))
def test_get_statuses_per_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    other_therapist: User,
    other_supervisor: User,
    clinic_admin: User,
    page: str,
) -> None:
    reviewed = _signed(therapist, days_ago=2)
    review = services.fidelity_review_record(
        supervisor=supervisor, note=reviewed, ratings=ALL_CLEARLY
    )
    url = {
        "review_create": reverse(
            "supervision:fidelity_review_create", args=[_signed(therapist).pk]
        ),
        "review": reverse("supervision:fidelity_review", args=[review.pk]),
        "trend": reverse("supervision:fidelity_trend", args=[therapist.pk]),
    }[page]

    statuses = {
        role: client_for(request.getfixturevalue(role)).get(url).status_code
        for role in ROLE_FIXTURES
    }

    assert statuses == dict(zip(ROLE_FIXTURES, GET_PAGES[page], strict=True))


def test_each_therapist_reads_only_their_own_trend(
    client_for: ClientFor, therapist: User, other_therapist: User
) -> None:
    own = client_for(other_therapist).get(
        reverse("supervision:fidelity_trend", args=[other_therapist.pk])
    )

    assert own.status_code == 200
    assert own.context["own"] is True


@pytest.mark.parametrize(
    ("role", "status", "created"),
    [
        ("therapist", 403, 0),
        ("other_therapist", 404, 0),
        ("supervisor", 302, 1),
        ("other_supervisor", 404, 0),
        ("clinic_admin", 404, 0),
        ("anonymous", 302, 0),
    ],
)
def test_recording_a_review_per_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    other_therapist: User,
    other_supervisor: User,
    clinic_admin: User,
    role: str,
    status: int,
    created: int,
) -> None:
    note = _signed(therapist)
    url = reverse("supervision:fidelity_review_create", args=[note.pk])

    response = client_for(request.getfixturevalue(role)).post(url, _post_data(ALL_CLEARLY))

    assert response.status_code == status
    assert FidelityReview.objects.count() == created
    if created:
        review = FidelityReview.objects.get()
        assert response["Location"] == reverse("supervision:fidelity_review", args=[review.pk])


def test_a_draft_note_has_no_checklist(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    note = _draft(therapist)

    response = client_for(supervisor).get(
        reverse("supervision:fidelity_review_create", args=[note.pk])
    )

    assert response.status_code == 404


def test_a_form_missing_a_rating_says_so_and_keeps_what_was_typed(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    note = _signed(therapist)
    ratings = dict(ALL_CLEARLY)
    del ratings["client_goals"]

    response = client_for(supervisor).post(
        reverse("supervision:fidelity_review_create", args=[note.pk]),
        _post_data(ratings, comment="Good pacing."),
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "client_goals": ["Rate this item: not observed, partly or clearly."]
    }
    assert "Good pacing." in response.content.decode()
    assert FidelityReview.objects.count() == 0


def test_opening_the_checklist_again_goes_to_the_review_already_made(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    note = _signed(therapist)
    review = services.fidelity_review_record(supervisor=supervisor, note=note, ratings=ALL_CLEARLY)

    response = client_for(supervisor).post(
        reverse("supervision:fidelity_review_create", args=[note.pk]), _post_data(ALL_CLEARLY)
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:fidelity_review", args=[review.pk])
    assert FidelityReview.objects.count() == 1


def test_a_supervisor_whose_supervision_ended_no_longer_reads_the_reviews(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    review = services.fidelity_review_record(
        supervisor=supervisor, note=_signed(therapist), ratings=ALL_CLEARLY
    )
    Supervision.objects.filter(supervisor=supervisor, supervisee=therapist).update(
        ended_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    client = client_for(supervisor)

    assert client.get(reverse("supervision:fidelity_review", args=[review.pk])).status_code == 404
    assert client.get(reverse("supervision:fidelity_trend", args=[therapist.pk])).status_code == 404


# --- The trend at its edges ---------------------------------------------------------------------


def _review_weeks(supervisor: User, therapist: User, weeks: int) -> list[FidelityReview]:
    reviews = []
    for week in range(weeks):
        note = _signed(therapist, days_ago=7 * (weeks - week))
        ratings = {**ALL_CLEARLY, "ambivalence": min(week, CLEARLY)}
        reviews.append(
            services.fidelity_review_record(supervisor=supervisor, note=note, ratings=ratings)
        )
    return reviews


def test_the_trend_with_no_reviews(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    trend = selectors.fidelity_trend(user=supervisor, trainee=therapist)

    assert trend.reviews == []
    assert [(t.item.key, t.points, t.average) for t in trend.items] == [
        (item.key, [], None) for item in ITEMS
    ]
    page = client_for(supervisor).get(reverse("supervision:fidelity_trend", args=[therapist.pk]))
    assert "No fidelity reviews yet." in page.content.decode()


def test_the_trend_with_one_review_has_a_table_and_no_line(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    (review,) = _review_weeks(supervisor, therapist, 1)

    page = client_for(supervisor).get(reverse("supervision:fidelity_trend", args=[therapist.pk]))

    trend = page.context["trend"]
    assert trend.reviews == [review]
    assert [t.points for t in trend.items][1] == [(review.session_on, NOT_OBSERVED)]
    assert [chart for _t, chart in page.context["charts"]] == [None] * len(ITEMS)
    assert page.content.decode().count("<svg") == 0


def test_the_trend_with_many_reviews_oldest_first_with_a_chart_per_item(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    reviews = _review_weeks(supervisor, therapist, 4)

    page = client_for(supervisor).get(reverse("supervision:fidelity_trend", args=[therapist.pk]))

    trend = page.context["trend"]
    assert trend.reviews == list(reversed(reviews))
    ambivalence = next(t for t in trend.items if t.item.key == "ambivalence")
    assert ambivalence.points == [
        (reviews[0].session_on, 0),
        (reviews[1].session_on, 1),
        (reviews[2].session_on, 2),
        (reviews[3].session_on, 2),
    ]
    assert ambivalence.average == 1.25
    assert page.content.decode().count("<svg") == len(ITEMS)


def test_the_trend_reads_the_latest_reviews_only(supervisor: User, therapist: User) -> None:
    limit = selectors.FIDELITY_TREND_LIMIT
    reviews = _review_weeks(supervisor, therapist, limit + 2)

    trend = selectors.fidelity_trend(user=supervisor, trainee=therapist)

    assert trend.reviews == list(reversed(reviews))[:limit]


# The trend page: session, user, authenticator; the trainee (access); the reviews with their
# supervisor (one query, the comment not read).
FIDELITY_TREND_QUERIES = 5


@pytest.mark.parametrize("weeks", [1, 8])
def test_the_trend_page_has_a_fixed_number_of_queries(
    client_for: ClientFor,
    django_assert_num_queries: DjangoAssertNumQueries,
    supervisor: User,
    therapist: User,
    weeks: int,
) -> None:
    _review_weeks(supervisor, therapist, weeks)
    client = client_for(supervisor)
    url = reverse("supervision:fidelity_trend", args=[therapist.pk])
    client.get(url)  # settles the session's last-seen stamp

    with django_assert_num_queries(FIDELITY_TREND_QUERIES):
        response = client.get(url)

    assert len(response.context["trend"].reviews) == weeks


# --- Countertransference in supervision meetings ------------------------------------------------


def test_a_meeting_keeps_the_countertransference_for_the_two_people_in_it(
    client_for: ClientFor,
    supervisor: User,
    therapist: User,
    other_supervisor: User,
    clinic_admin: User,
) -> None:
    response = client_for(supervisor).post(
        reverse("supervision:meeting_create", args=[therapist.pk]),
        {
            "met_on": timezone.localdate().isoformat(),
            "guidance": "Follow the client's pace.",
            "countertransference": "Felt a pull to rescue after the weekend above plan.",
        },
    )

    meeting = SupervisionMeeting.objects.get()
    assert response.status_code == 302
    assert meeting.countertransference == "Felt a pull to rescue after the weekend above plan."
    url = reverse("supervision:meeting", args=[meeting.pk])
    for user in (supervisor, therapist):
        page = client_for(user).get(url)
        assert "Felt a pull to rescue" in page.content.decode()
    for user in (other_supervisor, clinic_admin):
        assert client_for(user).get(url).status_code == 404


def test_the_meeting_form_prompts_and_hints_its_clinician_text(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    page = client_for(supervisor).get(reverse("supervision:meeting_create", args=[therapist.pk]))

    form = page.context["form"]
    html = {name: str(form[name]) for name in ("guidance", "follow_ups", "countertransference")}
    assert all(f" {HINT_ATTR}" in widget for widget in html.values())
    assert "What did these clients stir in the therapist" in page.content.decode()
    # The page loads the script that fetches the terms and shows the hint as the supervisor
    # types; the terms themselves are not in the page.
    body = page.content.decode()
    assert "hrp/language_hint.js" in body
    assert reverse("core:language_hints") in body
    assert "relapse" not in body.lower()
    terms = client_for(supervisor).get(reverse("core:language_hints")).json()
    assert any(t["term"].lower().startswith("relapse") for t in terms["terms"]), terms


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_record_one_review_and_no_error(
    supervisor: User, therapist: User
) -> None:
    note = _signed(therapist)
    url = reverse("supervision:fidelity_review_create", args=[note.pk])
    web = [web_for(supervisor), web_for(supervisor)]

    statuses = run_at_once(
        [lambda c=c: c.post(url, _post_data(ALL_CLEARLY)).status_code for c in web]
    )

    assert FidelityReview.objects.count() == 1
    # The second is either told it already exists (the form again, 200) or sent to the review.
    assert sorted(statuses) in ([200, 302], [302, 302])
