"""Deny by default: every URL needs sign-in and two-factor, except a short allow-list.

The walker finds URLs from the root URLconf itself, so a URL added later is covered without
anyone remembering to add it here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts import services
from hrp.accounts.models import User

PUBLIC_URL_NAMES = {
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:set_password",
    "accounts:set_password_done",
    "accounts:timed_out",
    "healthz",
    # The pages a client opens from a link (selfreport): the token is the key, not a sign-in.
    "selfreport:answer",
    # A plan shared with the client to read (selfreport.PlanShare): the same, read-only.
    "selfreport:plan",
    # A clinician's private calendar feed: the secret token in its address is the key
    # (tests/scheduling/test_feed.py); a wrong token is a 404, as the walker's dummy one is.
    "scheduling:ical",
}
# Reachable after the password step but before two-factor: the second step itself and sign-out.
TWO_FACTOR_EXEMPT_URL_NAMES = {
    "accounts:two_factor",
    "accounts:logout",
    "accounts:keepalive",
    "accounts:idle_status",
}

DUMMY_BY_KWARG = {"uidb64": "MQ", "token": "abc-def"}
DUMMY_BY_CONVERTER: dict[type, object] = {
    IntConverter: 1,
    SlugConverter: "x",
    StringConverter: "x",
    PathConverter: "x",
}


def _walk(
    patterns: list[URLPattern | URLResolver], namespace: str = "", converters: dict | None = None
) -> Iterator[tuple[str, dict[str, object]]]:
    """(namespaced name, dummy kwargs) for every named pattern, recursing into includes."""
    converters = dict(converters or {})
    for entry in patterns:
        entry_converters = {**converters, **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner, entry_converters)
            continue
        assert entry.name, f"every URL has a name; {entry.pattern} has none"
        kwargs = {}
        for kwarg, converter in entry_converters.items():
            if kwarg in DUMMY_BY_KWARG:
                kwargs[kwarg] = DUMMY_BY_KWARG[kwarg]
            else:
                kwargs[kwarg] = DUMMY_BY_CONVERTER[type(converter)]
        yield f"{namespace}{entry.name}", kwargs


def all_urls() -> dict[str, str]:
    """Every URL of the project, by namespaced name, with dummy values filled in."""
    return {
        name: reverse(name, kwargs=kwargs) for name, kwargs in _walk(get_resolver().url_patterns)
    }


def test_walker_finds_the_known_urls() -> None:
    # Guards the walker itself: if it silently found nothing, the tests below would pass.
    known = {
        "home:home",
        "accounts:staff_list",
        "accounts:staff_detail",
        "accounts:staff_action",
        *PUBLIC_URL_NAMES,
        *TWO_FACTOR_EXEMPT_URL_NAMES,
    }
    assert known - set(all_urls()) == set()
    assert all_urls()["accounts:staff_action"] == "/account/staff/1/x/"
    assert all_urls()["accounts:set_password"] == "/account/set-password/MQ/abc-def/"


def _is_redirect_to(response: HttpResponse, url_name: str, path: str) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response["Location"])
    return location.path == reverse(url_name) and parse_qs(location.query) == {"next": [path]}


@pytest.mark.django_db
def test_every_url_except_the_allow_list_redirects_anonymous_people_to_sign_in() -> None:
    client = Client()
    not_redirected: dict[str, int] = {}
    for name, url in all_urls().items():
        response = client.get(url)
        if not _is_redirect_to(response, "accounts:login", url):
            not_redirected[name] = response.status_code

    assert set(not_redirected) == PUBLIC_URL_NAMES
    # The public pages really are pages, not errors; the idle-logoff landing sends people on
    # to sign in.
    assert not_redirected == {
        **dict.fromkeys(PUBLIC_URL_NAMES, 200),
        "accounts:timed_out": 302,
        # A made-up token opens no link: the page says so, in English and Spanish.
        "selfreport:answer": 404,
        "selfreport:plan": 404,
        "scheduling:ical": 404,
    }


def test_every_non_exempt_url_sends_an_unverified_person_to_two_factor(
    therapist: User,
) -> None:
    client = Client()
    client.force_login(therapist)  # password step only: no device in the session
    redirected_to_two_factor = set()
    for name, url in all_urls().items():
        if name in PUBLIC_URL_NAMES:
            continue  # public pages need no second factor; one of them signs people out
        response = client.get(url)
        # "/" carries no ?next=, since home is where people land anyway.
        expected_next = {} if url == "/" else {"next": [url]}
        location = urlsplit(response.get("Location", ""))
        if (
            response.status_code == 302
            and location.path == reverse("accounts:two_factor")
            and parse_qs(location.query) == expected_next
        ):
            redirected_to_two_factor.add(name)

    assert redirected_to_two_factor == (
        set(all_urls()) - PUBLIC_URL_NAMES - TWO_FACTOR_EXEMPT_URL_NAMES
    )
    # The walker really walked: the known pages are among them.
    assert {
        "home:home",
        "accounts:recovery_codes",
        "accounts:my_account",
        "accounts:staff_list",
        "accounts:staff_create",
        "accounts:staff_detail",
        "accounts:staff_action",
    } - redirected_to_two_factor == set()


def test_htmx_request_of_unverified_person_gets_hx_redirect_to_two_factor(
    therapist: User,
) -> None:
    client = Client()
    client.force_login(therapist)

    response = client.get(reverse("home:home"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("accounts:two_factor")


def test_enrolment_page_shows_qr_code_and_typeable_secret(therapist: User) -> None:
    client = Client()
    client.force_login(therapist)

    response = client.get(reverse("accounts:two_factor"))

    assert response.status_code == 200
    assert response.templates[0].name == "accounts/two_factor_enrol.html"
    device = TOTPDevice.objects.get(user=therapist)
    assert device.confirmed is False
    secret = services.totp_secret_base32(device)
    assert response.context["secret"] == secret
    assert len(secret.replace(" ", "")) == 32  # 20-byte key, base32 without padding
    assert response.context["qr_svg"].startswith("<svg")
    html = response.content.decode()
    assert html.count("<svg") == 1
    assert html.count(f'<span class="secret" id="totp-secret">{secret}</span>') == 1


def test_enrolment_page_keeps_the_same_secret_on_reload(therapist: User) -> None:
    client = Client()
    client.force_login(therapist)

    first = client.get(reverse("accounts:two_factor")).context["secret"]
    second = client.get(reverse("accounts:two_factor")).context["secret"]

    assert first == second
    assert TOTPDevice.objects.filter(user=therapist).count() == 1


def test_verified_person_is_not_sent_to_two_factor(
    client_for: Callable[[User | None], Client], therapist: User
) -> None:
    response = client_for(therapist).get(reverse("accounts:two_factor"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home:home")
