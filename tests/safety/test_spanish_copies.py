"""The client's printed plans in the language the client reads (Client.preferred_language):
headings, prompts, checks and dates in Spanish, the client's own words as written; a client
who reads English gets English, whatever the language of the page that printed it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation

from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from tests.htmltext import page_text, words
from tests.pdftext import pdf_text
from tests.safety.helpers import OVERDOSE, STEPS, days, overdose_version, safety_version, window

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]


def _printed(web: HttpClient, record: Client, kind: str) -> str:
    response = web.get(reverse(f"safety:{kind}_print", kwargs={"pk": record.pk, "number": 1}))
    assert response.status_code == 200
    return words(pdf_text(response.content))


def _spanish_date(day: object) -> str:
    with translation.override("es"):
        return formats.date(day)


def test_the_safety_plan_prints_in_spanish_for_a_client_who_reads_spanish(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    Client.objects.filter(pk=record.pk).update(preferred_language="es")
    version = safety_version(therapist, record)

    text = _printed(client_for(therapist), record, "safety")

    assert text.startswith(
        "Mi plan de seguridad Para los momentos difíciles. Empiezo por el paso 1"
    )
    assert "1. Señales de que empieza un momento difícil" in text
    assert "6. Hacer más seguro el lugar donde estoy" in text
    # The client's own words are never translated.
    for value in STEPS.values():
        assert value in text
    assert "988 Suicide & Crisis Lifeline: call or text 988, any time" in text
    assert (
        f"Lo escribimos juntos el {_spanish_date(version.created_at)} (versión 1). Lo volveremos "
        f"a mirar el {_spanish_date(version.review_date)}. En caso de emergencia, llamar al 911."
    ) in text
    assert " de 20" in _spanish_date(version.review_date)
    assert "Signs that a hard time is starting" not in text


def test_the_overdose_plan_prints_in_spanish(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    Client.objects.filter(pk=record.pk).update(preferred_language="es")
    overdose_version(therapist, record)
    window(therapist, record, start=-3, end=24)

    text = _printed(client_for(therapist), record, "overdose")

    assert text.startswith(
        "Mi plan de prevención de sobredosis Formas de cuidarme y de cuidar a las personas que "
        f"me rodean cuando consumo. Mi tolerancia es más baja hasta el {_spanish_date(days(24))}"
    )
    assert "☑ Tengo naloxona" in text
    assert "☐ Uso tiras reactivas de xilacina" in text
    assert "Dónde está mi naloxona" in text
    assert OVERDOSE["naloxone_where"] in text
    assert "Si alguien no se despierta o no respira: llamar al 911" in text


def test_a_client_who_reads_english_gets_english(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    safety_version(therapist, record)

    text = _printed(client_for(therapist), record, "safety")

    assert text.startswith("My safety plan")
    assert "Mi plan" not in text


def test_the_language_is_set_on_the_clients_details(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    url = reverse("clients:edit", kwargs={"pk": record.pk})
    web = client_for(therapist)
    data = {"preferred_name": record.preferred_name, "preferred_language": "es"}

    refused = web.post(url, {**data, "preferred_language": "fr"})
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "preferred_language": ["Select a valid choice. fr is not one of the available choices."]
    }
    record.refresh_from_db()
    assert record.preferred_language == "en"

    assert web.post(url, data).status_code == 302
    record.refresh_from_db()
    assert record.preferred_language == "es"
    # A form posted without the field (a page opened before it existed) keeps the language.
    assert web.post(url, {"preferred_name": record.preferred_name}).status_code == 302
    record.refresh_from_db()
    assert record.preferred_language == "es"


def test_the_overview_says_which_language_the_client_reads(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    Client.objects.filter(pk=record.pk).update(preferred_language="es")

    response = client_for(therapist).get(reverse("clients:chart", kwargs={"pk": record.pk}))

    assert "Reads printed plans and links in Spanish" in page_text(response)
