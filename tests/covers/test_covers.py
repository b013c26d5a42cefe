"""Covering clinicians. A clinic admin or the absent therapist's supervisor arranges for a
therapist to cover another's caseload for a date range; during it the cover reads and writes
the clients as a treating clinician (hrp.access), signs notes in their own name, appears in
the access report, and loses access when the range ends or the cover is ended early. The home
notice saying who covers is written but not yet registered (see covers/apps.py).

Throughout, `therapist` (supervised by `supervisor`) is away and `other_therapist` covers."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from covers import selectors, services
from hrp import access
from hrp.accounts.models import Cover, User
from hrp.audit.models import AuditEvent
from sessions.models import SessionNote
from tests.clients.factories import ClientFactory
from tests.conftest import ROLE_FIXTURES
from tests.factories import TherapistFactory
from tests.sessions.factories import AttendedAppointmentFactory

ClientFor = Callable[[User | None], HttpClient]

LIST = reverse("covers:list")
ARRANGE = reverse("covers:arrange")


def _today() -> datetime.date:
    return timezone.localdate()


def _user(request: pytest.FixtureRequest, role: str) -> User | None:
    return request.getfixturevalue(role)


@pytest.fixture
def everyone(
    therapist: User,
    other_therapist: User,
    supervisor: User,
    other_supervisor: User,
    clinic_admin: User,
) -> None:
    """Every role exists, so each test sees the same people."""


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, chart_number="C-COVER1", legal_name="Robin Ames")


def _cover(
    absent: User, by: User, starts: int = 0, ends: int = 6, *, arranged_by: User | None = None
) -> Cover:
    """A cover written straight to the table (the service refuses dates in the past)."""
    return Cover.objects.create(
        absent=absent,
        cover=by,
        starts_on=_today() + datetime.timedelta(days=starts),
        ends_on=_today() + datetime.timedelta(days=ends),
        arranged_by=arranged_by or absent,
    )


def _form(absent: User, cover: User, starts: int = 0, ends: int = 6) -> dict[str, Any]:
    return {
        "absent": absent.pk,
        "cover": cover.pk,
        "starts_on": (_today() + datetime.timedelta(days=starts)).isoformat(),
        "ends_on": (_today() + datetime.timedelta(days=ends)).isoformat(),
    }


def _covers() -> list[tuple[int, int, datetime.date, datetime.date, Any]]:
    return list(
        Cover.objects.order_by("pk").values_list(
            "absent_id", "cover_id", "starts_on", "ends_on", "ended_at"
        )
    )


# --- Who reaches the pages ---------------------------------------------------------------------

LIST_STATUS = {
    "therapist": 200,
    "other_therapist": 200,
    "supervisor": 200,
    "other_supervisor": 200,
    "clinic_admin": 200,
    "anonymous": 302,
}
ARRANGE_STATUS = {
    "therapist": 404,
    "other_therapist": 404,
    "supervisor": 200,
    "other_supervisor": 200,
    "clinic_admin": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_list_access(
    request: pytest.FixtureRequest, client_for: ClientFor, everyone: None, role: str
) -> None:
    assert client_for(_user(request, role)).get(LIST).status_code == LIST_STATUS[role]


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_arrange_page_access(
    request: pytest.FixtureRequest, client_for: ClientFor, everyone: None, role: str
) -> None:
    assert client_for(_user(request, role)).get(ARRANGE).status_code == ARRANGE_STATUS[role]


# Arranging cover for `therapist`'s caseload: their supervisor and a clinic admin may;
# another supervisor is offered only their own supervisees (the choice is refused, 400).
ARRANGE_POST_STATUS = {
    "therapist": 404,
    "other_therapist": 404,
    "supervisor": 302,
    "other_supervisor": 400,
    "clinic_admin": 302,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_arranging_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    everyone: None,
    therapist: User,
    other_therapist: User,
    role: str,
) -> None:
    user = _user(request, role)

    response = client_for(user).post(ARRANGE, _form(therapist, other_therapist))

    assert response.status_code == ARRANGE_POST_STATUS[role]
    if response.status_code == 302 and user is not None:
        assert response["Location"] == LIST
        assert _covers() == [
            (
                therapist.pk,
                other_therapist.pk,
                _today(),
                _today() + datetime.timedelta(days=6),
                None,
            )
        ]
        event = AuditEvent.objects.get(action="cover.arrange")
        assert (event.category, event.actor_id) == (AuditEvent.Category.SECURITY, user.pk)
    else:
        assert _covers() == []
        assert not AuditEvent.objects.filter(action="cover.arrange").exists()


# Ending a cover of `therapist`'s caseload early: the absent therapist and the cover see it
# (403), another supervisor does not (404).
END_STATUS = {
    "therapist": 403,
    "other_therapist": 403,
    "supervisor": 302,
    "other_supervisor": 404,
    "clinic_admin": 302,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_ending_early_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    everyone: None,
    therapist: User,
    other_therapist: User,
    role: str,
) -> None:
    cover = _cover(therapist, other_therapist)
    user = _user(request, role)

    response = client_for(user).post(reverse("covers:end", args=[cover.pk]))

    assert response.status_code == END_STATUS[role]
    cover.refresh_from_db()
    if response.status_code == 302 and user is not None:
        assert response["Location"] == LIST
        assert (cover.ended_by_id, cover.ended_at is not None) == (user.pk, True)
        assert AuditEvent.objects.filter(action="cover.end").count() == 1
    else:
        assert (cover.ended_by_id, cover.ended_at) == (None, None)
        assert not AuditEvent.objects.filter(action="cover.end").exists()


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"starts_on": "2020-01-01"}, "starts_on", "The first day cannot be in the past."),
        ({"ends_on": "-1"}, "ends_on", "The last day cannot be before the first day."),
        (
            {"ends_on": "100"},
            "ends_on",
            "A cover lasts at most 92 days; for a longer absence, reassign the clients.",
        ),
        ({"cover": "self"}, "cover", "Choose someone other than the therapist who will be away."),
        ({"starts_on": "2026-13-45"}, "starts_on", "Enter a date such as 2026-06-01."),
        ({"ends_on": "٢٠٢٦-٠٦-١٤"}, "ends_on", "Enter a date such as 2026-06-14."),
    ],
)
def test_bad_input_stores_nothing_and_says_why(
    client_for: ClientFor,
    supervisor: User,
    therapist: User,
    other_therapist: User,
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = _form(therapist, other_therapist)
    for key, value in change.items():
        if value == "self":
            data[key] = therapist.pk
        elif value.lstrip("-").isdigit():
            data[key] = (_today() + datetime.timedelta(days=int(value))).isoformat()
        else:
            data[key] = value

    response = client_for(supervisor).post(ARRANGE, data)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert response.context["form"].data[field] == str(data[field])
    assert _covers() == []


def test_overlapping_cover_is_refused(
    client_for: ClientFor, supervisor: User, therapist: User, other_therapist: User
) -> None:
    _cover(therapist, other_therapist, 3, 10)
    before = _covers()
    third = TherapistFactory(full_name="Thea Third")

    response = client_for(supervisor).post(ARRANGE, _form(therapist, third, 0, 4))

    assert response.status_code == 400
    assert response.context["form"].errors["starts_on"] == [
        "Tess Therapist already has cover arranged for some of these days. End it first."
    ]
    assert _covers() == before


def test_the_service_refuses_an_actor_who_may_not_arrange(
    other_supervisor: User, therapist: User, other_therapist: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.cover_arrange(
            actor=other_supervisor,
            absent=therapist,
            cover=other_therapist,
            starts_on=_today(),
            ends_on=_today(),
        )
    assert _covers() == []


# --- Access during, before and after -----------------------------------------------------------


def test_during_the_cover_the_cover_reads_and_writes_as_a_treating_clinician(
    client_for: ClientFor, therapist: User, other_therapist: User, record: Client
) -> None:
    _cover(therapist, other_therapist)
    http = client_for(other_therapist)

    chart = http.get(reverse("clients:chart", args=[record.pk]))
    edit = http.get(reverse("clients:edit", args=[record.pk]))

    assert (chart.status_code, edit.status_code) == (200, 200)
    assert chart.context["can"] == access.ClientAccess(read=True, write=True, supervise=False)
    assert list(Client.objects.filter(access.clients_visible_q(other_therapist))) == [record]


def test_the_cover_signs_notes_in_their_own_name(
    client_for: ClientFor, therapist: User, other_therapist: User, record: Client
) -> None:
    _cover(therapist, other_therapist)
    appointment = AttendedAppointmentFactory(client=record, therapist=therapist)

    response = client_for(other_therapist).post(
        reverse("sessions:note_start", args=[record.pk, appointment.pk])
    )

    note = SessionNote.objects.get(appointment=appointment)
    assert response.status_code == 302
    assert note.author == other_therapist


@pytest.mark.parametrize(
    ("starts", "ends", "ended"),
    [(1, 7, False), (-7, -1, False), (-3, 3, True)],
    ids=["not yet begun", "over", "ended early"],
)
def test_outside_the_cover_the_cover_gets_404(
    client_for: ClientFor,
    therapist: User,
    other_therapist: User,
    record: Client,
    starts: int,
    ends: int,
    ended: bool,
) -> None:
    cover = _cover(therapist, other_therapist, starts, ends)
    if ended:
        cover.ended_at = timezone.now()
        cover.save(update_fields=["ended_at"])
    http = client_for(other_therapist)

    assert http.get(reverse("clients:chart", args=[record.pk])).status_code == 404
    assert http.post(reverse("clients:edit", args=[record.pk]), {}).status_code == 404
    assert access.covers(other_therapist, therapist.pk) is False


def test_the_cover_opens_the_absent_therapists_caseload_only_during_the_cover(
    client_for: ClientFor, therapist: User, other_therapist: User, record: Client
) -> None:
    url = reverse("clients:supervisee_caseload", args=[therapist.pk])
    http = client_for(other_therapist)
    assert http.get(url).status_code == 404

    _cover(therapist, other_therapist)

    assert http.get(url).status_code == 200


# --- The access report and the homes ---------------------------------------------------


def test_the_access_report_lists_the_cover_from_the_access_rules(
    client_for: ClientFor,
    clinic_admin: User,
    supervisor: User,
    therapist: User,
    other_therapist: User,
    record: Client,
) -> None:
    _cover(therapist, other_therapist, 0, 6)

    response = client_for(clinic_admin).get(reverse("oversight:client_access", args=[record.pk]))

    assert response.status_code == 200
    assert [(h.user, h.basis, h.until) for h in response.context["holders"]] == [
        (therapist, "therapist", None),
        (other_therapist, "cover", _today() + datetime.timedelta(days=6)),
        (supervisor, "supervisor", None),
    ]


def test_the_home_notice_says_who_covers(therapist: User, other_therapist: User) -> None:
    cover = _cover(therapist, other_therapist, 2, 9)
    start = f"{cover.starts_on.day} {cover.starts_on:%b %Y}"
    end = f"{cover.ends_on.day} {cover.ends_on:%b %Y}"

    assert [n.text for n in selectors.home_notices(therapist)] == [
        f"Omar Other covers your caseload from {start} to {end}."
    ]
    assert [n.text for n in selectors.home_notices(other_therapist)] == [
        f"You cover Tess Therapist's caseload from {start} to {end}."
    ]


# --- Query counts ------------------------------------------------------------------------------

# Session, user, OTP device; the covers with both therapists and who arranged and ended them.
LIST_QUERIES = 4


@pytest.mark.parametrize("count", [1, 4])
def test_the_list_takes_the_same_queries_for_one_cover_or_many(
    client_for: ClientFor,
    django_assert_num_queries: Any,
    clinic_admin: User,
    therapist: User,
    count: int,
) -> None:
    for index in range(count):
        _cover(TherapistFactory(), therapist, index * 10, index * 10 + 5, arranged_by=clinic_admin)
    http = client_for(clinic_admin)

    with django_assert_num_queries(LIST_QUERIES):
        response = http.get(LIST)

    assert len(response.context["covers"]) == count


# --- The absent therapist's home ---------------------------------------------------------------

HOME_NOTICES = reverse("covers:home_notices")
# Session, user, OTP device; the covers naming the therapist, with both therapists.
HOME_NOTICE_QUERIES = 4


def test_the_caseload_loads_the_cover_notice_after_itself(
    client_for: ClientFor, therapist: User, other_therapist: User
) -> None:
    response = client_for(therapist).get(reverse("clients:caseload"))

    assert response.status_code == 200
    assert response.context["deferred_notices"] == ["covers:home_notices"]
    assert f'hx-get="{HOME_NOTICES}" hx-trigger="load"' in response.content.decode()


def test_the_absent_therapists_home_shows_who_covers(
    client_for: ClientFor, therapist: User, other_therapist: User
) -> None:
    cover = _cover(therapist, other_therapist, 0, 9)
    end = f"{cover.ends_on.day} {cover.ends_on:%b %Y}"
    start = f"{cover.starts_on.day} {cover.starts_on:%b %Y}"

    absent = client_for(therapist).get(HOME_NOTICES)
    covering = client_for(other_therapist).get(HOME_NOTICES)

    assert absent.status_code == 200
    assert [n.text for n in absent.context["notices"]] == [
        f"Omar Other covers your caseload from {start} to {end}."
    ]
    assert f"Omar Other covers your caseload from {start} to {end}." in absent.content.decode()
    assert [n.text for n in covering.context["notices"]] == [
        f"You cover Tess Therapist's caseload from {start} to {end}."
    ]


@pytest.mark.parametrize("role", ["supervisor", "clinic_admin"])
def test_the_cover_notice_is_empty_for_other_roles(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    other_therapist: User,
    role: str,
) -> None:
    _cover(therapist, other_therapist, 0, 9)
    response = client_for(_user(request, role)).get(HOME_NOTICES)

    assert response.status_code == 200
    assert response.context["notices"] == []
    assert response.content.decode().strip() == ""


@pytest.mark.parametrize("count", [1, 4])
def test_the_cover_notice_takes_the_same_queries_for_one_cover_or_many(
    client_for: ClientFor, django_assert_num_queries: Any, therapist: User, count: int
) -> None:
    for index in range(count):
        _cover(therapist, TherapistFactory(), index * 10, index * 10 + 5)
    http = client_for(therapist)

    with django_assert_num_queries(HOME_NOTICE_QUERIES):
        response = http.get(HOME_NOTICES)

    assert len(response.context["notices"]) == count
