"""A client answers a measure from a link on their phone (375 x 812), in English and in Spanish,
with no account and no JavaScript needed; axe-core checks each page. The answers reach the
chart marked as reported by the client. A client reads a safety plan shared with them, in
Spanish, on the same phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from assessments.models import Administration
from selfreport import services
from tests.clients.factories import ClientFactory
from tests.e2e.a11y import LAPTOP, TABLET, axe_violations
from tests.e2e.helpers import DEFAULT_TIMEOUT_MS, record_browser_errors, sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.safety.helpers import STEPS, safety_version

PHONE = {"width": 375, "height": 812}


def _phone(browser: Browser, live_server: LiveServer, errors: list[str], *, js: bool) -> Page:
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="en-US", java_script_enabled=js
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    record_browser_errors(page, errors)
    return page


def _fits_the_phone(page: Page) -> None:
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("language", "js", "button", "english_only", "thanks"),
    [
        ("en", True, "Send my answers", False, "Thank you"),
        ("es", False, "Enviar mis respuestas", True, "Gracias"),
    ],
)
def test_the_client_answers_on_their_phone(
    browser: Browser,
    live_server: LiveServer,
    browser_errors: list[str],
    language: str,
    js: bool,
    button: str,
    english_only: bool,
    thanks: str,
) -> None:
    therapist = TherapistFactory()
    client = ClientFactory(
        therapist=therapist, may_contact=True, reminder_channel="sms", phone="555-0100"
    )
    _link, token = services.link_send(
        actor=therapist, client=client, measure_code="GAD7", language=language
    )
    page = _phone(browser, live_server, browser_errors, js=js)

    page.goto(f"/r/{token}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    notice = page.get_by_text("Por ahora, estas preguntas solo están disponibles en inglés.")
    expect(notice).to_have_count(1 if english_only else 0)
    _fits_the_phone(page)
    if js:  # axe-core runs as script: checked with JavaScript on, the flow works without it
        assert axe_violations(page) == []
    # Send with one question unanswered: told so, nothing lost.
    for number in range(1, 7):
        page.get_by_role("group", name=f"{number}.").get_by_label("Several days").check()
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("radio", checked=True)).to_have_count(6)
    if js:
        assert axe_violations(page) == []
    page.get_by_role("group", name="7.").get_by_label("Nearly every day").check()
    page.get_by_role("button", name=button).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(thanks)
    _fits_the_phone(page)
    if js:
        assert axe_violations(page) == []
    given = Administration.objects.get(client=client)
    assert (given.source, given.measure_code, given.score) == ("client", "GAD7", 9)
    page.context.close()


@pytest.mark.e2e
def test_the_links_page_for_the_therapist_passes_axe_at_laptop_and_tablet_widths(
    page: Page,
) -> None:
    therapist = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(
        therapist=therapist, may_contact=True, reminder_channel="sms", phone="555-0100"
    )
    _link, token = services.link_send(
        actor=therapist, client=client, measure_code="PHQ9", language="en"
    )
    services.link_submit(token=token, answers={f"q{i}": "0" for i in range(1, 10)})
    services.schedule_create(
        actor=therapist, client=client, measure_code="GAD7", language="es", every_weeks=4
    )
    sign_in_as(page, therapist)

    for viewport in (LAPTOP, TABLET):
        page.set_viewport_size(viewport)
        page.goto(f"/clients/{client.pk}/client-links/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Links to the client")
        assert axe_violations(page) == []
    # Sending again from the page: the message is on its way.
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("The link is on its way to the client.")).to_be_visible()


@pytest.mark.e2e
def test_the_therapist_schedules_a_measure_before_each_session(page: Page) -> None:
    therapist = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(
        therapist=therapist, may_contact=True, reminder_channel="sms", phone="555-0100"
    )
    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/client-links/")

    page.get_by_label("A few days before each session booked with the client").check()
    page.get_by_label("Days before the session").fill("3")
    page.get_by_label("Weeks between links").fill("4")
    page.get_by_role("button", name="Send on a schedule").click()

    expect(
        page.get_by_text("A link will go out before each session, as you chose.")
    ).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="PHQ-9, 3 days before")).to_have_text(
        "PHQ-9, 3 days before each session, at most every 4 weeks (English): no session booked "
        "yet: a link goes out once one is Stop",
        use_inner_text=True,
    )
    assert axe_violations(page) == []


def test_the_client_reads_a_shared_safety_plan_in_spanish_on_their_phone(
    browser: Browser, live_server: LiveServer, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory()
    client = ClientFactory(
        therapist=therapist,
        may_contact=True,
        reminder_channel="sms",
        phone="555-0100",
        preferred_language="es",
    )
    safety_version(therapist, client)
    _share, token = services.plan_share(
        actor=therapist, client=client, kind="safety", language=client.preferred_language
    )
    page = _phone(browser, live_server, browser_errors, js=True)

    page.goto(f"/p/{token}/")

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mi plan de seguridad")
    expect(page.get_by_role("heading", name="Si necesito ayuda ahora")).to_be_visible()
    expect(page.get_by_text("988 Suicide & Crisis Lifeline: call or text 988")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Señales de que empieza un momento difícil")
    ).to_be_visible()
    expect(page.get_by_text(STEPS["warning_signs"])).to_be_visible()
    expect(page.get_by_role("textbox")).to_have_count(0)  # read-only
    _fits_the_phone(page)
    # Large text: the client's words are read at 20 px, not the browser's 16.
    size = page.get_by_text(STEPS["warning_signs"]).evaluate("e => getComputedStyle(e).fontSize")
    assert size == "20px"
    assert axe_violations(page) == []
    page.context.close()
