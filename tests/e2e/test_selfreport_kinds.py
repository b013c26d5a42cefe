"""A client fills in their weekly use diary from a link on their phone (375 x 812), in
Spanish, with JavaScript off as on a basic phone; axe-core checks the page with it on. The week
reaches the chart as the client's own check-in, measured against their plan."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from clients.models import SubstanceUse
from goals.models import UseCheckIn
from selfreport import services
from selfreport.models import UseDiary
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.e2e.a11y import axe_violations
from tests.e2e.helpers import DEFAULT_TIMEOUT_MS, record_browser_errors
from tests.factories import TherapistFactory
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section

PHONE = {"width": 375, "height": 812}


@pytest.mark.e2e
@pytest.mark.parametrize("js", [True, False], ids=["axe", "no-js"])
def test_the_client_fills_in_their_week_in_spanish_on_their_phone(
    browser: Browser, live_server: LiveServer, browser_errors: list[str], js: bool
) -> None:
    therapist = TherapistFactory()
    client = ClientFactory(
        therapist=therapist, may_contact=True, reminder_channel="sms", phone="555-0100"
    )
    alcohol = SubstanceUseFactory(client=client, substance=SubstanceUse.Substance.ALCOHOL)
    PlanVersionFactory(
        plan=PlanFactory(client=client),
        created_at=timezone.now() - datetime.timedelta(weeks=5),
        sections=[plan_section(max_days_per_week=2, max_amount_per_day="3", amount_unit="drinks")],
    )
    link, token = services.link_send(
        actor=therapist, client=client, kind="use_diary", language="es"
    )
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="es-US", java_script_enabled=js
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    record_browser_errors(page, browser_errors)

    page.goto(f"/r/{token}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Su semana")
    expect(page.get_by_text("nunca un fracaso")).to_be_visible()
    expect(page.get_by_label("Unidad")).to_have_value("drinks")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if js:
        assert axe_violations(page) == []
    # Sent without the use days: told so in Spanish, what was typed kept.
    page.get_by_label("Dónde o con quién (opcional)").fill("en casa")
    page.get_by_role("button", name="Enviar mi semana").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Dónde o con quién (opcional)")).to_have_value("en casa")
    if js:
        assert axe_violations(page) == []
    days = page.get_by_role("group", name="Días en que consumió")
    days.get_by_label("4", exact=True).check()
    page.get_by_label("Un día en que consumió, ¿más o menos cuánto?").fill("3")
    page.get_by_label("Empecé con poca cantidad, poco a poco").check()
    page.get_by_role("button", name="Enviar mi semana").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Gracias")
    expect(page.get_by_text("nunca un fracaso")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if js:
        assert axe_violations(page) == []
    checkin = UseCheckIn.objects.get(client=client)
    assert (checkin.week_start, checkin.use_days, checkin.days_above_plan, checkin.source) == (
        link.week_start,
        4,
        2,
        "client",
    )
    assert UseDiary.objects.get(client=client).entries[0]["steps"] == ["went_slow"]
    assert checkin.substance == alcohol
    context.close()
