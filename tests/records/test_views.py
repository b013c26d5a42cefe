"""The Record copies tab and its actions: who may do what (every role), the FHIR export to a
consented recipient (recorded as a disclosure; refused, recording nothing, without a consent
in force or the client's identity), and the client's own copy (request, deadline, extension,
release of the PDF and the FHIR file together)."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Consent
from disclosures.models import Disclosure
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from records import services
from records.models import RecordRequest
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.goals.factories import GoalFactory
from tests.htmltext import form_values, page_text, table_rows
from tests.pdftext import pdf_text
from tests.records.helpers import validate
from tests.sessions.factories import (
    AttendedAppointmentFactory,
    SessionNoteFactory,
    at,
    days_from_today,
    sign_note,
)

ClientFor = Callable[[User | None], HttpClient]
TODAY = timezone.localdate()

ROLE_STATUS = {
    # role: (tab, export, record a request, release)
    "therapist": (200, 200, 302, 200),
    "other_therapist": (404, 404, 404, 404),
    "supervisor": (200, 403, 403, 403),
    "other_supervisor": (404, 404, 404, 404),
    "clinic_admin": (404, 404, 404, 404),
}


@pytest.fixture
def person(therapist: User) -> Client:
    return ClientFactory(
        therapist=therapist,
        legal_name="Robin Example",
        preferred_name="Robin",
        chart_number="C-REC01",
        date_of_birth=datetime.date(1990, 4, 2),
    )


@pytest.fixture
def consent(person: Client) -> Consent:
    return ConsentFactory(
        client=person, recipient="Dr Lee, Harbor Health", scope=Consent.Scope.SUMMARY
    )


def _request(person: Client, *, days_ago: int = 0, **extra: object) -> RecordRequest:
    return RecordRequest.objects.create(
        client=person,
        requested_on=TODAY - datetime.timedelta(days=days_ago),
        recorded_by=person.therapist,
        **extra,
    )


def _urls(person: Client, request_pk: int = 0) -> dict[str, str]:
    return {
        "tab": reverse("records:chart", args=[person.pk]),
        "export": reverse("records:export", args=[person.pk]),
        "request": reverse("records:request", args=[person.pk]),
        "release": reverse("records:release", args=[person.pk, request_pk]),
        "extend": reverse("records:extend", args=[person.pk, request_pk]),
    }


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_matrix(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    person: Client,
    consent: Consent,
    role: str,
) -> None:
    asked = _request(person, days_ago=3)
    web = client_for(request.getfixturevalue(role))
    urls = _urls(person, asked.pk)

    statuses = (
        web.get(urls["tab"]).status_code,
        web.post(urls["export"], {"consent": consent.pk}).status_code,
        web.post(
            urls["request"], {"requested_on": TODAY.isoformat(), "format": "both"}
        ).status_code,
        web.post(urls["release"]).status_code,
    )

    assert statuses == ROLE_STATUS[role]
    allowed = role == "therapist"
    # Nothing is written by a refused request.
    assert Disclosure.objects.count() == (1 if allowed else 0)
    assert RecordRequest.objects.count() == (2 if allowed else 1)
    asked.refresh_from_db()
    assert (asked.released_on is not None) == allowed


def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, anonymous: None, person: Client, consent: Consent
) -> None:
    asked = _request(person)
    web = client_for(anonymous)
    urls = _urls(person, asked.pk)
    login = reverse("accounts:login")

    responses = [
        web.get(urls["tab"]),
        web.post(urls["export"], {"consent": consent.pk}),
        web.post(urls["request"]),
        web.post(urls["extend"]),
        web.post(urls["release"]),
    ]

    assert [(r.status_code, r["Location"]) for r in responses] == [
        (302, f"{login}?next={urls[key]}")
        for key in ("tab", "export", "request", "extend", "release")
    ]
    assert Disclosure.objects.count() == 0


def test_a_request_of_another_client_is_404(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    other = ClientFactory(therapist=therapist)
    theirs = _request(other)

    response = client_for(therapist).post(_urls(person, theirs.pk)["release"])

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.released_on is None


def test_the_export_is_recorded_as_a_disclosure(
    client_for: ClientFor, therapist: User, person: Client, consent: Consent
) -> None:
    GoalFactory(client=person, client_words="Two dry days after every weekend")

    response = client_for(therapist).post(_urls(person)["export"], {"consent": consent.pk})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="record-C-REC01-{TODAY:%Y%m%d}.json"'
    )
    assert response["Cache-Control"] == "no-store, private"
    bundle = json.loads(response.content)
    assert validate(bundle)["Goal"] == 1
    assert bundle["entry"][0]["resource"]["title"] == (
        "Health record of Robin Example for Dr Lee, Harbor Health"
    )
    disclosure = Disclosure.objects.get()
    assert (
        disclosure.client_id,
        disclosure.consent_id,
        disclosure.recipient,
        disclosure.what,
        disclosure.period_end,
        disclosure.disclosed_by_id,
        disclosure.sha256,
    ) == (
        person.pk,
        consent.pk,
        "Dr Lee, Harbor Health",
        "fhir_record",
        TODAY,
        therapist.pk,
        hashlib.sha256(response.content).hexdigest(),
    )
    event = AuditEvent.objects.get(action="disclosure.fhir_record")
    assert event.changes == {"consent": [None, consent.pk], "sha256": [None, disclosure.sha256]}
    assert event.chart_number == "C-REC01"


NO_CONSENT = (
    "No consent in force allows the record to leave the clinic. Record the client's written "
    "consent to disclose a treatment summary (on the Consents tab) first."
)


@pytest.mark.parametrize(
    "changes",
    [
        {"revoked_on": TODAY, "revoked_by": "Robin"},
        {"expires_on": TODAY - datetime.timedelta(days=1)},
        {"scope": Consent.Scope.ATTENDANCE},
        {"scope": Consent.Scope.COUNSELING_NOTES},
    ],
    ids=["revoked", "expired", "attendance only", "counseling notes"],
)
def test_the_export_is_refused_without_a_consent_allowing_it(
    client_for: ClientFor, therapist: User, person: Client, consent: Consent, changes: dict
) -> None:
    Consent.objects.filter(pk=consent.pk).update(**changes)

    response = client_for(therapist).post(_urls(person)["export"], {"consent": consent.pk})

    assert response.status_code == 400
    assert NO_CONSENT in page_text(response)
    assert Disclosure.objects.count() == 0
    assert not AuditEvent.objects.filter(action="disclosure.fhir_record").exists()


def test_a_consent_not_offered_is_refused(
    client_for: ClientFor, therapist: User, person: Client, consent: Consent
) -> None:
    other = ConsentFactory(client=ClientFactory(therapist=therapist), scope=Consent.Scope.SUMMARY)

    response = client_for(therapist).post(_urls(person)["export"], {"consent": other.pk})

    assert response.status_code == 400
    assert "Choose a consent in force that allows a treatment summary." in page_text(response)
    assert Disclosure.objects.count() == 0


def test_the_export_needs_the_clients_identity(
    client_for: ClientFor, therapist: User, person: Client, consent: Consent
) -> None:
    Client.objects.filter(pk=person.pk).update(date_of_birth=None)

    response = client_for(therapist).post(_urls(person)["export"], {"consent": consent.pk})

    assert response.status_code == 400
    assert (
        "This record has no date of birth: a record exported to another system must identify "
        "the patient it belongs to. Add it on “Edit details” when the client chooses to share "
        "it; nothing else needs it."
    ) in page_text(response)
    assert Disclosure.objects.count() == 0


def test_recording_a_request_keeps_its_date_and_shows_the_deadline(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    web = client_for(therapist)
    asked = TODAY - datetime.timedelta(days=2)

    response = web.post(
        _urls(person)["request"], {"requested_on": asked.isoformat(), "format": "pdf"}
    )

    assert response.status_code == 302
    stored = RecordRequest.objects.get()
    assert (stored.requested_on, stored.format, stored.recorded_by_id, stored.due_on) == (
        asked,
        "pdf",
        therapist.pk,
        asked + datetime.timedelta(days=30),
    )
    due = asked + datetime.timedelta(days=30)
    rows = table_rows(web.get(_urls(person)["tab"]), "record-requests")
    assert rows == [
        [
            f"{asked.day} {asked:%b %Y} recorded by {therapist.full_name}",
            "PDF to read",
            f"{due.day} {due:%b %Y}",
            "Not yet",
            "Release the copy Extend the deadline once Why the copy needs more time (the client "
            "is told)* Extend by 30 days",
        ]
    ]


def test_a_request_sent_twice_is_recorded_once(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    web = client_for(therapist)
    data = {"requested_on": TODAY.isoformat(), "format": "both"}

    statuses = [web.post(_urls(person)["request"], data).status_code for _ in range(2)]

    assert statuses == [302, 302]
    assert RecordRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="record.request").count() == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-40", "Enter a date such as 2026-06-01."),
        (
            (TODAY + datetime.timedelta(days=1)).isoformat(),
            "This date is in the future. Enter a date up to today",
        ),
        ("", "This field is required."),
    ],
)
def test_a_bad_request_date_is_refused_and_kept(
    client_for: ClientFor, therapist: User, person: Client, value: str, message: str
) -> None:
    response = client_for(therapist).post(
        _urls(person)["request"], {"requested_on": value, "format": "both"}
    )

    assert response.status_code == 400
    assert message in page_text(response)
    # What was typed is kept.
    assert form_values(response)["requested_on"] == value
    assert RecordRequest.objects.count() == 0


def test_an_overdue_request_is_flagged(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    _request(person, days_ago=31)
    _request(person, days_ago=30)
    _request(
        person, days_ago=45, released_on=TODAY, released_at=timezone.now(), released_by=therapist
    )

    html = client_for(therapist).get(_urls(person)["tab"]).content.decode()

    assert html.count('class="badge text-bg-warning overdue"') == 1


def test_the_deadline_is_extended_once(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    asked = _request(person, days_ago=10)
    web = client_for(therapist)
    url = _urls(person, asked.pk)["extend"]

    first = web.post(url, {"reason": "Records held off site"})
    second = web.post(url, {"reason": "Again"})

    assert first.status_code == 302
    assert second.status_code == 409
    assert "The deadline was already extended once" in page_text(second)
    asked.refresh_from_db()
    assert (asked.extended_on, asked.extension_reason, asked.due_on) == (
        TODAY,
        "Records held off site",
        asked.requested_on + datetime.timedelta(days=60),
    )


def test_no_extension_after_the_first_thirty_days(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    asked = _request(person, days_ago=31)

    response = client_for(therapist).post(_urls(person, asked.pk)["extend"], {"reason": "Too late"})

    assert response.status_code == 409
    asked.refresh_from_db()
    assert asked.extended_on is None


def test_releasing_gives_the_pdf_and_the_fhir_file_once(
    client_for: ClientFor, therapist: User, person: Client, consent: Consent
) -> None:
    GoalFactory(client=person, client_words="Two dry days after every weekend")
    signed = sign_note(
        SessionNoteFactory(
            appointment=AttendedAppointmentFactory(client=person, therapist=therapist),
            plan="Try the evening routine before Friday.",
        )
    )
    SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=person, therapist=therapist, starts_at=at(days_from_today(-1), "10:00")
        ),
        plan="A draft not yet part of the record",
    )
    asked = _request(person, days_ago=5)
    web = client_for(therapist)
    url = _urls(person, asked.pk)["release"]

    response = web.post(url)
    again = web.post(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="my-record-{TODAY:%Y%m%d}.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["record.pdf", "record.fhir.json"]
    pdf = archive.read("record.pdf")
    document = archive.read("record.fhir.json")
    text = " ".join(pdf_text(pdf).split())
    assert "Dear Robin," in text
    assert "Legal name: Robin Example" in text
    assert "Two dry days after every weekend" in text
    session_day = timezone.localtime(signed.appointment.starts_at)
    assert (
        f"Notes of your sessions {formats.date(session_day)} The client's agenda for "
        "today: Talk about the weekend. Data: Described the week. Assessment: Engaged. Plan: Try "
        "the evening routine before Friday."
    ) in text
    assert "A draft not yet part of the record" not in text
    assert "Who opened your record" in text
    assert "(42 CFR part 2)" in text
    bundle = json.loads(document)
    assert validate(bundle)["Patient"] == 1
    assert bundle["entry"][0]["resource"]["title"] == (
        "Health record of Robin Example, the client's own copy"
    )
    asked.refresh_from_db()
    assert (asked.released_on, asked.released_by_id, asked.pdf_sha256, asked.json_sha256) == (
        TODAY,
        therapist.pk,
        hashlib.sha256(pdf).hexdigest(),
        hashlib.sha256(document).hexdigest(),
    )
    # A second click gives no second release.
    assert again.status_code == 409
    assert AuditEvent.objects.filter(action="record.release").count() == 1
    # The client's own copy is not a disclosure to a third party.
    assert Disclosure.objects.count() == 0


def test_a_pdf_only_request_gives_the_pdf_only(
    client_for: ClientFor, therapist: User, person: Client
) -> None:
    asked = _request(person, format=RecordRequest.Format.PDF)

    response = client_for(therapist).post(_urls(person, asked.pk)["release"])

    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == ["record.pdf"]
    asked.refresh_from_db()
    assert asked.json_sha256 == ""


# Session and user, the client with access, the audit event, the chart's flags, then the
# requests and the consents offered for export.
TAB_QUERIES = 11


@pytest.mark.parametrize("rows", [1, 9])
def test_the_tab_costs_the_same_at_one_and_many_rows(
    client_for: ClientFor,
    therapist: User,
    person: Client,
    rows: int,
    django_assert_num_queries,
) -> None:
    for n in range(rows):
        _request(person, days_ago=n)
        ConsentFactory(client=person, scope=Consent.Scope.SUMMARY)
    web = client_for(therapist)
    web.get(_urls(person)["tab"])  # warm the session

    with django_assert_num_queries(TAB_QUERIES):
        response = web.get(_urls(person)["tab"])

    assert len(response.context["requests"]) == rows


# The readable copy: the plan's own copy (plan version, goals, harm assessment, safety plan,
# overdose plan, open window), measures, signed notes, consents, disclosures, access summary.
RECORD_PDF_QUERIES = 11


@pytest.mark.parametrize("rows", [1, 6])
def test_the_readable_copy_costs_the_same_at_one_and_many_rows(
    therapist: User, person: Client, rows: int, django_assert_num_queries
) -> None:
    for n in range(rows):
        GoalFactory(client=person, client_words=f"Goal {n}")
        ConsentFactory(client=person, scope=Consent.Scope.SUMMARY)
        sign_note(
            SessionNoteFactory(
                appointment=AttendedAppointmentFactory(
                    client=person,
                    therapist=therapist,
                    starts_at=at(days_from_today(-n - 1), "10:00"),
                ),
                plan=f"Plan {n}",
            )
        )
    asked = _request(person)

    with django_assert_num_queries(RECORD_PDF_QUERIES):
        pdf = services.record_pdf(client=person, request=asked)

    text = " ".join(pdf_text(pdf).split())
    assert [f"Plan: Plan {n}" in text for n in range(rows)] == [True] * rows
