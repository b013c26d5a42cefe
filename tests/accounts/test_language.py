"""The staff interface language: each person's own choice on "Your account" once signed in,
the browser's Accept-Language before (LocaleMiddleware); `<html lang>` follows."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from hrp import formats
from hrp.accounts import services
from hrp.accounts.models import User
from tests.conftest import STAFF_ROLES

MY_ACCOUNT = reverse("accounts:my_account")
SIGN_IN = reverse("accounts:login")
HTML_LANG = re.compile(r'<html lang="([^"]*)">')


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    # A request as a Spanish-speaking user leaves Spanish active in this thread (as
    # LocaleMiddleware leaves the browser's): later tests in the process must not inherit it.
    yield
    translation.activate("en")


def _lang(response) -> str:
    match = HTML_LANG.search(response.content.decode())
    assert match is not None
    return match.group(1)


@pytest.mark.django_db
def test_before_sign_in_the_browser_chooses() -> None:
    assert _lang(Client().get(SIGN_IN)) == "en"
    spanish = Client().get(SIGN_IN, headers={"accept-language": "es-MX,es;q=0.9"})
    assert _lang(spanish) == "es"
    assert spanish["Content-Language"] == "es"
    # A language the clinic does not offer falls back to English.
    assert _lang(Client().get(SIGN_IN, headers={"accept-language": "fr"})) == "en"


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_signed_in_person_sees_their_own_language_whatever_the_browser(
    role: str, request: pytest.FixtureRequest, client_for: Callable[[User | None], Client]
) -> None:
    user = request.getfixturevalue(role)
    client = client_for(user)
    assert user.language == "en"
    assert _lang(client.get(MY_ACCOUNT, headers={"accept-language": "es"})) == "en"

    User.objects.filter(pk=user.pk).update(language="es")
    response = client.get(MY_ACCOUNT, headers={"accept-language": "en"})
    assert response.status_code == 200
    assert _lang(response) == "es"
    assert response["Content-Language"] == "es"


def test_the_language_is_chosen_on_your_account(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(therapist)
    page = client.get(MY_ACCOUNT).content.decode()
    assert 'name="language"' in page
    assert '<option value="es">' in page

    response = client.post(MY_ACCOUNT, {"language": "es"})
    assert response.status_code == 302
    assert response["Location"] == MY_ACCOUNT
    therapist.refresh_from_db()
    assert therapist.language == "es"
    assert _lang(client.get(MY_ACCOUNT)) == "es"


def test_a_language_not_offered_is_refused_and_nothing_changes(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    response = client_for(therapist).post(MY_ACCOUNT, {"language": "fr"})
    assert response.status_code == 400
    assert "fr is not one of the available choices" in response.content.decode()
    therapist.refresh_from_db()
    assert therapist.language == "en"


def test_a_stored_language_no_longer_offered_leaves_the_browsers(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    User.objects.filter(pk=therapist.pk).update(language="fr")
    client = client_for(therapist)
    assert _lang(client.get(MY_ACCOUNT)) == "en"
    assert _lang(client.get(MY_ACCOUNT, headers={"accept-language": "es"})) == "es"


def test_the_language_costs_no_query(
    therapist: User, client_for: Callable[[User | None], Client]
) -> None:
    client = client_for(therapist)
    client.get(MY_ACCOUNT)  # the clinic settings cache warmed
    with CaptureQueriesContext(connection) as english:
        client.get(MY_ACCOUNT)
    User.objects.filter(pk=therapist.pk).update(language="es")
    with CaptureQueriesContext(connection) as spanish:
        assert _lang(client.get(MY_ACCOUNT)) == "es"
    assert len(spanish.captured_queries) == len(english.captured_queries)


def test_dates_read_in_spanish_as_spanish_writes_them() -> None:
    moment = datetime.datetime(2026, 12, 4, 14, 30, tzinfo=datetime.UTC)
    day = datetime.date(2026, 12, 4)
    with translation.override("es"):
        # Month and weekday in lower case, as Spanish writes them (one pattern for staff and
        # clients: hrp/formats.PATTERNS["es"]).
        assert formats.date(day) == "4 de diciembre de 2026"
        assert formats.weekday_date(day) == "viernes 4 de diciembre de 2026"
        assert formats.month(day) == "diciembre de 2026"
        assert (
            formats.date_range(datetime.date(2026, 11, 1), day)
            == "1 de noviembre \u2013 4 de diciembre de 2026"
        )
        assert formats.time(moment) == formats.iso_time(moment)
    with translation.override("en"):
        assert formats.date(day) == "4 Dec 2026"


def test_the_set_password_email_is_in_the_recipients_language(
    clinic_admin: User, therapist: User, django_capture_on_commit_callbacks: Callable
) -> None:
    User.objects.filter(pk=therapist.pk).update(language="es")
    therapist.refresh_from_db()
    with translation.override("es"):
        spanish = translation.gettext("Set your password for %(clinic)s") % {
            "clinic": settings.CLINIC_NAME
        }
    # Sent by an English-speaking admin.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.account_send_set_password_link(actor=clinic_admin, user=therapist)
    assert [m.subject for m in mail.outbox] == [spanish]
    assert spanish != "Set your password for " + settings.CLINIC_NAME
