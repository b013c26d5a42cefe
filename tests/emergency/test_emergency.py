"""Emergency ("break-glass") access: who reaches the two pages, the grant and its refusals,
expiry at its edge, the page-by-page audit under a grant, the notifications to the client's
therapist and supervisor, and ending a grant early.

The grantee throughout is `other_therapist`, opening a client of `therapist` (whose supervisor
is `supervisor`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from emergency.services import emergency_grant
from hrp import access
from hrp.accounts.models import EmergencyGrant, User
from hrp.audit.models import AuditEvent
from notifications.models import Reminder
from notifications.services import inbox_queryset, send_due_reminders
from tests.clients.factories import ClientFactory
from tests.conftest import ROLE_FIXTURES
from tests.factories import TEST_PASSWORD

ClientFor = Callable[[User | None], HttpClient]

EMERGENCY = reverse("emergency:start")
REASON = "Client is in the waiting room in crisis; their therapist is on leave."
BANNER = "Emergency access: read-only and time-limited."

# Every chart page a grant opens (GET), by URL name.
READ_PAGES = [
    "clients:chart",
    "clients:intake",
    "clients:consents",
    "clients:timeline",
    "assessments:section",
    "goals:section",
    "sessions:section",
    "summaries:section",
    "disclosures:chart",
    "records:chart",
]
# Pages that change the record (or show its access log, the therapist's own): refused, 403.
WRITE_PAGES = [
    "clients:edit",
    "clients:status",
    "clients:consent_create",
    "clients:access_log",
    "sessions:book",
    "goals:goal_create",
    "assessments:administer:PHQ9",
]


def chart_url(name: str, record: Client) -> str:
    """`name` is "app:view" or "app:view:argument" (a measure code)."""
    app, view, *argument = name.split(":")
    kwargs: dict[str, Any] = {"pk": record.pk}
    if argument:
        kwargs["code"] = argument[0]
    return reverse(f"{app}:{view}", kwargs=kwargs)


def end_url(grant: EmergencyGrant) -> str:
    return reverse("emergency:end", kwargs={"pk": grant.pk})


def sign_in_url(path: str) -> str:
    return f"/account/sign-in/?next={path}"


def with_password(user: User) -> User:
    user.set_password(TEST_PASSWORD)
    user.save(update_fields=["password"])
    return user


def grant_to(user: User, record: Client) -> EmergencyGrant:
    return emergency_grant(
        actor=with_password(user),
        chart_number=record.chart_number,
        reason=REASON,
        password=TEST_PASSWORD,
    )


def events(action: str) -> list[tuple[int | None, str, str, dict[str, Any]]]:
    return list(
        AuditEvent.objects.filter(action=action)
        .order_by("id")
        .values_list("actor_id", "chart_number", "detail", "changes")
    )


def view_paths() -> list[str]:
    return list(
        AuditEvent.objects.filter(action="emergency.view")
        .order_by("id")
        .values_list("detail", flat=True)
    )


@pytest.fixture
def record(therapist: User, supervisor: User) -> Client:
    """A client of `therapist`, who is supervised by `supervisor`."""
    return ClientFactory(therapist=therapist, chart_number="C-EMERG1", legal_name="Robin Crisis")


@pytest.fixture
def grantee(other_therapist: User) -> User:
    return with_password(other_therapist)


def _user(request: pytest.FixtureRequest, role: str) -> User | None:
    return request.getfixturevalue(role)


# --- Who reaches the pages -------------------------------------------------------------------

EMERGENCY_PAGE = {
    "therapist": 200,
    "other_therapist": 200,
    "supervisor": 200,
    "other_supervisor": 200,
    "clinic_admin": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_the_emergency_page_by_role(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    response = client_for(_user(request, role)).get(EMERGENCY)

    assert response.status_code == EMERGENCY_PAGE[role]
    if role == "anonymous":
        assert response["Location"] == sign_in_url(EMERGENCY)


EMPTY_REQUEST = {
    "therapist": 400,
    "other_therapist": 400,
    "supervisor": 400,
    "other_supervisor": 400,
    "clinic_admin": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_a_request_by_role_grants_nothing_without_reason_and_password(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    response = client_for(_user(request, role)).post(
        EMERGENCY, {"chart_number": record.chart_number, "reason": "", "password": ""}
    )

    assert response.status_code == EMPTY_REQUEST[role]
    assert EmergencyGrant.objects.count() == 0
    assert Reminder.objects.count() == 0


END_BY_OTHERS = {
    "therapist": 404,
    "supervisor": 404,
    "other_supervisor": 404,
    "clinic_admin": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", list(END_BY_OTHERS))
def test_only_the_grantee_ends_a_grant(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    grantee: User,
    role: str,
) -> None:
    grant = grant_to(grantee, record)

    response = client_for(_user(request, role)).post(end_url(grant))

    assert response.status_code == END_BY_OTHERS[role]
    if role == "anonymous":
        assert response["Location"] == sign_in_url(end_url(grant))
    grant.refresh_from_db()
    assert grant.ended_at is None
    assert events("emergency.end") == []


def test_the_grantee_ends_their_grant(client_for: ClientFor, record: Client, grantee: User) -> None:
    grant = grant_to(grantee, record)

    response = client_for(grantee).post(end_url(grant))

    assert response.status_code == 302
    assert response["Location"] == EMERGENCY


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_ending_takes_a_post(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    grantee: User,
    role: str,
) -> None:
    grant = grant_to(grantee, record)

    response = client_for(_user(request, role)).get(end_url(grant))

    assert response.status_code == (302 if role == "anonymous" else 405)
    grant.refresh_from_db()
    assert grant.ended_at is None


# --- The grant -------------------------------------------------------------------------------


def test_a_grant_opens_the_chart_read_only_for_four_hours(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    http = client_for(grantee)
    before = timezone.now()

    response = http.post(
        EMERGENCY,
        {"chart_number": " c-emerg1 ", "reason": f"  {REASON} ", "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:chart", kwargs={"pk": record.pk})
    grant = EmergencyGrant.objects.get()
    assert (grant.user, grant.client, grant.reason, grant.ended_at) == (
        grantee,
        record,
        REASON,
        None,
    )
    assert before <= grant.granted_at <= timezone.now()
    assert grant.expires_at - grant.granted_at == datetime.timedelta(hours=4)
    assert events("emergency.grant") == [
        (grantee.pk, "C-EMERG1", "", {"expires_at": [None, str(grant.expires_at)]})
    ]
    chart = http.get(response["Location"])
    assert chart.status_code == 200
    assert chart.context["client"].emergency_grant_id == grant.pk
    assert chart.context["can"] == access.ClientAccess(
        read=True, write=False, supervise=False, emergency_grant_id=grant.pk
    )
    assert BANNER in chart.content.decode()
    local_expiry = timezone.localtime(grant.expires_at).strftime("%H:%M")
    assert [str(m) for m in chart.context["messages"]] == [
        f"Emergency access granted until {local_expiry}. Every page you open is recorded, "
        "and the client's therapist and supervisor have been told."
    ]


def test_the_emergency_page_lists_the_active_grants(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    grant = grant_to(grantee, record)
    ended = grant_to(grantee, ClientFactory(therapist=record.therapist))
    ended.ended_at = timezone.now()
    ended.save(update_fields=["ended_at"])

    response = client_for(grantee).get(EMERGENCY)

    assert response.status_code == 200
    assert response.context["grants"] == [grant]
    assert response.context["hours"] == 4


@pytest.mark.parametrize("page", READ_PAGES)
def test_every_chart_page_opens_under_a_grant(
    client_for: ClientFor, record: Client, grantee: User, page: str
) -> None:
    grant_to(grantee, record)

    response = client_for(grantee).get(chart_url(page, record))

    assert response.status_code == 200
    assert BANNER in response.content.decode()


@pytest.mark.parametrize("page", WRITE_PAGES)
def test_a_grant_changes_nothing(
    client_for: ClientFor, record: Client, grantee: User, page: str
) -> None:
    grant_to(grantee, record)
    http = client_for(grantee)
    url = chart_url(page, record)
    before = Client.objects.values().get(pk=record.pk)

    assert http.get(url).status_code == 403
    assert http.post(url, {"legal_name": "Changed", "status": "discharged"}).status_code == 403
    assert Client.objects.values().get(pk=record.pk) == before


def test_a_granted_client_never_joins_the_grantees_caseload(
    client_for: ClientFor, record: Client, grantee: User, therapist: User
) -> None:
    own = ClientFactory(therapist=grantee)
    grant_to(grantee, record)
    http = client_for(grantee)

    caseload = http.get(reverse("clients:caseload"))
    supervisee = http.get(
        reverse("clients:supervisee_caseload", kwargs={"therapist_pk": therapist.pk})
    )

    assert caseload.status_code == 200
    assert [row[0] for row in caseload.context["rows"]] == [own]
    assert supervisee.status_code == 404
    assert list(Client.objects.filter(access.clients_visible_q(grantee))) == [own]


# --- Refusals --------------------------------------------------------------------------------

REFUSALS = {
    # case: (form data, expected form errors, chart number audited, refused fields audited)
    "no reason": (
        {"chart_number": "C-EMERG1", "reason": "   ", "password": TEST_PASSWORD},
        {"reason": ["Say why you need this record now."]},
        "C-EMERG1",
        ["reason"],
    ),
    "wrong password": (
        {"chart_number": "C-EMERG1", "reason": REASON, "password": "not-my-password"},
        {"password": ["That password is not right."]},
        "C-EMERG1",
        ["password"],
    ),
    "no password": (
        {"chart_number": "C-EMERG1", "reason": REASON, "password": ""},
        {"password": ["That password is not right."]},
        "C-EMERG1",
        ["password"],
    ),
    "unknown chart number": (
        {"chart_number": "C-NOBODY", "reason": REASON, "password": TEST_PASSWORD},
        {"chart_number": ["No client has this chart number."]},
        "",
        ["chart_number"],
    ),
    # A wrong password does not reveal whether a chart number exists.
    "unknown chart number and wrong password": (
        {"chart_number": "C-NOBODY", "reason": REASON, "password": "not-my-password"},
        {"password": ["That password is not right."]},
        "",
        ["password"],
    ),
    "nothing at all": (
        {"chart_number": "", "reason": "", "password": ""},
        {
            "reason": ["Say why you need this record now."],
            "password": ["That password is not right."],
        },
        "",
        ["password", "reason"],
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_request_grants_nothing_and_is_audited(
    client_for: ClientFor, record: Client, grantee: User, case: str
) -> None:
    data, errors, chart_number, refused = REFUSALS[case]
    http = client_for(grantee)

    response = http.post(EMERGENCY, data)

    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert EmergencyGrant.objects.count() == 0
    assert Reminder.objects.count() == 0
    assert events("emergency.grant_refused") == [
        (grantee.pk, chart_number, "", {"refused": [None, refused]})
    ]
    assert events("emergency.grant") == []
    assert http.get(chart_url("clients:chart", record)).status_code == 404


def test_a_refusal_keeps_what_was_typed_except_the_password(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    response = client_for(grantee).post(
        EMERGENCY, {"chart_number": "C-EMERG1", "reason": REASON, "password": "not-my-password"}
    )

    html = response.content.decode()
    assert 'value="C-EMERG1"' in html
    assert REASON in html
    assert "not-my-password" not in html


def test_a_reason_over_two_thousand_characters_is_refused(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    response = client_for(grantee).post(
        EMERGENCY, {"chart_number": "C-EMERG1", "reason": "x" * 2001, "password": TEST_PASSWORD}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "reason": ["Keep the reason under 2,000 characters."]
    }
    assert EmergencyGrant.objects.count() == 0
    assert events("emergency.grant_refused") == [
        (grantee.pk, "C-EMERG1", "", {"refused": [None, ["reason"]]})
    ]


# --- Expiry at its edge ----------------------------------------------------------------------


def _expire_at(grant: EmergencyGrant, moment: datetime.datetime) -> None:
    EmergencyGrant.objects.filter(pk=grant.pk).update(
        granted_at=moment - datetime.timedelta(hours=4), expires_at=moment
    )


def test_a_grant_works_until_its_last_second(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    grant = grant_to(grantee, record)
    _expire_at(grant, timezone.now() + datetime.timedelta(seconds=1))

    response = client_for(grantee).get(chart_url("clients:chart", record))

    assert response.status_code == 200
    assert response.context["client"].emergency_grant_id == grant.pk


def test_a_grant_is_gone_when_it_expires(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    grant = grant_to(grantee, record)
    http = client_for(grantee)
    _expire_at(grant, timezone.now())

    assert http.get(chart_url("clients:chart", record)).status_code == 404
    assert http.get(chart_url("sessions:section", record)).status_code == 404
    assert http.get(EMERGENCY).context["grants"] == []
    assert view_paths() == []


def test_is_active_at_the_edge(record: Client, grantee: User) -> None:
    grant = grant_to(grantee, record)
    edge = grant.expires_at

    assert grant.is_active(edge - datetime.timedelta(microseconds=1)) is True
    assert grant.is_active(edge) is False


# --- Every page audited under the grant ------------------------------------------------------


AUDITED_PAGES = READ_PAGES


@pytest.mark.parametrize("page", AUDITED_PAGES)
def test_each_page_under_a_grant_is_audited_once(
    client_for: ClientFor, record: Client, grantee: User, page: str
) -> None:
    grant = grant_to(grantee, record)
    url = chart_url(page, record)

    client_for(grantee).get(url)

    assert events("emergency.view") == [(grantee.pk, "C-EMERG1", url, {"grant": [None, grant.pk]})]
    event = AuditEvent.objects.get(action="emergency.view")
    assert (event.category, event.path, event.object_type, event.object_id) == (
        AuditEvent.Category.SECURITY,
        url,
        "clients.client",
        str(record.pk),
    )


def test_a_session_under_a_grant_is_audited_page_by_page(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    grant_to(grantee, record)
    http = client_for(grantee)
    urls = [chart_url(page, record) for page in AUDITED_PAGES if isinstance(page, str)]

    for url in urls:
        assert http.get(url).status_code == 200
    http.get(urls[0])

    assert view_paths() == [*urls, urls[0]]


@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_own_views_record_no_emergency_event(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, grantee: User, role: str
) -> None:
    grant_to(grantee, record)
    http = client_for(_user(request, role))

    for page in READ_PAGES:
        assert http.get(chart_url(page, record)).status_code == 200

    assert view_paths() == []


def test_a_supervisor_of_the_therapist_needs_no_grant(
    client_for: ClientFor, record: Client, supervisor: User
) -> None:
    response = client_for(supervisor).get(chart_url("clients:chart", record))

    assert response.status_code == 200
    assert response.context["client"].emergency_grant_id is None
    assert BANNER not in response.content.decode()


# --- Notifications ---------------------------------------------------------------------------


def reminders() -> list[tuple[int, str, str, str, int, int]]:
    return list(
        Reminder.objects.order_by("recipient_id", "channel").values_list(
            "recipient_id", "channel", "kind", "status", "object_id", "client_id"
        )
    )


def test_the_therapist_and_supervisor_are_notified(
    record: Client, grantee: User, therapist: User, supervisor: User
) -> None:
    supervisor.email_reminders = True
    supervisor.save(update_fields=["email_reminders"])

    grant = grant_to(grantee, record)

    pending = sorted(
        [
            (therapist.pk, "in_app", "emergency_access", "pending", grant.pk, record.pk),
            (supervisor.pk, "in_app", "emergency_access", "pending", grant.pk, record.pk),
            (supervisor.pk, "email", "emergency_access", "pending", grant.pk, record.pk),
        ]
    )
    assert reminders() == pending
    assert Reminder.objects.filter(due_at__gt=timezone.now()).count() == 0

    assert send_due_reminders() == 3

    sent = Reminder.objects.filter(status=Reminder.Status.SENT).order_by("recipient_id", "channel")
    text = "Emergency access was used to open a record on your caseload."
    access_log = reverse("clients:access_log", kwargs={"pk": record.pk})
    assert list(sent.values_list("recipient_id", "channel", "text", "url")) == sorted(
        [
            (therapist.pk, "in_app", text, access_log),
            (supervisor.pk, "in_app", text, access_log),
            (supervisor.pk, "email", text, access_log),
        ]
    )
    assert [message.to for message in mail.outbox] == [[supervisor.email]]
    written = [text, *(m.subject + m.body for m in mail.outbox)]
    for identifying in (record.chart_number, record.legal_name, record.preferred_name, REASON):
        assert all(identifying not in words for words in written)


def test_the_notification_reaches_the_therapists_inbox(
    record: Client, grantee: User, therapist: User
) -> None:
    grant_to(grantee, record)
    assert list(inbox_queryset(therapist)) == []

    send_due_reminders()

    assert list(inbox_queryset(therapist).values_list("kind", "text")) == [
        ("emergency_access", "Emergency access was used to open a record on your caseload.")
    ]
    assert list(inbox_queryset(grantee)) == []


def test_a_supervisor_using_a_grant_notifies_the_therapist_and_their_supervisor(
    record: Client, other_supervisor: User, therapist: User, supervisor: User
) -> None:
    grant = grant_to(other_supervisor, record)

    assert reminders() == sorted(
        [
            (therapist.pk, "in_app", "emergency_access", "pending", grant.pk, record.pk),
            (supervisor.pk, "in_app", "emergency_access", "pending", grant.pk, record.pk),
        ]
    )


def test_a_refusal_notifies_nobody(record: Client, grantee: User) -> None:
    with pytest.raises(ValidationError) as refused:
        emergency_grant(actor=grantee, chart_number="C-EMERG1", reason=REASON, password="nope")

    assert refused.value.message_dict == {"password": ["That password is not right."]}
    assert reminders() == []
    assert EmergencyGrant.objects.count() == 0


# --- Ending a grant early --------------------------------------------------------------------


def test_ending_a_grant_removes_access_and_is_audited(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    grant = grant_to(grantee, record)
    http = client_for(grantee)
    assert http.get(chart_url("clients:chart", record)).status_code == 200

    response = http.post(end_url(grant), follow=True)

    assert response.redirect_chain == [(EMERGENCY, 302)]
    assert [str(m) for m in response.context["messages"]] == ["Emergency access ended."]
    assert response.context["grants"] == []
    grant.refresh_from_db()
    assert grant.ended_at is not None
    assert grant.ended_at <= timezone.now()
    assert events("emergency.end") == [(grantee.pk, "C-EMERG1", "", {})]
    assert http.get(chart_url("clients:chart", record)).status_code == 404
    assert http.get(chart_url("sessions:section", record)).status_code == 404
    # Only the page opened while the grant was active was recorded.
    assert view_paths() == [chart_url("clients:chart", record)]


def test_ending_twice_is_recorded_once(
    client_for: ClientFor, record: Client, grantee: User
) -> None:
    grant = grant_to(grantee, record)
    http = client_for(grantee)

    http.post(end_url(grant))
    ended_at = EmergencyGrant.objects.get().ended_at
    response = http.post(end_url(grant))

    assert response.status_code == 302
    assert EmergencyGrant.objects.get().ended_at == ended_at
    assert len(events("emergency.end")) == 1
