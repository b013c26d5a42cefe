"""Supervision meetings and chart comments: validation, who reads them, and that they never
reach the client's chart sections, timeline or access report."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from clients.extensions import chart_sections
from clients.views import section_url
from hrp import bounds
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from supervision import services
from supervision.models import ChartComment, SupervisionMeeting
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, SupervisorFactory

# The message hrp/bounds.py gives for a date after today.
FUTURE_DATE = bounds.HISTORY.message(timezone.localdate() + datetime.timedelta(days=1))

ClientFor = Callable[[User | None], Client]
MEETING_MARKER = "Zanzibarquill"
FOLLOW_UP_MARKER = "Quixotemarrow"
COMMENT_MARKER = "Plumbobfeather"


def meeting_url(therapist: User) -> str:
    return reverse("supervision:meeting_create", args=[therapist.pk])


def form_errors(response: object) -> dict[str, list[str]]:
    form = response.context["form"]  # type: ignore[attr-defined]
    return {name: list(errors) for name, errors in form.errors.items()}


def test_supervisor_records_a_meeting(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    first, second = ClientFactory(therapist=therapist), ClientFactory(therapist=therapist)
    ClientFactory(therapist=therapist)  # not discussed
    met_on = timezone.localdate() - datetime.timedelta(days=2)

    response = client_for(supervisor).post(
        meeting_url(therapist),
        {
            "met_on": met_on.isoformat(),
            "clients": [first.pk, second.pk],
            "guidance": f"  {MEETING_MARKER} pacing.  ",
            "follow_ups": FOLLOW_UP_MARKER,
        },
    )

    meeting = SupervisionMeeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:meeting", args=[meeting.pk])
    assert (meeting.supervisor, meeting.supervisee, meeting.met_on) == (
        supervisor,
        therapist,
        met_on,
    )
    assert set(meeting.clients.all()) == {first, second}
    assert (meeting.guidance, meeting.follow_ups) == (f"{MEETING_MARKER} pacing.", FOLLOW_UP_MARKER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT guidance, follow_ups FROM supervision_supervisionmeeting")
        stored = cursor.fetchone()
    assert [value.startswith("enc1:") for value in stored] == [True, True]
    assert MEETING_MARKER not in stored[0]
    event = AuditEvent.objects.get(action="supervision.meeting_record")
    assert (event.actor, event.object_id, event.chart_number) == (supervisor, str(meeting.pk), "")
    assert event.detail == f"with user {therapist.pk}; 2 clients discussed"


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"met_on": "FUTURE"},
            {"met_on": [FUTURE_DATE]},
        ),
        ({"guidance": ""}, {"guidance": ["Write down the guidance given in the meeting."]}),
        ({"guidance": "   \n "}, {"guidance": ["Write down the guidance given in the meeting."]}),
        (
            {"guidance": "x" * 20_001},
            {"guidance": ["Please keep this under 20,000 characters (it has 20001)."]},
        ),
        (
            {"follow_ups": "y" * 20_001},
            {"follow_ups": ["Please keep this under 20,000 characters (it has 20001)."]},
        ),
        (
            {"clients": "OTHER"},
            {"clients": ["Choose only clients on Tess Therapist's caseload."]},
        ),
        ({"met_on": "31/02/2026"}, {"met_on": ["Enter a date such as 2026-06-01."]}),
    ],
)
def test_meeting_refusals_say_why_and_store_nothing(
    client_for: ClientFor,
    supervisor: User,
    therapist: User,
    other_therapist: User,
    change: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    own = ClientFactory(therapist=therapist)
    other = ClientFactory(therapist=other_therapist)
    data: dict[str, object] = {
        "met_on": timezone.localdate().isoformat(),
        "clients": [own.pk],
        "guidance": "Fine.",
    }
    data.update(change)
    if data["met_on"] == "FUTURE":
        data["met_on"] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    if data["clients"] == "OTHER":
        data["clients"] = [own.pk, other.pk]

    response = client_for(supervisor).post(meeting_url(therapist), data)

    assert response.status_code == 200
    assert form_errors(response) == errors
    assert SupervisionMeeting.objects.count() == 0


def test_service_refuses_what_the_form_would(
    supervisor: User, therapist: User, other_therapist: User
) -> None:
    other = ClientFactory(therapist=other_therapist)
    with pytest.raises(ValidationError) as caught:
        services.meeting_record(
            supervisor=supervisor,
            supervisee=other_therapist,
            met_on=timezone.localdate() + datetime.timedelta(days=1),
            clients=[ClientFactory(therapist=therapist)],
            guidance=" ",
        )
    assert caught.value.message_dict == {
        "supervisee": ["You can record meetings only with people you supervise."],
        "met_on": [FUTURE_DATE],
        "guidance": ["This cannot be empty."],
        "clients": ["Choose only clients on Omar Other's caseload."],
    }
    assert other.pk  # the other supervisor's client exists, but nothing was recorded
    assert SupervisionMeeting.objects.count() == 0


def test_meetings_are_seen_by_their_two_people_only(
    client_for: ClientFor,
    supervisor: User,
    therapist: User,
    other_supervisor: User,
    other_therapist: User,
) -> None:
    mine = services.meeting_record(
        supervisor=supervisor,
        supervisee=therapist,
        met_on=timezone.localdate(),
        clients=[],
        guidance=MEETING_MARKER,
    )
    theirs = services.meeting_record(
        supervisor=other_supervisor,
        supervisee=other_therapist,
        met_on=timezone.localdate(),
        clients=[],
        guidance="Other pair's record.",
    )
    # The therapist moves to a new supervisor: the new one does not inherit the old records.
    supervision = therapist.supervisions_received.get()
    supervision.ended_at = timezone.now()
    supervision.save()
    newcomer = SupervisorFactory(full_name="Nia Newsup")
    SupervisionFactory(supervisor=newcomer, supervisee=therapist)

    def listed(user: User) -> list[SupervisionMeeting]:
        return list(client_for(user).get(reverse("supervision:meetings")).context["meetings"])

    assert listed(supervisor) == [mine]
    assert listed(therapist) == [mine]
    assert listed(other_supervisor) == [theirs]
    assert listed(newcomer) == []
    detail = reverse("supervision:meeting", args=[mine.pk])
    assert client_for(supervisor).get(detail).content.decode().count(MEETING_MARKER) == 1
    assert client_for(therapist).get(detail).content.decode().count(MEETING_MARKER) == 1
    assert client_for(newcomer).get(detail).status_code == 404
    assert client_for(other_supervisor).get(detail).status_code == 404


def test_comment_is_shown_on_the_chart_until_acknowledged(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    chart_client = ClientFactory(therapist=therapist)
    chart = reverse("clients:chart", args=[chart_client.pk])
    sup = client_for(supervisor)
    assert (
        sup.get(chart)
        .content.decode()
        .count(f'href="{reverse("supervision:comment_create", args=[chart_client.pk])}"')
        == 1
    )

    response = sup.post(
        reverse("supervision:comment_create", args=[chart_client.pk]), {"text": COMMENT_MARKER}
    )

    comment = ChartComment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == chart
    assert (comment.client, comment.author, comment.text) == (
        chart_client,
        supervisor,
        COMMENT_MARKER,
    )
    # The supervisor's chart says a comment is waiting, without its text.
    assert sup.get(chart).content.decode().count(COMMENT_MARKER) == 0
    own = client_for(therapist)
    sessions = reverse("sessions:section", args=[chart_client.pk])
    html = own.get(sessions).content.decode()
    assert html.count(COMMENT_MARKER) == 1
    assert html.count("Comment from Sue Supervisor (supervision)") == 1
    ack = reverse("supervision:comment_acknowledge", args=[comment.pk])
    assert html.count(f'action="{ack}"') == 1

    response = own.post(ack, {"next": sessions})

    assert response.status_code == 302
    assert response["Location"] == sessions
    comment.refresh_from_db()
    assert comment.acknowledged_by == therapist
    assert own.get(sessions).content.decode().count(COMMENT_MARKER) == 0
    # A second acknowledgement changes nothing.
    first_time = comment.acknowledged_at
    own.post(ack, {"next": "https://elsewhere.example/"})
    comment.refresh_from_db()
    assert comment.acknowledged_at == first_time
    assert AuditEvent.objects.filter(action="supervision.comment_acknowledge").count() == 1
    # Both still read it on the comments page.
    for user in (supervisor, therapist):
        page = client_for(user).get(reverse("supervision:comments")).content.decode()
        assert page.count(COMMENT_MARKER) == 1


def test_acknowledge_never_redirects_off_site(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    chart_client = ClientFactory(therapist=therapist)
    comment = services.comment_add(author=supervisor, client=chart_client, text="Hi.")

    response = client_for(therapist).post(
        reverse("supervision:comment_acknowledge", args=[comment.pk]),
        {"next": "https://elsewhere.example/"},
    )

    assert response["Location"] == reverse("clients:chart", args=[chart_client.pk])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Write the comment before sending it."),
        ("  ", "Write the comment before sending it."),
        ("z" * 20_001, "Please keep this under 20,000 characters (it has 20001)."),
    ],
)
def test_comment_refusals(
    client_for: ClientFor, supervisor: User, therapist: User, text: str, error: str
) -> None:
    chart_client = ClientFactory(therapist=therapist)

    response = client_for(supervisor).post(
        reverse("supervision:comment_create", args=[chart_client.pk]), {"text": text}
    )

    assert response.status_code == 200
    assert form_errors(response) == {"text": [error]}
    assert ChartComment.objects.count() == 0


def chart_urls(pk: int) -> list[str]:
    return [section_url(pk, section) for section in chart_sections()]


def test_supervision_records_never_reach_the_chart(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    chart_client = ClientFactory(therapist=therapist)
    services.meeting_record(
        supervisor=supervisor,
        supervisee=therapist,
        met_on=timezone.localdate(),
        clients=[chart_client],
        guidance=MEETING_MARKER,
        follow_ups=FOLLOW_UP_MARKER,
    )
    comment = services.comment_add(author=supervisor, client=chart_client, text=COMMENT_MARKER)
    services.comment_acknowledge(actor=therapist, comment=comment)

    for user in (therapist, supervisor):
        client = client_for(user)
        for url in chart_urls(chart_client.pk):
            response = client.get(url)
            if url.endswith("/access-log/") and user == supervisor:
                assert response.status_code == 403  # the therapist's page only
                continue
            assert response.status_code == 200, url
            html = response.content.decode()
            assert [html.count(m) for m in (MEETING_MARKER, FOLLOW_UP_MARKER, COMMENT_MARKER)] == [
                0,
                0,
                0,
            ], url
    # The audit trail names the records but not the client's chart.
    events = AuditEvent.objects.filter(action__startswith="supervision.")
    assert sorted(e.action for e in events) == [
        "supervision.comment_acknowledge",
        "supervision.comment_add",
        "supervision.meeting_record",
    ]
    assert {e.chart_number for e in events} == {""}


@pytest.mark.parametrize("open_comments", [1, 3])
def test_chart_notices_take_one_query_for_any_number(
    client_for: ClientFor,
    django_assert_num_queries: DjangoAssertNumQueries,
    supervisor: User,
    therapist: User,
    open_comments: int,
) -> None:
    chart_client = ClientFactory(therapist=therapist)
    url = reverse("clients:chart", args=[chart_client.pk])
    client = client_for(therapist)
    client.get(url)
    with CaptureQueriesContext(connection) as before:  # no comment: no query of its own
        client.get(url)
    for n in range(open_comments):
        services.comment_add(author=supervisor, client=chart_client, text=f"Note {n}")

    with django_assert_num_queries(len(before.captured_queries) + 1):
        response = client.get(url)

    assert len(response.context["chart_notices"]) == open_comments


# The meetings page: session, user, authenticator; + count, the page of meetings (with both
# people and the number of clients discussed), the supervisor's current supervisees.
MEETINGS_QUERIES = 6


@pytest.mark.parametrize("size", [1, 30])
def test_meetings_page_queries_and_pages(
    client_for: ClientFor,
    django_assert_num_queries: DjangoAssertNumQueries,
    supervisor: User,
    therapist: User,
    size: int,
) -> None:
    """`size` meetings, each discussing two clients: 25 a page, newest first, the same queries
    on every page, and neither guidance nor follow-ups read for the list."""
    discussed = [ClientFactory(therapist=therapist), ClientFactory(therapist=therapist)]
    today = timezone.localdate()
    meetings = [
        services.meeting_record(
            supervisor=supervisor,
            supervisee=therapist,
            met_on=today - datetime.timedelta(days=n),
            clients=discussed,
            guidance=f"{MEETING_MARKER} {n}",
        )
        for n in range(size)
    ]
    web = client_for(supervisor)
    url = reverse("supervision:meetings")

    with django_assert_num_queries(MEETINGS_QUERIES):
        first = web.get(url)
    with django_assert_num_queries(MEETINGS_QUERIES):
        last = web.get(url, {"page": "2"})

    assert list(first.context["meetings"]) == meetings[:25]
    assert [m.clients_discussed for m in first.context["meetings"]] == [2] * min(size, 25)
    assert first.content.decode().count("2 clients discussed") == min(size, 25)
    assert MEETING_MARKER not in first.content.decode()
    # Page 2 of one page is the last page (Django's paginator), never an error.
    assert list(last.context["meetings"]) == (meetings[25:] if size > 25 else meetings)
    assert ("Page 1 of 2" in first.content.decode()) is (size > 25)


@pytest.mark.parametrize("raw", ["0", "x", "²", "٣", "99999999999999999999999"])
def test_meetings_page_number_that_is_not_one_shows_the_first_page(
    client_for: ClientFor, supervisor: User, therapist: User, raw: str
) -> None:
    meeting = services.meeting_record(
        supervisor=supervisor,
        supervisee=therapist,
        met_on=timezone.localdate(),
        clients=[],
        guidance=MEETING_MARKER,
    )

    response = client_for(supervisor).get(reverse("supervision:meetings"), {"page": raw})

    assert response.status_code == 200
    assert list(response.context["meetings"]) == [meeting]
    assert response.context["page"].number == 1
