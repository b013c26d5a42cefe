"""Cache-Control on signed-in responses and Permissions-Policy on every response
(hrp.core.middleware.PrivacyHeadersMiddleware).

Back after sign-out on a shared workstation must not show a client's chart: the browser may
show only what it stored, and `no-store` lets it store nothing of a signed-in page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from hrp.accounts.models import User
from tests.clients.factories import ClientFactory
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory

ClientFor = Callable[[User | None], HttpClient]

NO_STORE = "no-store, private"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), screen-wake-lock=(), serial=(), "
    "usb=(), xr-spatial-tracking=()"
)


@pytest.fixture
def client_pages(therapist: User) -> dict[str, str]:
    """The pages that show client information, by what they are."""
    record = ClientFactory(therapist=therapist)
    note = SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record))
    return {
        "chart": reverse("clients:chart", kwargs={"pk": record.pk}),
        "note": reverse("sessions:note", kwargs={"pk": record.pk, "note_pk": note.pk}),
        "caseload": reverse("clients:caseload"),
        "calendar": reverse("scheduling:week", args=[therapist.pk]),
        "my account": reverse("accounts:my_account"),
    }


def test_signed_in_pages_with_client_data_are_never_stored(
    client_for: ClientFor, therapist: User, client_pages: dict[str, str]
) -> None:
    web = client_for(therapist)

    answers = {name: web.get(path) for name, path in client_pages.items()}

    assert {n: r.status_code for n, r in answers.items()} == dict.fromkeys(client_pages, 200)
    assert {n: r["Cache-Control"] for n, r in answers.items()} == dict.fromkeys(
        client_pages, NO_STORE
    )
    assert {n: r["Permissions-Policy"] for n, r in answers.items()} == dict.fromkeys(
        client_pages, PERMISSIONS_POLICY
    )


def test_back_after_sign_out_finds_nothing_stored_and_nothing_served(
    client_for: ClientFor, therapist: User, client_pages: dict[str, str]
) -> None:
    web = client_for(therapist)
    chart = web.get(client_pages["chart"])

    signed_out = web.post(reverse("accounts:logout"))
    again = web.get(client_pages["chart"])

    assert chart["Cache-Control"] == NO_STORE  # so Back has no copy to show
    assert signed_out.status_code == 302
    assert (again.status_code, again["Location"]) == (
        302,
        f"{reverse('accounts:login')}?next={client_pages['chart']}",
    )


def test_a_view_s_own_directives_are_kept_alongside(client_for: ClientFor, therapist: User) -> None:
    """The caching a view sets is added to, not replaced (/healthz is never cached)."""
    response = client_for(therapist).get(reverse("healthz"))

    assert set(response["Cache-Control"].split(", ")) >= {"no-cache", "no-store", "private"}


def test_the_half_signed_in_two_factor_step_is_not_stored(db: None) -> None:
    user = TherapistFactory(email="tess@clinic.test", password=TEST_PASSWORD)
    client = HttpClient()
    client.post(reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD})

    response = client.get(reverse("accounts:two_factor"))

    assert (response.status_code, response["Cache-Control"]) == (200, NO_STORE)


def test_pages_for_nobody_signed_in_keep_their_caching_and_get_the_policy(db: None) -> None:
    reset = HttpClient().get(reverse("accounts:password_reset"))
    healthz = HttpClient().get(reverse("healthz"))

    assert reset.status_code == 200
    assert "Cache-Control" not in reset
    assert healthz["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert [reset["Permissions-Policy"], healthz["Permissions-Policy"]] == [PERMISSIONS_POLICY] * 2


def test_static_files_stay_cacheable_and_get_the_policy(
    client_for: ClientFor, therapist: User
) -> None:
    response = client_for(therapist).get("/static/hrp/app.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
