"""Group pages per role: the facilitator runs the group; the facilitator's supervisor reads it
and co-signs or returns a trainee's group note; everyone else gets 404 (a clinic admin too); a
refused write stores nothing. Query counts stay the same at one and at many members."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from groups import services
from groups.models import Attendance, Group, GroupNote, Meeting, MemberNote, Membership
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, SupervisorFactory, TherapistFactory
from tests.groups.factories import group_consent
from tests.htmltext import page_text

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]
PASSWORD = "a long enough password 1"
ATTENDED = "attended"

URLS = (
    "list",
    "create",
    "detail",
    "member_add",
    "member_leave",
    "meeting",
    "attendance",
    "drop_in",
    "note_start",
    "note_save",
    "note_sign",
    "note_cosign",
    "note_return",
    "section",
)
ROLE_STATUS = {
    "therapist": (200, 200, 200, 302, 302, 200, 302, 302, 302, 302, 302, 403, 403, 200),
    "other_therapist": (200, 200, *([404] * 12)),
    "supervisor": (200, 404, 200, 403, 403, 200, 403, 403, 403, 403, 403, 302, 302, 200),
    "other_supervisor": (200, *([404] * 13)),
    "clinic_admin": (404,) * 14,
    "anonymous": (302,) * 14,
}


@pytest.fixture
def therapist(db: None) -> User:
    # A trainee facilitator, so that the supervisor has group notes to co-sign.
    return TherapistFactory(full_name="Tess Therapist", password=PASSWORD, requires_cosign=True)


@pytest.fixture
def supervisor(db: None, therapist: User) -> User:
    user = SupervisorFactory(full_name="Sue Supervisor", password=PASSWORD)
    SupervisionFactory(supervisor=user, supervisee=therapist)
    return user


def running_group(lead: User, *, members: int = 2, weeks: int = 6) -> Group:
    """A drop-in group whose last past meeting started an hour ago, with `members` clients of
    `lead` under a consent, all attending every past meeting."""
    last = timezone.localtime() - datetime.timedelta(hours=1)
    first = last - datetime.timedelta(weeks=weeks - 1)
    group = services.group_create(
        actor=lead,
        name="Wednesday group",
        label="Group, room 2",
        kind=Group.Kind.DROP_IN,
        weekday=last.weekday(),
        start_time=last.time().replace(second=0, microsecond=0),
        duration_minutes=90,
        starts_on=first.date(),
        ends_on=last.date() + datetime.timedelta(weeks=1),
    )
    for i in range(members):
        client = ClientFactory(therapist=lead, preferred_name=f"Member{i}")
        group_consent(client)
        services.member_add(
            actor=lead, group=group, chart_number=client.chart_number, joined_on=first.date()
        )
    return group


def _note(lead: User, meeting: Meeting, *, sign: bool) -> GroupNote:
    memberships = list(services.members_on(meeting))
    services.attendance_record(
        actor=lead, meeting=meeting, statuses={m.pk: ATTENDED for m in memberships}
    )
    note = services.group_note_start(actor=lead, meeting=meeting)
    note = services.group_note_save(
        actor=lead,
        note=note,
        expected_version=note.version,
        shared="Spacing doses and naloxone.",
        parts={m.client_id: "Own words." for m in memberships},
    )
    if sign:
        note = services.group_note_sign(
            actor=lead, note=note, password=PASSWORD, expected_version=note.version
        )
    return note


def scenario(lead: User) -> dict[str, Any]:
    group = running_group(lead)
    m = list(group.meetings.order_by("starts_at"))
    _note(lead, m[0], sign=False)  # a draft to save
    _note(lead, m[1], sign=False)  # a draft to sign
    _note(lead, m[2], sign=True)  # waiting for co-signature
    _note(lead, m[3], sign=True)  # waiting for co-signature, to return
    services.attendance_record(
        actor=lead,
        meeting=m[4],
        statuses={x.pk: ATTENDED for x in services.members_on(m[4])},
    )  # held, no note yet
    newcomer = ClientFactory(therapist=lead)
    group_consent(newcomer)
    walk_in = ClientFactory(therapist=lead)
    group_consent(walk_in)
    return {
        "group": group,
        "meetings": m,
        "member": group.memberships.order_by("pk").first(),
        "newcomer": newcomer,
        "walk_in": walk_in,
    }


def snapshot() -> tuple[Any, ...]:
    return (
        list(Membership.objects.order_by("pk").values_list("client_id", "left_on")),
        list(
            Attendance.objects.order_by("pk").values_list("membership_id", "meeting_id", "status")
        ),
        list(GroupNote.objects.order_by("pk").values_list("status", "version")),
        list(MemberNote.objects.order_by("pk").values_list("text", flat=True)),
    )


def _requests(s: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    g, m = s["group"], s["meetings"]
    m0_note = m[0].note
    members = list(services.members_on(m[5]))
    return [
        ("get", reverse("groups:list"), {}),
        ("get", reverse("groups:create"), {}),
        ("get", reverse("groups:detail", args=[g.pk]), {}),
        (
            "post",
            reverse("groups:member_add", args=[g.pk]),
            {"chart_number": s["newcomer"].chart_number, "joined_on": m[5].day.isoformat()},
        ),
        (
            "post",
            reverse("groups:member_leave", args=[g.pk, s["member"].pk]),
            {"left_on": m[5].day.isoformat()},
        ),
        ("get", reverse("groups:meeting", args=[m[5].pk]), {}),
        (
            "post",
            reverse("groups:attendance", args=[m[5].pk]),
            {f"member_{x.pk}": ATTENDED for x in members},
        ),
        (
            "post",
            reverse("groups:drop_in", args=[m[5].pk]),
            {"chart_number": s["walk_in"].chart_number},
        ),
        ("post", reverse("groups:note_start", args=[m[4].pk]), {}),
        (
            "post",
            reverse("groups:note_save", args=[m[0].pk]),
            {"version": str(m0_note.version), "shared": "Changed themes."},
        ),
        ("post", reverse("groups:note_sign", args=[m[1].pk]), {"password": PASSWORD}),
        ("post", reverse("groups:note_cosign", args=[m[2].pk]), {"password": PASSWORD}),
        ("post", reverse("groups:note_return", args=[m[3].pk]), {"comments": "More themes."}),
        ("get", reverse("groups:section", args=[s["member"].client_id]), {}),
    ]


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_per_role(
    request: pytest.FixtureRequest, client_for: ClientFor, therapist: User, role: str
) -> None:
    request.getfixturevalue("supervisor")
    request.getfixturevalue("other_supervisor")
    s = scenario(therapist)
    web = client_for(request.getfixturevalue(role))
    before = snapshot()

    statuses = tuple(
        getattr(web, method)(url, data).status_code for method, url, data in _requests(s)
    )

    assert dict(zip(URLS, statuses, strict=True)) == dict(zip(URLS, ROLE_STATUS[role], strict=True))
    if role not in ("therapist", "supervisor"):
        assert snapshot() == before


def test_supervisor_refused_writes_store_nothing(
    client_for: ClientFor, therapist: User, supervisor: User
) -> None:
    s = scenario(therapist)
    web = client_for(supervisor)
    before = snapshot()
    writes = [r for r in _requests(s)[3:11] if r[0] == "post"]
    assert len(writes) == 7
    for method, url, data in writes:
        assert getattr(web, method)(url, data).status_code == 403
    assert snapshot() == before


def test_facilitator_writes_took_effect(client_for: ClientFor, therapist: User) -> None:
    s = scenario(therapist)
    web = client_for(therapist)
    for method, url, data in _requests(s):
        getattr(web, method)(url, data)
    m = s["meetings"]
    assert Membership.objects.filter(client=s["newcomer"]).count() == 1
    s["member"].refresh_from_db()
    assert s["member"].left_on == m[5].day
    assert Attendance.objects.get(meeting=m[5], client=s["walk_in"]).status == ATTENDED
    assert GroupNote.objects.get(meeting=m[4]).status == "draft"
    assert GroupNote.objects.get(meeting=m[0]).shared == "Changed themes."
    assert GroupNote.objects.get(meeting=m[1]).status == "awaiting_cosign"


def test_supervisor_cosigns_and_returns(
    client_for: ClientFor, therapist: User, supervisor: User
) -> None:
    s = scenario(therapist)
    web = client_for(supervisor)
    for method, url, data in _requests(s)[11:13]:
        assert getattr(web, method)(url, data).status_code == 302
    m = s["meetings"]
    assert GroupNote.objects.get(meeting=m[2]).status == "cosigned"
    assert GroupNote.objects.get(meeting=m[3]).status == "draft"


def test_member_without_consent_is_refused_on_the_page(
    client_for: ClientFor, therapist: User
) -> None:
    group = running_group(therapist, members=0)
    stranger = ClientFactory()
    response = client_for(therapist).post(
        reverse("groups:member_add", args=[group.pk]),
        {"chart_number": stranger.chart_number, "joined_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert str(services.NO_CONSENT) in page_text(response)
    assert Membership.objects.count() == 0


def test_bad_dates_are_refused_not_500(client_for: ClientFor, therapist: User) -> None:
    response = client_for(therapist).post(
        reverse("groups:create"),
        {
            "name": "G",
            "label": "Group",
            "kind": "closed",
            "weekday": "1",
            "start_time": "18:00",
            "duration_minutes": "90",
            "starts_on": "9999-12-31",
            "ends_on": "2026-13-01",
        },
    )
    assert response.status_code == 400
    assert Group.objects.count() == 0


# --- Query counts -------------------------------------------------------------------------


def _count(django_assert_num_queries: Any, web: HttpClient, url: str, n: int) -> None:
    with django_assert_num_queries(n):
        assert web.get(url).status_code == 200


LIST_QUERIES = 5
DETAIL_QUERIES = 7
# The meeting page records its reading (an access event): one insert.
MEETING_QUERIES = 10
SECTION_QUERIES = 10


@pytest.mark.parametrize("members", [1, 6])
def test_query_counts(
    client_for: ClientFor, therapist: User, django_assert_num_queries: Any, members: int
) -> None:
    # n members, n past meetings each with a signed note, n groups on the list.
    group = running_group(therapist, members=members, weeks=members)
    past = list(group.meetings.filter(starts_at__lt=timezone.now()).order_by("starts_at"))
    assert len(past) == members
    for meeting in past:
        _note(therapist, meeting, sign=True)
    for _ in range(members - 1):
        running_group(therapist, members=1, weeks=1)
    web = client_for(therapist)
    member = group.memberships.first()
    _count(django_assert_num_queries, web, reverse("groups:list"), LIST_QUERIES)
    _count(
        django_assert_num_queries, web, reverse("groups:detail", args=[group.pk]), DETAIL_QUERIES
    )
    _count(
        django_assert_num_queries,
        web,
        reverse("groups:meeting", args=[meeting.pk]),
        MEETING_QUERIES,
    )
    _count(
        django_assert_num_queries,
        web,
        reverse("groups:section", args=[member.client_id]),
        SECTION_QUERIES,
    )


def test_double_submission_of_save_and_sign_is_safe(client_for: ClientFor, therapist: User) -> None:
    s = scenario(therapist)
    web = client_for(therapist)
    m0, m1 = s["meetings"][0], s["meetings"][1]
    save = {"version": str(m0.note.version), "shared": "Same text twice."}
    first = web.post(reverse("groups:note_save", args=[m0.pk]), save)
    second = web.post(reverse("groups:note_save", args=[m0.pk]), save)
    sign_url = reverse("groups:note_sign", args=[m1.pk])
    signs = [web.post(sign_url, {"password": PASSWORD}).status_code for _ in range(2)]

    assert (first.status_code, second.status_code, signs) == (302, 302, [302, 302])
    assert GroupNote.objects.get(meeting=m0).version == m0.note.version + 1
    assert GroupNote.objects.get(meeting=m1).status == "awaiting_cosign"


def test_reading_a_meeting_is_an_access_event(client_for: ClientFor, therapist: User) -> None:
    group = running_group(therapist, members=1, weeks=1)
    meeting = group.meetings.order_by("starts_at").first()
    client_for(therapist).get(reverse("groups:meeting", args=[meeting.pk]))
    event = AuditEvent.objects.filter(action="group.meeting_view").get()
    assert (event.category, event.actor_id, event.object_id) == (
        "access",
        therapist.pk,
        str(meeting.pk),
    )
