"""A therapist gives a client their whole record and sends it to a provider, through a real
browser (issue 19.4-5): on the Record copies tab records the client's request (the deadline
shows), releases the copy (one ZIP: the PDF to read and the FHIR file), then downloads the
FHIR file for the provider named in the client's consent, which the Disclosures tab accounts
for. The tab passes axe-core at laptop and tablet widths."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clients.models import Consent
from disclosures.models import Disclosure
from records.models import RecordRequest
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.e2e.a11y import LAPTOP, TABLET, axe_violations
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.goals.factories import GoalFactory
from tests.pdftext import pdf_text


@pytest.mark.e2e
def test_therapist_releases_the_clients_record_and_sends_it_to_a_provider(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = ClientFactory(
        therapist=therapist,
        legal_name="Noor Example",
        preferred_name="Noor",
        chart_number="C-REC02",
        date_of_birth=datetime.date(1988, 7, 9),
    )
    GoalFactory(client=client, client_words="Two dry days after every weekend")
    ConsentFactory(client=client, recipient="Dr Lee, Harbor Health", scope=Consent.Scope.SUMMARY)
    today = timezone.localdate()

    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/record-copies/")
    for size in (LAPTOP, TABLET):
        page.set_viewport_size(size)
        assert axe_violations(page) == []

    # The client asked today for both formats.
    page.get_by_label("The client asked on").fill(today.isoformat())
    page.get_by_role("button", name="Record the request").click()
    due = today + datetime.timedelta(days=30)
    row = page.locator("tr.record-request")
    expect(row).to_contain_text(f"{due.day} {due:%b %Y}")
    expect(row).to_contain_text("Not yet")

    with page.expect_download() as info:
        page.get_by_role("button", name="Release the copy").click()
    archive = zipfile.ZipFile(io.BytesIO(info.value.path().read_bytes()))
    assert archive.namelist() == ["record.pdf", "record.fhir.json"]
    text = " ".join(pdf_text(archive.read("record.pdf")).split())
    assert "Dear Noor," in text
    assert "Two dry days after every weekend" in text
    own = json.loads(archive.read("record.fhir.json"))
    assert own["entry"][0]["resource"]["title"] == (
        "Health record of Noor Example, the client's own copy"
    )
    assert RecordRequest.objects.get().released_on == today

    page.goto(f"/clients/{client.pk}/record-copies/")
    expect(page.locator("tr.record-request")).to_contain_text(f"by {therapist.full_name}")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the FHIR file and record the disclosure").click()
    assert info.value.suggested_filename == f"record-C-REC02-{today:%Y%m%d}.json"
    bundle = json.loads(info.value.path().read_bytes())
    assert bundle["type"] == "document"
    goals = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal"]
    assert [g["description"]["text"] for g in goals] == ["Two dry days after every weekend"]
    assert Disclosure.objects.get().recipient == "Dr Lee, Harbor Health"

    page.goto(f"/clients/{client.pk}/disclosures/")
    expect(page.locator("table.disclosures tbody tr")).to_contain_text("Health record (FHIR)")
