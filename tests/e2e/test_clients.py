"""Client intake, caseloads and the chart through a real browser: a therapist's intake that
survives a closed page, a supervisor's read-only view, a clinic admin's reassignment."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Response, expect
from pytest_django.live_server_helper import LiveServer

from clients import services
from clients.models import Client, Intake, SubstanceUse, TherapistAssignment
from hrp.accounts.models import User
from tests.e2e.helpers import (
    expect_refused_page,
    new_page_in,
    record_browser_errors,
    sign_in_as,
)
from tests.factories import (
    TEST_PASSWORD,
    ClinicAdminFactory,
    SupervisionFactory,
    SupervisorFactory,
    TherapistFactory,
)


def expect_step(page: Page, number: int, label: str) -> None:
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Step {number}: {label}")


def is_autosave(response: Response) -> bool:
    return response.request.method == "POST" and response.request.headers.get("hx-request") == (
        "true"
    )


def wait_for_autosaves(page: Page) -> None:
    """Wait until the step's autosaves are answered. Every change autosaves the step; a
    button clicked while one is in flight would race it (and SQLite's shared in-memory test
    database refuses a second concurrent writer instead of waiting)."""
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved")
    expect(page.locator("form.htmx-request")).to_have_count(0)


@pytest.mark.e2e
def test_therapist_completes_an_intake_after_closing_the_page_midway(
    page: Page, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    sign_in_as(page, therapist)
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")

    page.get_by_role("link", name="New client intake").click()
    expect(page).to_have_url(re.compile(r"/clients/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New client intake")
    expect_step(page, 1, "In their words")
    page.get_by_label("Legal name").fill("Jordan Avery Rivera")
    page.get_by_label("Chosen name").fill("Jo")
    page.get_by_label("What brings you here?").fill("My partner worries about my drinking.")
    page.get_by_label("What would you like to get from coming here?").fill(
        "Drink less on weeknights."
    )
    page.get_by_role("button", name="Save and continue").click()

    client = Client.objects.get(legal_name="Jordan Avery Rivera")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/intake/details/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Intake: Jo")
    expect_step(page, 2, "Contact details")
    phone = page.get_by_label("Phone", exact=True)
    phone.fill("+1 555 010 2030")
    # Leave the field as a person moving on would: its change event autosaves the step.
    phone.blur()
    page.get_by_label("May we contact you?").check()
    wait_for_autosaves(page)
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/intake/substances/$"))
    expect_step(page, 3, "Substances")
    page.get_by_label("Substance or behaviour").select_option(label="Alcohol")
    amount = page.get_by_label("Amount")
    amount.fill("About six beers")
    amount.blur()
    page.get_by_label("Client's current goal").select_option(label="Moderation")
    page.get_by_label("Stage of change").select_option(label="Preparation")
    wait_for_autosaves(page)
    # Autosaves keep a new row on the page only; the button stores it, once.
    expect(page.locator("#autosave-status")).to_contain_text(
        "A new substance is added when you press “Save and continue”"
    )
    assert SubstanceUse.objects.filter(client=client).count() == 0
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/intake/concerns/$"))
    expect_step(page, 4, "Concerns and strengths")
    notes = page.get_by_label("Notes on these concerns")
    notes.fill("Panic at work since the spring; sleeps badly.")
    # Tabbing out fires `change`, which the step form autosaves at once.
    with page.expect_response(is_autosave) as autosave:
        notes.press("Tab")
    assert autosave.value.status == 200
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at ")
    # Close the page without pressing a button, as a browser crash or a closed laptop would.
    context = page.context
    page.close()

    page = context.new_page()
    record_browser_errors(page, browser_errors)
    page.goto("/clients/")
    drafts = page.get_by_role("region", name="Intakes in progress")
    draft = drafts.get_by_role("listitem").filter(has_text="Jo")
    expect(draft).to_contain_text(client.chart_number)
    draft.get_by_role("link", name="Resume intake").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/intake/concerns/$"))
    expect_step(page, 4, "Concerns and strengths")
    expect(page.get_by_label("Notes on these concerns")).to_have_value(
        "Panic at work since the spring; sleeps badly."
    )
    page.get_by_label("Anxiety").check()
    wait_for_autosaves(page)
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/intake/medical/$"))
    expect_step(page, 5, "Medical evaluation")
    # Recommended is the default; the step says where evaluations are recorded.
    # Nothing changed on this step, so nothing autosaves before the click.
    expect(page.get_by_label("Recommended", exact=True)).to_be_checked()
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/intake/referral/$"))
    expect_step(page, 6, "Referral")
    expect(page.get_by_label("Self-referred")).to_be_checked()
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/intake/review/$"))
    expect_step(page, 7, "Review and finish")
    page.get_by_role("button", name="Complete intake").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.get_by_role("status")).to_have_text(
        "Intake complete. Jo is now active on your caseload."
    )
    expect(page.locator("#client-heading")).to_have_text("Jo")

    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="My caseload"
    ).click()
    expect(page.get_by_role("region", name="Intakes in progress")).to_have_count(0)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Jo", exact=True))
    expect(row.get_by_role("cell")).to_have_text(
        [
            "Jo",
            client.chart_number,
            "Active",
            "None booked",
            "—",
            "—",
            "—",
            "—",  # screening
            "—",  # new from the client (self-report links)
            "Medical evaluation recommended, not yet done",
        ]
    )
    row.get_by_role("link", name="Jo", exact=True).click()
    expect(page.locator("#client-heading")).to_have_text("Jo")

    client.refresh_from_db()
    intake = Intake.objects.get(client=client)
    assert client.status == Client.Status.ACTIVE
    assert (client.preferred_name, client.phone, client.may_contact) == (
        "Jo",
        "+1 555 010 2030",
        True,
    )
    assert intake.completed_by == therapist
    assert (intake.anxiety, intake.concerns_notes, intake.medical_evaluation) == (
        True,
        "Panic at work since the spring; sleeps badly.",
        "recommended",
    )
    assert list(
        SubstanceUse.objects.filter(client=client).values_list(
            "substance", "amount", "goal", "stage_of_change"
        )
    ) == [("alcohol", "About six beers", "moderation", "preparation")]


def active_client_of(therapist: User, *, legal_name: str, preferred_name: str) -> Client:
    """A client whose intake `therapist` has completed, as the intake pages would leave it."""
    client = services.intake_start(
        actor=therapist,
        legal_name=legal_name,
        preferred_name=preferred_name,
        pronouns="",
        reason_for_coming="I want to stop feeling so on edge.",
        client_goals="Use more safely at parties.",
    )
    return services.intake_complete(actor=therapist, client=client)


@pytest.mark.e2e
def test_supervisor_reads_a_supervisees_client_without_edit_rights(
    page: Page, live_server: LiveServer, browser_errors: list[str]
) -> None:
    supervisor = SupervisorFactory(full_name="Sue Supervisor", password=TEST_PASSWORD)
    therapist = TherapistFactory(full_name="Tess Therapist")
    SupervisionFactory(supervisor=supervisor, supervisee=therapist)
    client = active_client_of(therapist, legal_name="Morgan Lee Hart", preferred_name="Mo")

    sign_in_as(page, supervisor)
    # A supervisor's home is their dashboard: a row per therapist they supervise.
    expect(page).to_have_url(f"{live_server.url}/")
    supervisees = page.get_by_role("region", name="Therapists you supervise")
    supervisees.get_by_role("row").filter(has_text="Tess Therapist").get_by_role(
        "link", name="Review caseload"
    ).click()

    expect(page).to_have_url(re.compile(rf"/clients/caseload/{therapist.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Caseload of Tess Therapist read-only"
    )
    expect(page.get_by_role("link", name="New client intake")).to_have_count(0)
    page.get_by_role("link", name="Mo", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.locator("#client-heading")).to_have_text("Mo")
    expect(page.get_by_text("Read-only: supervision view", exact=True)).to_be_visible()
    expect(page.get_by_text("I want to stop feeling so on edge.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)
    expect(page.get_by_role("link", name="Change status")).to_have_count(0)

    with expect_refused_page(page, browser_errors, status=403):
        response = page.goto(f"/clients/{client.pk}/edit/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    client.refresh_from_db()
    assert (client.preferred_name, client.status) == ("Mo", Client.Status.ACTIVE)


@pytest.mark.e2e
def test_clinic_admin_reassigns_a_client_and_the_old_therapist_loses_access(
    page: Page, browser: Browser, live_server: LiveServer, browser_errors: list[str]
) -> None:
    admin = ClinicAdminFactory(full_name="Ada Admin", password=TEST_PASSWORD)
    old_therapist = TherapistFactory(full_name="Omar Oldfield", password=TEST_PASSWORD)
    new_therapist = TherapistFactory(full_name="Nina Newell")
    client = active_client_of(old_therapist, legal_name="Casey Quinn Doyle", preferred_name="Case")

    sign_in_as(page, admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Clients", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/clients/manage/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients")
    page.get_by_label("Search by name or chart number").fill("Casey")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("table").locator("caption")).to_have_text("1 client")
    row = page.get_by_role("row").filter(has_text=client.chart_number)
    expect(row.get_by_role("cell")).to_have_text(
        ["Case", client.chart_number, "Active", "Omar Oldfield"]
    )
    row.get_by_role("link", name="Case", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/clients/manage/{client.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Case")
    page.get_by_label("New therapist").select_option(label="Nina Newell")
    page.get_by_role("button", name="Reassign client").click()

    expect(page.get_by_role("status")).to_have_text(
        "Client reassigned. The previous therapist no longer has access."
    )
    expect(
        page.get_by_text(f"{client.chart_number} · Active · Therapist: Nina Newell")
    ).to_be_visible()
    client.refresh_from_db()
    assert client.therapist == new_therapist
    assignments = TherapistAssignment.objects.filter(client=client).order_by("started_at", "pk")
    assert [(a.therapist, a.ended_at is None) for a in assignments] == [
        (old_therapist, False),
        (new_therapist, True),
    ]

    # The previous therapist, in their own browser, can no longer open the chart.
    old_page = new_page_in(browser, live_server, browser_errors)
    try:
        sign_in_as(old_page, old_therapist)
        expect(old_page.get_by_role("heading", level=1)).to_have_text("My caseload")
        expect(old_page.get_by_role("link", name="Case", exact=True)).to_have_count(0)
        with expect_refused_page(old_page, browser_errors, status=404):
            response = old_page.goto(f"/clients/{client.pk}/")
        assert response is not None and response.status == 404
        expect(old_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    finally:
        old_page.context.close()
