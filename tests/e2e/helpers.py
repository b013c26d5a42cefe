"""Steps that several browser tests share: authenticator codes, the two sign-in steps, and a
page in its own browser context whose errors count."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from hrp.accounts.models import User
from tests.factories import TEST_PASSWORD, TOTPDeviceFactory, totp_code

# Long enough for a slow CI runner, short enough that a missing element fails quickly.
DEFAULT_TIMEOUT_MS = 10_000


def totp_code_from_secret(secret: str) -> str:
    """The current code for a secret as the enrolment page shows it (base32 in groups of four),
    computed the way an authenticator app would after someone typed it in."""
    compact = secret.replace(" ", "").upper()
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    return f"{TOTP(key).token():06d}"


def enter_password(page: Page, *, email: str, password: str) -> None:
    """Fill the sign-in form on the current page and continue to the two-factor step."""
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def enter_code(page: Page, *, code: str) -> None:
    """Pass the two-factor check page with an authenticator code."""
    expect(page.get_by_role("heading", name="Two-factor check")).to_be_visible()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()


def sign_in(page: Page, *, email: str, password: str, device: TOTPDevice) -> None:
    """Sign in from the sign-in page through both steps."""
    page.goto("/account/sign-in/")
    enter_password(page, email=email, password=password)
    enter_code(page, code=totp_code(device))


def sign_in_as(page: Page, user: User) -> None:
    """Sign `user` in through both steps with a fresh authenticator."""
    sign_in(page, email=user.email, password=TEST_PASSWORD, device=TOTPDeviceFactory(user=user))


def status_messages(page: Page) -> Locator:
    """The page's status messages (saved, sent, ...)."""
    return page.locator(".messages [role=status]")


def new_page_in(browser: Browser, live_server: LiveServer, errors: list[str]) -> Page:
    """A page in a new browser context (no cookies shared: another person's browser) at the
    live server, whose console errors and uncaught exceptions are collected into `errors`."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    record_browser_errors(page, errors)
    return page


def record_browser_errors(page: Page, errors: list[str]) -> None:
    """Collect `page`'s console errors and uncaught exceptions into `errors` (the
    `browser_errors` fixture), as the `page` fixture does for its own page: for a page in a
    second browser context, such as a colleague's browser."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console error at {page.url}: {message.text}")

    def on_page_error(error: Exception) -> None:
        errors.append(f"uncaught exception at {page.url}: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)


@contextmanager
def expect_refused_page(page: Page, errors: list[str], *, status: int) -> Iterator[None]:
    """Around a navigation that the server is meant to refuse with `status` (403, 404).

    Chrome logs every page served with an error status as a console error. This waits for
    that one message and takes it out of `errors`, so that any other error still fails the
    test."""
    reasons = {403: "Forbidden", 404: "Not Found"}
    expected = (
        f"Failed to load resource: the server responded with a status of {status} "
        f"({reasons[status]})"
    )
    with page.expect_console_message(lambda m: m.type == "error" and m.text == expected):
        yield
    matching = [e for e in errors if e.startswith("console error at ") and e.endswith(expected)]
    assert len(matching) == 1, errors
    errors.remove(matching[0])


@contextmanager
def expect_handled_error_response(
    page: Page, errors: list[str], *, status: int, reason: str, timeout: float | None = None
) -> Iterator[None]:
    """Around an action whose background request (an htmx autosave) the server answers with an
    error status that the page shows on purpose, such as 409 for a draft saved elsewhere.

    Chrome logs every such response as a console error, as it does for a refused page (see
    `expect_refused_page`). This waits for that one message and takes it out of `errors`, so
    that any other error still fails the test."""
    expected = f"Failed to load resource: the server responded with a status of {status} ({reason})"
    with page.expect_console_message(
        lambda m: m.type == "error" and m.text == expected, timeout=timeout
    ):
        yield
    matching = [e for e in errors if e.startswith("console error at ") and e.endswith(expected)]
    assert len(matching) == 1, errors
    errors.remove(matching[0])


def open_chart_tab(page: Page, name: str, *, exact: bool = False) -> None:
    """Open a chart section by its tab, as a clinician would: the primary tabs are in the row,
    the others behind "More" (a <details> whose links are hidden until it opens)."""
    tabs = page.get_by_role("navigation", name="Chart sections")
    link = tabs.get_by_role("link", name=name, exact=exact)
    if not link.is_visible():
        tabs.locator("summary").click()
    link.click()
