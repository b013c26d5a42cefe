"""The reminders pages: the inbox (the bell), opening, dismissing and reading reminders, the
staff member's email choice, and a client's appointment-reminder preferences.

Every staff member with a clinical role has an inbox of their own; a clinic admin without one
gets 404 (and an empty badge); nobody can open or dismiss someone else's reminder (404). A
client's preferences are read by the client's therapist and supervisor and changed only by the
therapist (403 for the supervisor, 404 for everyone else).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from lxml import html

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from notifications.models import Reminder
from tests.clients.factories import ClientFactory

ClientFor = Callable[[User | None], HttpClient]
LOGIN = reverse("accounts:login")

pytestmark = pytest.mark.django_db


def _reminder(user: User, record: Client, number: int = 0, **fields: Any) -> Reminder:
    """A sent in-app reminder for `user`, as send_due_reminders leaves one."""
    sent = timezone.now() - datetime.timedelta(minutes=number)
    values = {
        "key": f"suicide_risk:{number}:{user.pk}:{record.pk}:{sent.timestamp()}",
        "kind": Reminder.Kind.SUICIDE_RISK,
        "channel": Reminder.Channel.IN_APP,
        "status": Reminder.Status.SENT,
        "recipient": user,
        "client": record,
        "object_id": number,
        "due_at": sent,
        "sent_at": sent,
        "text": f"A questionnaire answer needs your follow-up today ({number}).",
        "url": f"/clients/{record.pk}/assessments/",
    }
    return Reminder.objects.create(**(values | fields))


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(
        therapist=therapist, may_contact=True, email="robin@example.org", phone="555-0100"
    )


@pytest.fixture
def own(therapist: User, record: Client) -> Reminder:
    return _reminder(therapist, record)


def _user(request: pytest.FixtureRequest, role: str) -> User | None:
    return request.getfixturevalue(role)


def _messages(response: HttpResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _reminder_state() -> list[dict[str, Any]]:
    return [model_to_dict(r) for r in Reminder.objects.order_by("pk")]


# --- Inbox and badge ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("therapist", 200),
        ("other_therapist", 200),
        ("supervisor", 200),
        ("other_supervisor", 200),
        ("clinic_admin", 404),
        ("anonymous", 302),
    ],
)
def test_inbox_access(
    request: pytest.FixtureRequest, client_for: ClientFor, own: Reminder, role: str, expected: int
) -> None:
    response = client_for(_user(request, role)).get(reverse("notifications:inbox"))

    assert response.status_code == expected
    if role == "anonymous":
        assert response.url == f"{LOGIN}?next=/reminders/"


def test_inbox_lists_only_the_users_own_sent_in_app_reminders(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client, own: Reminder
) -> None:
    _reminder(supervisor, record, 1)
    _reminder(therapist, record, 2, channel=Reminder.Channel.EMAIL, key="email-copy")
    _reminder(therapist, record, 3, status=Reminder.Status.PENDING, key="not-yet")
    _reminder(therapist, record, 4, dismissed_at=timezone.now(), key="dismissed")
    older = _reminder(therapist, record, 5, read_at=timezone.now(), key="older")

    response = client_for(therapist).get(reverse("notifications:inbox"))

    assert [r.pk for r in response.context["page"].object_list] == [own.pk, older.pk]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("therapist", 'Reminders <span class="badge text-bg-warning">2'),
        ("other_therapist", "Reminders"),
        ("supervisor", 'Reminders <span class="badge text-bg-warning">1'),
        ("other_supervisor", "Reminders"),
        ("clinic_admin", ""),
    ],
)
def test_badge_counts_unread(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    record: Client,
    own: Reminder,
    role: str,
    expected: str,
) -> None:
    _reminder(therapist, record, 1)
    _reminder(therapist, record, 2, read_at=timezone.now(), key="read")
    _reminder(supervisor, record, 3)

    response = client_for(_user(request, role)).get(reverse("notifications:badge"))

    assert response.status_code == 200
    body = response.content.decode().strip()
    if expected.endswith(("1", "2")):
        suffix = '<span class="visually-hidden"> unread</span></span>'
        assert body == expected + suffix
    else:
        assert body == expected


def test_badge_for_anonymous_goes_to_sign_in(client_for: ClientFor) -> None:
    response = client_for(None).get(reverse("notifications:badge"))

    assert (response.status_code, response.url) == (302, f"{LOGIN}?next=/reminders/badge/")


def test_badge_is_get_only(client_for: ClientFor, therapist: User) -> None:
    assert client_for(therapist).post(reverse("notifications:badge")).status_code == 405


# --- Open, dismiss, read all -------------------------------------------------------------------


@pytest.mark.parametrize("action", ["open", "dismiss"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("other_therapist", 404),
        ("supervisor", 404),
        ("other_supervisor", 404),
        ("clinic_admin", 404),
        ("anonymous", 302),
    ],
)
def test_nobody_opens_or_dismisses_someone_elses_reminder(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    own: Reminder,
    action: str,
    role: str,
    expected: int,
) -> None:
    before = _reminder_state()

    response = client_for(_user(request, role)).post(
        reverse(f"notifications:{action}", args=[own.pk])
    )

    assert response.status_code == expected
    assert _reminder_state() == before


@pytest.mark.parametrize("action", ["open", "dismiss"])
def test_open_and_dismiss_are_post_only(
    client_for: ClientFor, therapist: User, own: Reminder, action: str
) -> None:
    response = client_for(therapist).get(reverse(f"notifications:{action}", args=[own.pk]))

    assert response.status_code == 405
    own.refresh_from_db()
    assert (own.read_at, own.dismissed_at) == (None, None)


def test_open_a_reminder_that_does_not_exist(
    client_for: ClientFor, therapist: User, own: Reminder
) -> None:
    url = reverse("notifications:open", args=[own.pk + 1000])

    assert client_for(therapist).post(url).status_code == 404


def test_not_yet_sent_reminder_cannot_be_opened(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    pending = _reminder(therapist, record, 1, status=Reminder.Status.PENDING, sent_at=None)

    response = client_for(therapist).post(reverse("notifications:open", args=[pending.pk]))

    assert response.status_code == 404


def test_open_marks_read_and_goes_to_the_reminders_page(
    client_for: ClientFor, therapist: User, own: Reminder, record: Client
) -> None:
    response = client_for(therapist).post(reverse("notifications:open", args=[own.pk]))

    assert (response.status_code, response.url) == (302, f"/clients/{record.pk}/assessments/")
    own.refresh_from_db()
    assert own.read_at is not None
    assert own.dismissed_at is None


def test_open_without_a_link_goes_back_to_the_inbox(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    linkless = _reminder(therapist, record, 1, url="")

    response = client_for(therapist).post(reverse("notifications:open", args=[linkless.pk]))

    assert (response.status_code, response.url) == (302, "/reminders/")


def test_open_never_redirects_off_site(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = _reminder(therapist, record, 1, url="https://evil.example/phish")

    response = client_for(therapist).post(reverse("notifications:open", args=[elsewhere.pk]))

    assert (response.status_code, response.url) == (302, "/reminders/")


def test_dismiss_hides_the_reminder(client_for: ClientFor, therapist: User, own: Reminder) -> None:
    web = client_for(therapist)

    response = web.post(reverse("notifications:dismiss", args=[own.pk]))

    assert (response.status_code, response.url) == (302, "/reminders/")
    assert _messages(response) == ["Reminder dismissed."]
    own.refresh_from_db()
    assert own.dismissed_at is not None
    assert own.read_at == own.dismissed_at
    assert list(web.get(reverse("notifications:inbox")).context["page"].object_list) == []
    # A dismissed reminder cannot be opened or dismissed again.
    assert web.post(reverse("notifications:open", args=[own.pk])).status_code == 404
    assert web.post(reverse("notifications:dismiss", args=[own.pk])).status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("therapist", 302),
        ("other_therapist", 302),
        ("supervisor", 302),
        ("other_supervisor", 302),
        ("clinic_admin", 404),
        ("anonymous", 302),
    ],
)
def test_read_all_marks_only_the_users_own(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    supervisor: User,
    record: Client,
    own: Reminder,
    role: str,
    expected: int,
) -> None:
    theirs = _reminder(supervisor, record, 1)
    user = _user(request, role)

    response = client_for(user).post(reverse("notifications:read_all"))

    assert response.status_code == expected
    unread = set(Reminder.objects.filter(read_at__isnull=True).values_list("pk", flat=True))
    if role == "therapist":
        assert (response.url, unread) == ("/reminders/", {theirs.pk})
    elif role == "supervisor":
        assert (response.url, unread) == ("/reminders/", {own.pk})
    else:
        assert unread == {own.pk, theirs.pk}


def test_read_all_is_post_only(client_for: ClientFor, therapist: User, own: Reminder) -> None:
    assert client_for(therapist).get(reverse("notifications:read_all")).status_code == 405


# --- Email choice ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("therapist", 302),
        ("other_therapist", 302),
        ("supervisor", 302),
        ("other_supervisor", 302),
        ("clinic_admin", 404),
        ("anonymous", 302),
    ],
)
def test_email_choice_access(
    request: pytest.FixtureRequest, client_for: ClientFor, role: str, expected: int
) -> None:
    user = _user(request, role)

    response = client_for(user).post(
        reverse("notifications:email_choice"), {"email_reminders": "on"}
    )

    assert response.status_code == expected
    if user is not None:
        user.refresh_from_db()
        assert user.email_reminders is (expected == 302)
    else:
        assert response.url == f"{LOGIN}?next=/reminders/email/"
        assert User.objects.filter(email_reminders=True).count() == 0


def test_email_choice_toggles_and_audits(client_for: ClientFor, therapist: User) -> None:
    web = client_for(therapist)

    on = web.post(reverse("notifications:email_choice"), {"email_reminders": "on"})
    again = web.post(reverse("notifications:email_choice"), {"email_reminders": "on"})
    off = web.post(reverse("notifications:email_choice"), {})

    assert [(r.status_code, r.url) for r in (on, again, off)] == [(302, "/reminders/")] * 3
    # The messages queue up until a page shows them (the redirects were not followed).
    assert _messages(off) == [
        "Reminders will also come by email.",
        "Reminders will also come by email.",
        "Reminders will only show here, not by email.",
    ]
    therapist.refresh_from_db()
    assert therapist.email_reminders is False
    events = AuditEvent.objects.filter(action="account.email_reminders").order_by("pk")
    # Saving the same choice again changes nothing and records nothing.
    assert [(e.actor_id, e.object_id, e.category, e.changes) for e in events] == [
        (therapist.pk, str(therapist.pk), "change", {"email_reminders": [False, True]}),
        (therapist.pk, str(therapist.pk), "change", {"email_reminders": [True, False]}),
    ]


def test_email_choice_is_post_only(client_for: ClientFor, therapist: User) -> None:
    assert client_for(therapist).get(reverse("notifications:email_choice")).status_code == 405


# --- Client reminder preferences ---------------------------------------------------------------


def _prefs(record: Client) -> str:
    return reverse("notifications:client_reminders", args=[record.pk])


def _client_state(record: Client) -> tuple[dict[str, Any], int]:
    fresh = Client.objects.get(pk=record.pk)
    return (
        {
            "reminder_channel": fresh.reminder_channel,
            "reminder_hide_clinic_name": fresh.reminder_hide_clinic_name,
            "reminders_opted_out_at": fresh.reminders_opted_out_at,
        },
        AuditEvent.objects.filter(action="client.reminders").count(),
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("therapist", 200),
        ("other_therapist", 404),
        ("supervisor", 200),
        ("other_supervisor", 404),
        ("clinic_admin", 404),
        ("anonymous", 302),
    ],
)
def test_client_preferences_read_access(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str, expected: int
) -> None:
    response = client_for(_user(request, role)).get(_prefs(record))

    assert response.status_code == expected
    if expected == 200:
        assert response.context["can"].write is (role == "therapist")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("therapist", 302),
        ("other_therapist", 404),
        ("supervisor", 403),
        ("other_supervisor", 404),
        ("clinic_admin", 404),
        ("anonymous", 302),
    ],
)
def test_client_preferences_write_access(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str, expected: int
) -> None:
    before = _client_state(record)

    response = client_for(_user(request, role)).post(
        _prefs(record), {"reminder_channel": "email", "reminder_hide_clinic_name": "on"}
    )

    assert response.status_code == expected
    if role == "therapist":
        assert response.url == f"/clients/{record.pk}/sessions/"
        assert _client_state(record) == (
            {
                "reminder_channel": "email",
                "reminder_hide_clinic_name": True,
                "reminders_opted_out_at": None,
            },
            1,
        )
    else:
        assert _client_state(record) == before


def test_therapist_saves_choice_and_it_is_audited(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(_prefs(record), {"reminder_channel": "sms"})

    assert _messages(response) == ["Reminder choices saved."]
    event = AuditEvent.objects.get(action="client.reminders")
    assert (event.actor_id, event.chart_number, event.changes) == (
        therapist.pk,
        record.chart_number,
        {"reminder_channel": ["", "sms"], "reminder_hide_clinic_name": [False, False]},
    )


@pytest.mark.parametrize(
    ("fields", "channel", "message"),
    [
        (
            {"may_contact": False},
            "email",
            "The client has not agreed to be contacted. Record that first (Edit details).",
        ),
        (
            {"may_contact": False},
            "sms",
            "The client has not agreed to be contacted. Record that first (Edit details).",
        ),
        ({"email": ""}, "email", "Add the client's email address first."),
        ({"phone": ""}, "sms", "Add the client's phone number first."),
        ({}, "pigeon", "Select a valid choice. pigeon is not one of the available choices."),
    ],
)
def test_client_preferences_refused_with_a_clear_message(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    fields: dict[str, Any],
    channel: str,
    message: str,
) -> None:
    Client.objects.filter(pk=record.pk).update(**fields)
    before = _client_state(record)

    response = client_for(therapist).post(_prefs(record), {"reminder_channel": channel})

    assert response.status_code == 400
    assert response.context["form"].errors == {"reminder_channel": [message]}
    assert _client_state(record) == before


def test_choosing_none_records_the_opt_out(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    Client.objects.filter(pk=record.pk).update(reminder_channel="email")
    web = client_for(therapist)
    before = timezone.now()

    response = web.post(_prefs(record), {"reminder_channel": ""})

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.reminder_channel == ""
    assert before <= record.reminders_opted_out_at <= timezone.now()
    opted_out_at = record.reminders_opted_out_at
    # Saving "none" again keeps the first opt-out time; choosing a channel again clears it.
    web.post(_prefs(record), {"reminder_channel": ""})
    record.refresh_from_db()
    assert record.reminders_opted_out_at == opted_out_at
    web.post(_prefs(record), {"reminder_channel": "email"})
    record.refresh_from_db()
    assert (record.reminder_channel, record.reminders_opted_out_at) == ("email", None)


def test_never_having_had_reminders_is_not_an_opt_out(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    client_for(therapist).post(_prefs(record), {"reminder_channel": ""})

    record.refresh_from_db()
    assert record.reminders_opted_out_at is None


# --- Query counts ------------------------------------------------------------------------------

# session, user, two-factor device, count, page of reminders (base.html's bell loads by htmx)
INBOX_QUERIES = 5


@pytest.mark.parametrize("size", [1, 30])
def test_inbox_queries(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    size: int,
    django_assert_num_queries,
) -> None:
    for number in range(size):
        _reminder(therapist, ClientFactory(therapist=therapist), number)
    web = client_for(therapist)

    with django_assert_num_queries(INBOX_QUERIES):
        response = web.get(reverse("notifications:inbox"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == size


# --- What and who, inside the app ---------------------------------------------------------------


def _inbox_lines(response: HttpResponse) -> list[tuple[str, str]]:
    """(what and who, the reminder's own text) of each inbox line, whitespace collapsed."""
    tree = html.fromstring(response.content)
    return [
        (
            " ".join(li.xpath(".//span[@class='reminder-what']")[0].text_content().split()),
            " ".join(
                li.xpath(".//span[contains(@class, 'reminder-text')]")[0].text_content().split()
            ),
        )
        for li in tree.xpath("//main//ul[contains(@class, 'list-group')]/li")
    ]


def test_a_reminder_names_its_client_and_chart_number_inside_the_app(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    due = timezone.make_aware(datetime.datetime(2026, 12, 5, 10, 0))
    _reminder(
        therapist,
        record,
        kind=Reminder.Kind.RATING_ALERT,
        text="A client's session rating needs a look.",
        due_at=due,
    )

    response = client_for(therapist).get(reverse("notifications:inbox"))

    assert _inbox_lines(response) == [
        (
            f"Session-rating alert: {record.display_name} ({record.chart_number})",
            "A client's session rating needs a look.",
        )
    ]
    assert "Due Sat 5 Dec 2026, 10:00" in " ".join(
        html.fromstring(response.content).text_content().split()
    )


def test_a_reminder_does_not_name_a_client_the_reader_may_no_longer_see(
    client_for: ClientFor, therapist: User, other_therapist: User, record: Client
) -> None:
    # e.g. the client was handed over to someone else after the reminder went out.
    _reminder(other_therapist, record, kind=Reminder.Kind.NOTE_UNSIGNED, text="A note is unsigned.")

    response = client_for(other_therapist).get(reverse("notifications:inbox"))

    assert _inbox_lines(response) == [("Note still unsigned", "A note is unsigned.")]
    assert record.display_name not in response.content.decode()
    assert record.chart_number not in response.content.decode()


def _seven_alike(therapist: User, record: Client) -> list[Reminder]:
    return [
        _reminder(
            therapist,
            record,
            number,
            kind=Reminder.Kind.RATING_ALERT,
            text="A client's session rating needs a look.",
            url=f"/clients/{record.pk}/sessions/",
        )
        for number in range(7)
    ]


def test_reminders_that_read_alike_are_one_line_with_their_number(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    alike = _seven_alike(therapist, record)
    other = ClientFactory(therapist=therapist)
    _reminder(
        therapist,
        other,
        9,
        kind=Reminder.Kind.RATING_ALERT,
        text="A client's session rating needs a look.",
        url=f"/clients/{record.pk}/sessions/",
    )

    response = client_for(therapist).get(reverse("notifications:inbox"))

    tree = html.fromstring(response.content)
    assert [li.text_content().strip() for li in tree.xpath("//span[@class='reminder-count']")] == [
        "7 reminders like this"
    ]
    assert [row.reminder.pk for row in response.context["rows"]] == [
        alike[0].pk,
        Reminder.objects.get(client=other).pk,
    ]
    assert [row.count for row in response.context["rows"]] == [7, 1]


def test_dismissing_a_collapsed_line_dismisses_every_reminder_alike(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    alike = _seven_alike(therapist, record)
    different = _reminder(therapist, record, 8, kind=Reminder.Kind.RATING_ALERT, text="Other.")

    client_for(therapist).post(reverse("notifications:dismiss", args=[alike[0].pk]))

    assert (
        Reminder.objects.filter(pk__in=[r.pk for r in alike], dismissed_at__isnull=False).count()
        == 7
    )
    different.refresh_from_db()
    assert different.dismissed_at is None
    assert different.read_at is None


def test_opening_a_collapsed_line_marks_every_reminder_alike_read(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    alike = _seven_alike(therapist, record)

    response = client_for(therapist).post(reverse("notifications:open", args=[alike[3].pk]))

    assert response.url == f"/clients/{record.pk}/sessions/"
    assert Reminder.objects.filter(pk__in=[r.pk for r in alike], read_at__isnull=False).count() == 7
    assert (
        Reminder.objects.filter(pk__in=[r.pk for r in alike], dismissed_at__isnull=True).count()
        == 7
    )


@pytest.mark.parametrize("size", [1, 30])
def test_inbox_queries_with_reminders_alike(
    client_for: ClientFor, therapist: User, record: Client, size: int, django_assert_num_queries
) -> None:
    for number in range(size):
        _reminder(therapist, record, number, text="Same.", url="/x/")
    web = client_for(therapist)

    with django_assert_num_queries(INBOX_QUERIES):
        response = web.get(reverse("notifications:inbox"))

    assert [row.count for row in response.context["rows"]] == [size]
