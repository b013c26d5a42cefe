"""Automatic logoff: idle timeout, absolute session limit, and deactivation ending sessions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from hrp.accounts.models import User
from hrp.accounts.receivers import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from hrp.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.htmltext import parse

HOME = reverse("home:home")
# A page every signed-in, verified person can open, whatever their role: the probe for
# "still signed in".
MY_ACCOUNT = reverse("accounts:my_account")
# LoginRequiredMiddleware keeps slashes readable in ?next=.
SIGN_IN_THEN_HOME = "/account/sign-in/?next=/"
SIGN_IN_THEN_MY_ACCOUNT = "/account/sign-in/?next=/account/me/"

ClientFor = Callable[[User | None], Client]


def set_session_times(client: Client, *, signed_in_ago: float, last_seen_ago: float) -> None:
    now = time.time()
    session = client.session
    session[SESSION_STARTED_KEY] = now - signed_in_ago
    session[SESSION_LAST_SEEN_KEY] = now - last_seen_ago
    session.save()


def idle_limit_seconds() -> int:
    return settings.IDLE_TIMEOUT_MINUTES * 60


def absolute_limit_seconds() -> int:
    return settings.SESSION_MAX_HOURS * 3600


def logout_events() -> list[tuple[int | None, str]]:
    return list(AuditEvent.objects.filter(action="auth.logout").values_list("actor_id", "detail"))


def test_defaults_are_fifteen_minutes_idle_and_twelve_hours_in_all() -> None:
    assert (settings.IDLE_TIMEOUT_MINUTES, settings.SESSION_MAX_HOURS) == (15, 12)
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_sign_in_stamps_the_session(client_for: ClientFor, therapist: User) -> None:
    before = time.time()
    client = client_for(therapist)

    session = client.session
    assert before <= session[SESSION_STARTED_KEY] <= time.time()
    assert session[SESSION_LAST_SEEN_KEY] == session[SESSION_STARTED_KEY]


def test_idle_session_is_signed_out(client_for: ClientFor, therapist: User) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=3600, last_seen_ago=idle_limit_seconds() + 1)

    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"] == SIGN_IN_THEN_HOME
    assert client.session.get(SESSION_KEY) is None
    assert logout_events() == [(therapist.pk, "idle")]
    sign_in_page = client.get(response["Location"])
    assert [str(m) for m in sign_in_page.context["messages"]] == [
        "You were signed out after 15 minutes without activity."
    ]


def test_idle_sign_out_is_audited_whatever_the_path_typed(
    client_for: ClientFor, therapist: User
) -> None:
    # The audit trail keeps the path as sent: a NUL typed into the address bar (%00) would
    # otherwise be refused by PostgreSQL and the sign-out would answer 500.
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=3600, last_seen_ago=idle_limit_seconds() + 1)

    response = client.get("/clients/%00/")

    assert response.status_code == 404  # no such page, and signed out on the way
    assert logout_events() == [(therapist.pk, "idle")]
    assert AuditEvent.objects.get(action="auth.logout").path == "/clients/%00/"


def test_session_just_under_the_idle_limit_stays_signed_in(
    client_for: ClientFor, therapist: User
) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=3600, last_seen_ago=idle_limit_seconds() - 5)
    before = time.time()

    response = client.get(MY_ACCOUNT)

    assert response.status_code == 200
    assert client.session.get(SESSION_KEY) == str(therapist.pk)
    assert logout_events() == []
    # The visit counts as activity: the idle clock starts again.
    assert client.session[SESSION_LAST_SEEN_KEY] >= before


def test_session_over_the_absolute_limit_is_signed_out_even_when_active(
    client_for: ClientFor, therapist: User
) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=absolute_limit_seconds() + 1, last_seen_ago=1)

    response = client.get(MY_ACCOUNT)

    assert response.status_code == 302
    assert response["Location"] == SIGN_IN_THEN_MY_ACCOUNT
    assert client.session.get(SESSION_KEY) is None
    assert logout_events() == [(therapist.pk, "absolute limit")]
    sign_in_page = client.get(response["Location"])
    assert [str(m) for m in sign_in_page.context["messages"]] == [
        "You were signed out because your session reached 12 hours."
    ]


def test_session_just_under_the_absolute_limit_stays_signed_in(
    client_for: ClientFor, therapist: User
) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=absolute_limit_seconds() - 5, last_seen_ago=1)

    assert client.get(MY_ACCOUNT).status_code == 200
    assert logout_events() == []


def test_session_without_a_sign_in_stamp_is_signed_out(
    client_for: ClientFor, therapist: User
) -> None:
    # A session from before the limits existed (or tampered with) is not trusted.
    client = client_for(therapist)
    session = client.session
    del session[SESSION_STARTED_KEY]
    session.save()

    response = client.get(HOME)

    assert response["Location"] == SIGN_IN_THEN_HOME
    assert logout_events() == [(therapist.pk, "absolute limit")]


@pytest.mark.parametrize(
    ("signed_in_ago", "last_seen_ago"),
    [(3600, 15 * 60 + 1), (12 * 3600 + 1, 1)],
    ids=["idle", "absolute"],
)
def test_htmx_request_after_the_limit_gets_hx_redirect_not_a_page(
    client_for: ClientFor, therapist: User, signed_in_ago: int, last_seen_ago: int
) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=signed_in_ago, last_seen_ago=last_seen_ago)

    response = client.get(HOME, headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("accounts:login")
    assert response.content == b""
    assert client.session.get(SESSION_KEY) is None


# --- Deactivation ---------------------------------------------------------------------------


def test_deactivated_person_cannot_sign_in_with_the_right_password(db: None) -> None:
    from django.utils import timezone

    former = TherapistFactory(
        email="former@clinic.test",
        password=TEST_PASSWORD,
        is_active=False,
        deactivated_at=timezone.now(),
    )
    client = Client()

    response = client.post(
        reverse("accounts:login"), {"username": former.email, "password": TEST_PASSWORD}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": [
            "That email and password do not match an active account. "
            "After 5 failed attempts the account is locked for a while."
        ]
    }
    assert client.session.get(SESSION_KEY) is None
    assert list(AuditEvent.objects.values_list("action", "object_id")) == [
        ("auth.login_failed", str(former.pk))
    ]


def test_deactivation_ends_the_persons_open_sessions(
    client_for: ClientFor, therapist: User, other_therapist: User, clinic_admin: User
) -> None:
    therapist_browser = client_for(therapist)
    therapist_phone = client_for(therapist)
    colleague = client_for(other_therapist)
    admin = client_for(clinic_admin)
    assert therapist_browser.get(MY_ACCOUNT).status_code == 200

    response = admin.post(
        reverse("accounts:staff_action", kwargs={"pk": therapist.pk, "action": "deactivate"})
    )

    assert response.status_code == 302
    sessions_left = [s.get_decoded().get(SESSION_KEY) for s in Session.objects.all()]
    assert sorted(sessions_left) == sorted([str(other_therapist.pk), str(clinic_admin.pk)])
    assert therapist_browser.get(HOME)["Location"] == SIGN_IN_THEN_HOME
    assert therapist_phone.get(HOME)["Location"] == SIGN_IN_THEN_HOME
    assert colleague.get(MY_ACCOUNT).status_code == 200
    assert admin.get(reverse("accounts:staff_list")).status_code == 200
    event = AuditEvent.objects.get(action="account.deactivate")
    assert (event.actor, event.object_id, event.detail) == (
        clinic_admin,
        str(therapist.pk),
        "sessions ended: 2",
    )


def test_keepalive_answers_204_while_the_session_lasts(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(therapist)
    assert client.post(reverse("accounts:keepalive")).status_code == 204
    assert client.get(reverse("accounts:keepalive")).status_code == 405


def test_keepalive_after_idle_logoff_redirects_to_sign_in(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(therapist)
    session = client.session
    session[SESSION_LAST_SEEN_KEY] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 - 1
    session.save()

    response = client.post(reverse("accounts:keepalive"))

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("accounts:login")


def test_a_get_of_the_timer_landing_signs_nobody_out(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(therapist)

    response = client.get(reverse("accounts:timed_out"))

    assert (response.status_code, response["Location"]) == (302, reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="auth.logout").count() == 0
    assert client.get(MY_ACCOUNT).status_code == 200


def test_browser_timer_landing_signs_out_once_with_one_message(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(therapist)

    response = client.post(reverse("accounts:timed_out"), follow=True)

    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "You were signed out after 15 minutes without activity."
    ]
    assert list(
        AuditEvent.objects.filter(action="auth.logout").values_list("detail", flat=True)
    ) == ["idle"]
    assert client.get(reverse("home:home")).status_code == 302


def test_browser_timer_landing_after_the_server_already_ended_the_session(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(therapist)
    session = client.session
    session[SESSION_LAST_SEEN_KEY] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 - 1
    session.save()

    response = client.post(reverse("accounts:timed_out"), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "You were signed out after 15 minutes without activity."
    ]
    assert AuditEvent.objects.filter(action="auth.logout").count() == 1


# --- The browser's timer follows the server -----------------------------------------------------


def test_the_timer_asking_is_not_activity_and_hears_the_current_setting(
    therapist: User, client_for: ClientFor, settings: Any
) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=600, last_seen_ago=100)
    last_seen = client.session[SESSION_LAST_SEEN_KEY]
    settings.IDLE_TIMEOUT_MINUTES = 5  # changed by the clinic while the page is open

    response = client.get(reverse("accounts:idle_status"))

    assert response.status_code == 204
    assert response["X-Idle-Seconds"] == "300"
    assert int(response["X-Idle-Remaining"]) in (198, 199)
    assert client.session[SESSION_LAST_SEEN_KEY] == last_seen
    assert client.post(reverse("accounts:idle_status")).status_code == 405


def test_the_timer_asking_after_the_limit_finds_the_session_ended(
    therapist: User, client_for: ClientFor, settings: Any
) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=600, last_seen_ago=400)
    settings.IDLE_TIMEOUT_MINUTES = 5

    response = client.get(reverse("accounts:idle_status"))

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("accounts:login")


def test_keepalive_restarts_the_time_left(
    therapist: User, client_for: ClientFor, settings: Any
) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=600, last_seen_ago=20)
    settings.IDLE_TIMEOUT_MINUTES = 3

    response = client.post(reverse("accounts:keepalive"))

    assert (response["X-Idle-Seconds"], response["X-Idle-Remaining"]) in [
        ("180", "180"),
        ("180", "179"),
    ]
    assert time.time() - client.session[SESSION_LAST_SEEN_KEY] < 2


def test_a_page_tells_its_timer_the_time_the_server_still_allows(
    therapist: User, client_for: ClientFor, settings: Any
) -> None:
    client = client_for(therapist)
    # Seen 10 seconds ago: too recent for this page to refresh the stamp.
    set_session_times(client, signed_in_ago=600, last_seen_ago=10)
    settings.IDLE_TIMEOUT_MINUTES = 4

    body = parse(client.get(MY_ACCOUNT)).xpath("//body")[0]

    assert body.get("data-idle-seconds") == "240"
    assert int(body.get("data-idle-remaining")) in (228, 229)
    assert body.get("data-idle-status-url") == reverse("accounts:idle_status")


def test_the_sign_in_page_says_why_once_when_the_timer_asked_after_the_end(
    therapist: User, client_for: ClientFor, settings: Any
) -> None:
    client = client_for(therapist)
    set_session_times(client, signed_in_ago=600, last_seen_ago=400)
    settings.IDLE_TIMEOUT_MINUTES = 5
    client.get(reverse("accounts:idle_status"))  # the server ends the session here

    response = client.post(reverse("accounts:timed_out"), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "You were signed out after 5 minutes without activity."
    ]
