"""axe-core (WCAG 2.2 A and AA) on every page each role can reach in the demo clinic, and the
page-level behaviours axe cannot see: an error summary that takes focus, announced saves,
titles that name the page.

Two tests (clinicians; supervisors and the clinic admin) each walk their roles over one seeded
demo clinic: the live server needs committed rows, and seeding is costly, so it is done once per
test, and the two can run on different workers. Each role's pages are checked at a laptop
size (1366 x 900); each route is also checked at a tablet size (820 x 1180) the first time any
role reaches it, since what changes with the width (wrapping, overflow, contrast of what
becomes visible) does not change with the role.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Page, expect

from hrp.accounts.demo import DEMO_PASSWORD, DEMO_STAFF, DemoStaff
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory
from tests.e2e.a11y import LAPTOP, TABLET, axe_violations, crawl_and_check
from tests.e2e.helpers import enter_code, enter_password, open_chart_tab, sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory, totp_code


def _one_account_per_role() -> list[DemoStaff]:
    """The demo accounts with distinct role flags (therapist, trainee, supervisor who treats,
    supervisor, clinic admin): every role the app has."""
    seen, accounts = set(), []
    for spec in DEMO_STAFF:
        flags = (spec.is_therapist, spec.requires_cosign, spec.is_supervisor, spec.is_clinic_admin)
        if flags not in seen:
            seen.add(flags)
            accounts.append(spec)
    return accounts


ROLE_GROUPS = {
    "clinicians": [
        s.email for s in _one_account_per_role() if not s.is_supervisor and not s.is_clinic_admin
    ],
    "supervisors_and_admin": [
        s.email for s in _one_account_per_role() if s.is_supervisor or s.is_clinic_admin
    ],
}


def test_the_role_groups_hold_every_role() -> None:
    grouped = sorted(email for emails in ROLE_GROUPS.values() for email in emails)
    assert grouped == sorted(s.email for s in _one_account_per_role())
    assert len(grouped) == 5


@pytest.mark.e2e
@pytest.mark.parametrize("group", ROLE_GROUPS)
def test_every_page_of_every_role_has_no_wcag_violation(page: Page, group: str) -> None:
    # MD5 for the seven demo passwords (Argon2's slowness is not under test), for the whole
    # test: the live server must verify them with the hasher that made them.
    with override_settings(
        DEMO_MODE=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        call_command("seed_demo", stdout=io.StringIO())
        checked_at_tablet: set[str] = set()
        pages: dict[str, int] = {}
        violations: list[str] = []
        for email in ROLE_GROUPS[group]:
            user = User.objects.get(email=email)
            page.context.clear_cookies()
            page.goto("/account/sign-in/")
            enter_password(page, email=email, password=DEMO_PASSWORD)
            enter_code(page, code=totp_code(user.totpdevice_set.get()))
            expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
            report = crawl_and_check(page, "/", sizes_once=checked_at_tablet)
            pages[email] = len(report.pages)
            violations += [f"{email} {line}" for line in report.violations]
    # A crawl that reached almost nothing would pass vacuously.
    assert all(count >= 15 for count in pages.values()), pages
    assert sum(pages.values()) >= 90, pages
    assert not violations, "\n".join(violations)


@pytest.mark.e2e
def test_chart_tabs_have_their_own_titles(page: Page) -> None:
    tess = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(therapist=tess, preferred_name="Robin")
    sign_in_as(page, tess)
    page.goto(f"/clients/{client.pk}/")
    overview_title = page.title()
    open_chart_tab(page, "Timeline")
    expect(page).to_have_title(f"Timeline · {client.display_name} · HRP Clinic")
    assert overview_title.startswith("Overview · ")
    assert overview_title != page.title()


@pytest.mark.e2e
def test_a_refused_form_shows_a_focused_error_summary_that_links_to_each_field(
    page: Page,
) -> None:
    tess = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(therapist=tess)
    sign_in_as(page, tess)
    page.goto(f"/clients/{client.pk}/edit/")
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_role("button", name="Save").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Please check the following:")
    link = summary.get_by_role("link", name="Date of birth", exact=False)
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_label("Date of birth")).to_be_focused()
    assert axe_violations(page) == []

    # Corrected and saved: the confirmation is announced through the live region.
    page.get_by_label("Date of birth").fill("1990-05-01")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#announcer")).not_to_be_empty()
    page.set_viewport_size(TABLET)
    assert axe_violations(page) == []
    page.set_viewport_size(LAPTOP)
