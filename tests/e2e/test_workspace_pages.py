"""The pages added with reminders, emergency access, clinic settings, client reminder choices,
disclosures, user activity and the supervisor's lists, in real Chromium: each works for a role
that may use it (with its main action carried out), and is a 404 for a role that may not. The
flows with more steps have their own files (notes, summaries, supervision, oversight)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clients.models import Client
from hrp.accounts.models import EmergencyGrant, User
from hrp.core.models import ClinicSetting
from notifications.models import Reminder
from tests.clients.factories import ClientFactory
from tests.disclosures.factories import AgencyConsentFactory
from tests.e2e.helpers import expect_handled_error_response, expect_refused_page, sign_in
from tests.factories import (
    TEST_PASSWORD,
    ClinicAdminFactory,
    SupervisionFactory,
    SupervisorFactory,
    TherapistFactory,
    TOTPDeviceFactory,
)


def sign_in_as(page: Page, user: User) -> None:
    sign_in(page, email=user.email, password=TEST_PASSWORD, device=TOTPDeviceFactory(user=user))


def therapist(name: str = "Tess Therapist") -> User:
    return TherapistFactory(full_name=name, password=TEST_PASSWORD)


@pytest.mark.e2e
def test_therapist_opens_the_reminders_and_dismisses_one(page: Page) -> None:
    tess = therapist()
    client = ClientFactory(therapist=tess)
    Reminder.objects.create(
        key="cosign:1:20261127T1000:u1:in_app",
        kind=Reminder.Kind.NOTE_UNSIGNED,
        channel=Reminder.Channel.IN_APP,
        status=Reminder.Status.SENT,
        recipient=tess,
        client=client,
        object_id=1,
        due_at=timezone.now(),
        sent_at=timezone.now(),
        text="A session note is still unsigned 24 hours after the session.",
        url="/notes/",
    )
    sign_in_as(page, tess)

    # The count arrives with htmx once the page has loaded.
    link = page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Reminders 1 unread"
    )
    link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Reminders")
    expect(page.get_by_role("listitem")).to_contain_text(
        ["A session note is still unsigned 24 hours after the session."]
    )
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("status").filter(has_text="Reminder dismissed.")).to_be_visible()
    expect(page.get_by_text("Nothing waiting.", exact=False)).to_be_visible()
    assert Reminder.objects.get().dismissed_at is not None


@pytest.mark.e2e
def test_emergency_access_opens_a_record_read_only_with_a_banner(page: Page) -> None:
    client = ClientFactory(therapist=therapist(), preferred_name="Noor")
    other = therapist("Omar Other")
    sign_in_as(page, other)

    page.goto("/account/emergency/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency access to a client record")
    page.get_by_label("Chart number").fill(client.chart_number)
    page.get_by_label("Why you need this record now").fill("Called in crisis; therapist away.")
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Open the record").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Noor")
    expect(page.get_by_role("alert").filter(has_text="Emergency access: read-only")).to_be_visible()
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)
    assert EmergencyGrant.objects.filter(user=other, client=client).count() == 1


@pytest.mark.e2e
def test_clinic_admin_changes_a_setting_and_a_wrong_value_is_refused(
    page: Page, browser_errors: list[str]
) -> None:
    admin = ClinicAdminFactory(full_name="Ada Admin", password=TEST_PASSWORD)
    sign_in_as(page, admin)

    page.get_by_role("link", name="Clinic settings").click()
    field = page.get_by_label("Hours until a note is late")
    expect(field).to_have_value("24")
    field.fill("48")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Saved 1 change.")).to_be_visible()
    expect(page.get_by_label("Hours until a note is late")).to_have_value("48")

    page.get_by_label("Hours until a note is late").fill("0")
    # Refused with 400, which Chrome logs as a console error: expected here, and only here.
    with expect_handled_error_response(page, browser_errors, status=400, reason="Bad Request"):
        page.get_by_role("button", name="Save settings").click()
    # Beside the field, and in the error summary that takes focus above the form.
    expect(page.locator("form").get_by_text("Use a number from 1 to 336.")).to_be_visible()
    expect(page.locator(".error-summary")).to_contain_text("Use a number from 1 to 336.")
    expect(page.locator(".error-summary")).to_be_focused()
    # What was typed stays on the page; nothing was saved.
    expect(page.get_by_label("Hours until a note is late")).to_have_value("0")
    assert ClinicSetting.objects.get(key="LATE_NOTE_HOURS").value == 48


@pytest.mark.e2e
def test_therapist_records_the_clients_reminder_choice(page: Page) -> None:
    tess = therapist()
    client = ClientFactory(therapist=tess, may_contact=True, email="noor@example.org")
    sign_in_as(page, tess)

    page.goto(f"/clients/{client.pk}/sessions/")
    page.get_by_role("link", name="Appointment reminders: None").click()
    page.get_by_label("By email").check()
    page.get_by_label("Leave the clinic's name out of reminders").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("link", name="Appointment reminders: By email")).to_be_visible()
    client.refresh_from_db()
    assert (client.reminder_channel, client.reminder_hide_clinic_name) == ("email", True)


@pytest.mark.e2e
def test_disclosures_tab_offers_the_report_under_a_valid_consent(page: Page) -> None:
    tess = therapist()
    consent = AgencyConsentFactory(client__therapist=tess)
    sign_in_as(page, tess)

    page.goto(f"/clients/{consent.client.pk}/disclosures/")
    expect(
        page.get_by_role("heading", name="Attendance report for the referring agency")
    ).to_be_visible()
    page.get_by_role("button", name="Preview the report").click()
    expect(page.get_by_role("heading", name="Preview of the attendance report")).to_be_visible()
    expect(
        page.get_by_role("button", name="Download PDF and record the disclosure")
    ).to_be_visible()


@pytest.mark.e2e
def test_clinic_admin_sees_user_activity(page: Page) -> None:
    admin = ClinicAdminFactory(full_name="Ada Admin", password=TEST_PASSWORD)
    therapist("Tess Therapist")
    sign_in_as(page, admin)

    page.get_by_role("link", name="User activity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("User activity")
    expect(page.get_by_role("cell", name="Tess Therapist", exact=False).first).to_be_visible()


@pytest.mark.e2e
def test_supervisor_opens_meetings_and_the_caseload_summary(page: Page) -> None:
    supervisor = SupervisorFactory(full_name="Sue Supervisor", password=TEST_PASSWORD)
    SupervisionFactory(supervisor=supervisor, supervisee=therapist())
    sign_in_as(page, supervisor)

    page.get_by_role("link", name="Supervision meetings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supervision meetings")
    page.goto("/")
    page.get_by_role("link", name="Caseload summaries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Caseload summary")


def _client_of_someone_else() -> Client:
    return ClientFactory(therapist=TherapistFactory(full_name="Someone Else"))


REFUSED: list[tuple[str, Callable[[], User], Callable[[], str]]] = [
    ("reminders, clinic admin", ClinicAdminFactory, lambda: "/reminders/"),
    ("emergency access, clinic admin", ClinicAdminFactory, lambda: "/account/emergency/"),
    ("notes, clinic admin", ClinicAdminFactory, lambda: "/notes/"),
    ("co-sign queue, therapist", TherapistFactory, lambda: "/notes/cosign/"),
    ("clinic settings, therapist", TherapistFactory, lambda: "/clinic/settings/"),
    ("user activity, supervisor", SupervisorFactory, lambda: "/oversight/users/"),
    ("caseload summary, therapist", TherapistFactory, lambda: "/summaries/caseload/"),
    (
        "disclosures, another therapist",
        TherapistFactory,
        lambda: f"/clients/{_client_of_someone_else().pk}/disclosures/",
    ),
    (
        "client reminders, another therapist",
        TherapistFactory,
        lambda: f"/clients/{_client_of_someone_else().pk}/reminders/",
    ),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("label", "make_user", "make_url"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_role_that_may_not_use_a_page_gets_404(
    page: Page,
    browser_errors: list[str],
    label: str,
    make_user: Callable[..., User],
    make_url: Callable[[], str],
) -> None:
    user = make_user(password=TEST_PASSWORD)
    url = make_url()
    sign_in_as(page, user)

    with expect_refused_page(page, browser_errors, status=404):
        response = page.goto(url)

    assert response is not None and response.status == 404
