"""Who reaches each supervision page, with the exact status for every role; writes refused
change nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import Client as ClinicClient
from hrp.accounts.models import User
from supervision import services
from supervision.models import ChartComment, SupervisionMeeting
from tests.clients.factories import ClientFactory
from tests.conftest import ROLE_FIXTURES

ClientFor = Callable[[User | None], Client]


@pytest.fixture
def records(
    supervisor: User, therapist: User
) -> tuple[ClinicClient, SupervisionMeeting, ChartComment]:
    client = ClientFactory(therapist=therapist)
    meeting = services.meeting_record(
        supervisor=supervisor,
        supervisee=therapist,
        met_on=timezone.localdate(),
        clients=[client],
        guidance="Slow down with the plan.",
    )
    comment = services.comment_add(author=supervisor, client=client, text="Check naloxone.")
    return client, meeting, comment


def _user(request: pytest.FixtureRequest, role: str) -> User | None:
    return request.getfixturevalue(role)


def get_statuses(request: pytest.FixtureRequest, client_for: ClientFor, url: str) -> dict[str, int]:
    return {role: client_for(_user(request, role)).get(url).status_code for role in ROLE_FIXTURES}


GET_PAGES = {
    # page: (therapist, other_therapist, supervisor, other_supervisor, clinic_admin, anonymous)
    "home": (302, 302, 200, 200, 302, 302),
    "column": (404, 404, 200, 404, 404, 302),
    "meetings": (200, 200, 200, 200, 404, 302),
    "meeting_create": (404, 404, 200, 404, 404, 302),
    "meeting": (200, 404, 200, 404, 404, 302),
    "comments": (200, 200, 200, 200, 404, 302),
    "comment_create": (403, 404, 200, 404, 404, 302),
}


def page_url(page: str, therapist: User, client: ClinicClient, meeting: SupervisionMeeting) -> str:
    return {
        "home": reverse("home:home"),
        "column": reverse("supervision:column", args=[therapist.pk, "late-notes"]),
        "meetings": reverse("supervision:meetings"),
        "meeting_create": reverse("supervision:meeting_create", args=[therapist.pk]),
        "meeting": reverse("supervision:meeting", args=[meeting.pk]),
        "comments": reverse("supervision:comments"),
        "comment_create": reverse("supervision:comment_create", args=[client.pk]),
    }[page]


@pytest.mark.parametrize("page", list(GET_PAGES))
def test_get_statuses_per_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    other_supervisor: User,
    clinic_admin: User,
    records: tuple[ClinicClient, SupervisionMeeting, ChartComment],
    page: str,
) -> None:
    client, meeting, _comment = records
    url = page_url(page, therapist, client, meeting)

    assert get_statuses(request, client_for, url) == dict(
        zip(ROLE_FIXTURES, GET_PAGES[page], strict=True)
    )


@pytest.mark.parametrize(
    ("role", "status", "created"),
    [
        ("therapist", 404, 0),
        ("other_therapist", 404, 0),
        ("supervisor", 302, 1),
        ("other_supervisor", 404, 0),
        ("clinic_admin", 404, 0),
        ("anonymous", 302, 0),
    ],
)
def test_recording_a_meeting_per_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    other_supervisor: User,
    clinic_admin: User,
    role: str,
    status: int,
    created: int,
) -> None:
    client = ClientFactory(therapist=therapist)
    url = reverse("supervision:meeting_create", args=[therapist.pk])

    response = client_for(_user(request, role)).post(
        url,
        {"met_on": timezone.localdate().isoformat(), "clients": [client.pk], "guidance": "Go on."},
    )

    assert response.status_code == status
    assert SupervisionMeeting.objects.count() == created


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
def test_leaving_a_comment_per_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    other_supervisor: User,
    clinic_admin: User,
    role: str,
    status: int,
    created: int,
) -> None:
    client = ClientFactory(therapist=therapist)
    url = reverse("supervision:comment_create", args=[client.pk])

    response = client_for(_user(request, role)).post(url, {"text": "A thought."})

    assert response.status_code == status
    assert ChartComment.objects.count() == created


@pytest.mark.parametrize(
    ("role", "status", "acknowledged"),
    [
        ("therapist", 302, True),
        ("other_therapist", 404, False),
        ("supervisor", 403, False),
        ("other_supervisor", 404, False),
        ("clinic_admin", 404, False),
        ("anonymous", 302, False),
    ],
)
def test_acknowledging_a_comment_per_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    other_therapist: User,
    other_supervisor: User,
    clinic_admin: User,
    records: tuple[ClinicClient, SupervisionMeeting, ChartComment],
    role: str,
    status: int,
    acknowledged: bool,
) -> None:
    _client, _meeting, comment = records
    url = reverse("supervision:comment_acknowledge", args=[comment.pk])

    response = client_for(_user(request, role)).post(url)

    assert response.status_code == status
    comment.refresh_from_db()
    assert comment.is_acknowledged is acknowledged


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("/supervision/comments/", "/supervision/comments/"),
        # A bare word would be taken for a URL name by redirect() (NoReverseMatch, a 500).
        ("comments", None),
        ("https://elsewhere.example/", None),
        ("//elsewhere.example/", None),
    ],
)
def test_acknowledging_returns_only_to_a_page_of_ours(
    client_for: ClientFor,
    therapist: User,
    records: tuple[ClinicClient, SupervisionMeeting, ChartComment],
    sent: str,
    expected: str | None,
) -> None:
    client, _meeting, comment = records
    url = reverse("supervision:comment_acknowledge", args=[comment.pk])

    response = client_for(therapist).post(url, {"next": sent})

    assert response.status_code == 302
    assert response["Location"] == (expected or reverse("clients:chart", args=[client.pk]))


def test_acknowledge_is_post_only(
    client_for: ClientFor,
    therapist: User,
    records: tuple[ClinicClient, SupervisionMeeting, ChartComment],
) -> None:
    _client, _meeting, comment = records
    url = reverse("supervision:comment_acknowledge", args=[comment.pk])

    assert client_for(therapist).get(url).status_code == 405
