"""The Billing section, the diagnosis page, the coding pages and the export, per role: the
treating clinician writes and exports; the supervisor reads the section; everyone else 404;
refusals say why and store nothing; constant query counts."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.models import ClinicServiceCode, Diagnosis, DiagnosisChange, Encounter, Fee
from clients.models import Client
from disclosures.models import Disclosure
from groups import services as group_services
from groups.models import Attendance
from hrp.accounts.models import User
from tests.billing.factories import PayerConsentFactory, fee_schedule
from tests.clients.factories import ClientFactory
from tests.groups.factories import add_member, first_meeting, make_group
from tests.htmltext import page_text
from tests.sessions.factories import (
    AttendedAppointmentFactory,
    OutsideContactFactory,
    SessionNoteFactory,
    at,
    days_from_today,
    sign_contact,
    sign_note,
)

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]

# role: (section GET, add diagnosis POST, diagnosis page GET, diagnosis POST, coding page GET,
# coding POST, contact coding GET, export POST)
ROLE_STATUS = {
    "therapist": (200, 302, 200, 302, 200, 302, 200, 200),
    "other_therapist": (404, 404, 404, 404, 404, 404, 404, 404),
    "supervisor": (200, 403, 403, 403, 403, 403, 403, 403),
    "other_supervisor": (404, 404, 404, 404, 404, 404, 404, 404),
    "clinic_admin": (404, 404, 404, 404, 404, 404, 404, 404),
}


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(
        therapist=therapist,
        preferred_name="Robin",
        legal_name="Robin Q. Public",
        date_of_birth=datetime.date(1990, 4, 2),
    )


def _session(record: Client, minutes: int = 45, days: int = -2) -> object:
    start = at(days_from_today(days), "10:00")
    return AttendedAppointmentFactory(
        client=record, starts_at=start, ends_at=start + datetime.timedelta(minutes=minutes)
    )


def _urls(record: Client) -> dict[str, str]:
    diagnosis = services.diagnosis_add(
        actor=record.therapist, client=record, code="F10.10", onset_on=days_from_today(-100)
    )
    appointment = _session(record)
    contact = sign_contact(OutsideContactFactory(client=record, duration_minutes=20))
    return {
        "section": reverse("billing:section", args=[record.pk]),
        "add": reverse("billing:diagnosis_add", args=[record.pk]),
        "diagnosis": reverse("billing:diagnosis_change", args=[record.pk, diagnosis.pk]),
        "session": reverse("billing:encounter_session", args=[record.pk, appointment.pk]),
        "contact": reverse("billing:encounter_contact", args=[record.pk, contact.pk]),
        "export": reverse("billing:export", args=[record.pk]),
    }


def _export_post(record: Client, what: str = "superbill") -> dict[str, object]:
    return {
        "what": what,
        "consent": PayerConsentFactory(client=record).pk,
        "start": days_from_today(-7).isoformat(),
        "end": timezone.localdate().isoformat(),
    }


CODING = {"code": "90834", "minutes": "45", "place_of_service": "11", "diagnosis_codes": "F10.10"}


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_per_role(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    urls = _urls(record)
    fee_schedule(days_from_today(-30))
    export = _export_post(record)
    web = client_for(request.getfixturevalue(role))

    statuses = (
        web.get(urls["section"]).status_code,
        web.post(urls["add"], {"code": "F41.1"}).status_code,
        web.get(urls["diagnosis"]).status_code,
        web.post(
            urls["diagnosis"], {"status": "resolved", "resolved_on": timezone.localdate()}
        ).status_code,
        web.get(urls["session"]).status_code,
        web.post(urls["session"], CODING).status_code,
        web.get(urls["contact"]).status_code,
        web.post(urls["export"], export).status_code,
    )

    assert statuses == ROLE_STATUS[role]
    written = role == "therapist"
    assert Diagnosis.objects.count() == (2 if written else 1)
    assert DiagnosisChange.objects.count() == (3 if written else 1)
    assert Encounter.objects.count() == (1 if written else 0)
    assert Disclosure.objects.count() == (1 if written else 0)


def test_anonymous_is_sent_to_sign_in(client_for: ClientFor, record: Client) -> None:
    urls = _urls(record)
    web = client_for(None)
    for name in ("section", "diagnosis", "session", "contact"):
        response = web.get(urls[name])
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('accounts:login')}?next={urls[name]}",
        )
    for name in ("add", "export"):
        assert web.post(urls[name], {}).status_code == 302
    assert (Diagnosis.objects.count(), Disclosure.objects.count()) == (1, 0)


def test_the_export_downloads_the_pdf(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    urls = _urls(record)
    fee_schedule(days_from_today(-30))
    web = client_for(therapist)
    assert web.post(urls["session"], CODING).status_code == 302

    response = web.post(urls["export"], _export_post(record))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    period = f"{days_from_today(-7):%Y%m%d}-{timezone.localdate():%Y%m%d}"
    assert response["Content-Disposition"] == (
        f'attachment; filename="superbill-{record.chart_number}-{period}.pdf"'
    )
    assert Disclosure.objects.get().what == "superbill"


def test_the_csv_download(client_for: ClientFor, therapist: User, record: Client) -> None:
    urls = _urls(record)
    fee_schedule(days_from_today(-30))
    web = client_for(therapist)
    web.post(urls["session"], CODING)
    response = web.post(urls["export"], _export_post(record, "billing_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().splitlines()[0] == ",".join(services.CSV_HEADER)
    assert Disclosure.objects.get().what == "billing_csv"
    # The Disclosures tab names the export and its period, without attendance counts.
    tab = page_text(web.get(reverse("disclosures:chart", args=[record.pk])))
    assert "Encounters for billing software, " in tab
    assert "scheduled" not in tab


def test_an_export_without_a_consent_says_why(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    urls = _urls(record)
    response = client_for(therapist).post(
        urls["export"], {"what": "superbill", "start": "2026-01-01", "end": "2026-01-31"}
    )
    assert response.status_code == 400
    assert "choose the client's consent to disclose to the payer" in page_text(response)
    assert Disclosure.objects.count() == 0


@pytest.mark.parametrize("minutes", ["abc", "٤٥", "-5", "0", "99999999999999999999999"])
def test_bad_minutes_never_500(
    client_for: ClientFor, therapist: User, record: Client, minutes: str
) -> None:
    urls = _urls(record)
    response = client_for(therapist).post(urls["session"], {**CODING, "minutes": minutes})
    assert response.status_code == 400
    assert Encounter.objects.count() == 0


@pytest.mark.parametrize("day", ["99999-01-01", "1899-12-31", "2999-01-01", "２０２６-01-01"])
def test_bad_dates_never_500(
    client_for: ClientFor, therapist: User, record: Client, day: str
) -> None:
    urls = _urls(record)
    web = client_for(therapist)
    changed = web.post(urls["diagnosis"], {"status": "resolved", "resolved_on": day})
    added = web.post(urls["add"], {"code": "F41.1", "onset_on": day})
    exported = web.post(urls["export"], {**_export_post(record), "start": day})
    assert (changed.status_code, added.status_code, exported.status_code) == (400, 400, 400)
    assert (Diagnosis.objects.count(), DiagnosisChange.objects.count()) == (1, 1)
    assert Disclosure.objects.count() == 0


def test_a_wrong_length_keeps_what_was_typed(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    urls = _urls(record)
    response = client_for(therapist).post(urls["session"], {**CODING, "minutes": "60"})
    assert response.status_code == 400
    text = page_text(response)
    assert "90834 covers 38 to 52 minutes; this encounter lasted 60 minutes." in text
    assert 'value="60"' in response.content.decode()
    assert Encounter.objects.count() == 0


def test_a_signed_notes_coding_page_answers_409(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    urls = _urls(record)
    web = client_for(therapist)
    web.post(urls["session"], CODING)
    appointment = Encounter.objects.get().appointment
    sign_note(SessionNoteFactory(appointment=appointment))

    response = web.post(urls["session"], {**CODING, "code": "H0004"})

    assert response.status_code == 409
    assert "its billing codes are locked with it" in page_text(response)
    assert Encounter.objects.get().code == "90834"


def _grow(record: Client, n: int) -> None:
    codes_ = ["F10.10", "F41.1", "Z59.01", "F11.20", "F12.10", "F43.10"]
    for i in range(n):
        if i:
            services.diagnosis_add(actor=record.therapist, client=record, code=codes_[i])
        appointment = _session(record, days=-(i + 2))
        services.encounter_code(
            actor=record.therapist,
            client=record,
            appointment=appointment,
            code="90834",
            minutes=45,
            place_of_service="11",
            diagnosis_codes=["F10.10"],
        )
        sign_contact(OutsideContactFactory(client=record))
        # A group meeting the client attended, coded (a group of its own each time).
        group = make_group(record.therapist, name=f"Group {i}")
        membership = add_member(group, record.therapist, record)
        meeting = first_meeting(group)
        group_services.attendance_record(
            actor=record.therapist, meeting=meeting, statuses={membership.pk: "attended"}
        )
        services.encounter_code(
            actor=record.therapist,
            client=record,
            attendance=Attendance.objects.get(meeting=meeting),
            code="90853",
            minutes=90,
            place_of_service="11",
            diagnosis_codes=["F10.10"],
        )


# The chart shell as every section (session, user, two-factor device, client with header data
# and flags, the access event), then diagnoses with their changes, sessions, contacts, group
# meetings and the consents offered for an export: the same count at one row and at five.
SECTION_QUERIES = 14


@pytest.mark.parametrize("rows", [1, 5])
def test_section_queries_do_not_grow(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    rows: int,
    django_assert_num_queries: object,
) -> None:
    services.diagnosis_add(actor=therapist, client=record, code="F10.10")
    _grow(record, rows)
    web = client_for(therapist)
    web.get(reverse("billing:section", args=[record.pk]))
    with django_assert_num_queries(SECTION_QUERIES):  # type: ignore[operator]
        response = web.get(reverse("billing:section", args=[record.pk]))
    assert response.status_code == 200
    assert len(response.context["sessions"]) == rows
    assert len(response.context["group_meetings"]) == rows


# --- The fee schedule (clinic admins) --------------------------------------------------------

FEES_STATUS = {
    "therapist": (404, 404),
    "other_therapist": (404, 404),
    "supervisor": (404, 404),
    "other_supervisor": (404, 404),
    "clinic_admin": (200, 302),
}


@pytest.mark.parametrize("role", list(FEES_STATUS))
def test_fee_schedule_per_role(
    request: pytest.FixtureRequest, client_for: ClientFor, role: str
) -> None:
    web = client_for(request.getfixturevalue(role))
    url = reverse("billing:fees")
    statuses = (
        web.get(url).status_code,
        web.post(
            url,
            {
                "form": "fee",
                "fee-code": "90834",
                "fee-amount": "150.00",
                "fee-effective_on": "2026-01-01",
            },
        ).status_code,
    )
    assert statuses == FEES_STATUS[role]
    assert list(Fee.objects.values_list("code", "amount")) == (
        [("90834", Decimal("150.00"))] if role == "clinic_admin" else []
    )


def test_fee_schedule_anonymous(client_for: ClientFor) -> None:
    url = reverse("billing:fees")
    response = client_for(None).get(url)
    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('accounts:login')}?next={url}",
    )


def test_a_clinic_code_is_offered_with_its_rule(
    client_for: ClientFor, clinic_admin: User, therapist: User, record: Client
) -> None:
    web = client_for(clinic_admin)
    response = web.post(
        reverse("billing:fees"),
        {
            "form": "code",
            "new_code-code": "t1006",
            "new_code-description": "Family counseling (clinic code)",
            "new_code-rule": "per_unit",
            "new_code-unit_minutes": "30",
        },
    )
    assert response.status_code == 302
    urls = _urls(record)
    # 46 minutes in 30-minute units: one unit, and 16 minutes past the midpoint (15) a second.
    response = client_for(therapist).post(
        urls["session"], {**CODING, "code": "T1006", "minutes": "46"}
    )
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert (encounter.code, encounter.code_system, encounter.units) == ("T1006", "Clinic", 2)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"new_code-code": "90834"}, "This code is already offered."),
        ({"new_code-rule": "per_unit", "new_code-unit_minutes": ""}, "Enter the minutes per unit"),
        ({"new_code-unit_minutes": "٣٠"}, "Enter a whole number"),
    ],
)
def test_a_refused_clinic_code_says_why(
    client_for: ClientFor, clinic_admin: User, data: dict[str, str], field: str
) -> None:
    post = {
        "form": "code",
        "new_code-code": "T1006",
        "new_code-description": "Family counseling",
        "new_code-rule": "per_unit",
        "new_code-unit_minutes": "30",
        **data,
    }
    response = client_for(clinic_admin).post(reverse("billing:fees"), post)
    assert response.status_code == 400
    assert field in page_text(response)
    assert ClinicServiceCode.objects.count() == 0


# Session, user, two-factor device, the clinic codes on offer, the fees, the clinic codes listed.
FEES_QUERIES = 6


@pytest.mark.parametrize("rows", [1, 6])
def test_fee_schedule_queries(
    client_for: ClientFor, clinic_admin: User, rows: int, django_assert_num_queries: object
) -> None:
    for i in range(rows):
        Fee.objects.create(
            code="90834", amount=Decimal("100"), effective_on=datetime.date(2020 + i, 1, 1)
        )
        ClinicServiceCode.objects.create(code=f"X{i}", description="x", rule="session")
    web = client_for(clinic_admin)
    web.get(reverse("billing:fees"))
    with django_assert_num_queries(FEES_QUERIES):  # type: ignore[operator]
        response = web.get(reverse("billing:fees"))
    assert len(response.context["fees"]) == rows


# Session, user, two-factor device, the client (access answer), the diagnosis, its changes with
# who made them.
DIAGNOSIS_QUERIES = 6


@pytest.mark.parametrize("changes", [0, 4])
def test_diagnosis_page_queries(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    changes: int,
    django_assert_num_queries: object,
) -> None:
    diagnosis = services.diagnosis_add(actor=therapist, client=record, code="F41.1")
    for i in range(changes):
        services.diagnosis_change(
            actor=therapist,
            client=record,
            diagnosis=diagnosis,
            status="resolved" if i % 2 == 0 else "active",
            onset_on=None,
            resolved_on=days_from_today(-1),
        )
    web = client_for(therapist)
    url = reverse("billing:diagnosis_change", args=[record.pk, diagnosis.pk])
    web.get(url)
    with django_assert_num_queries(DIAGNOSIS_QUERIES):  # type: ignore[operator]
        response = web.get(url)
    assert len(response.context["diagnosis"].changes.all()) == changes + 1


# Session, user, two-factor device, the client (access answer), the session with its note and
# coding, the clinic's codes, the diagnoses in force.
CODING_QUERIES = 7


@pytest.mark.parametrize("diagnoses", [1, 5])
def test_coding_page_queries(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    diagnoses: int,
    django_assert_num_queries: object,
) -> None:
    for code in ["F10.10", "F41.1", "Z59.01", "F11.20", "F43.10"][:diagnoses]:
        services.diagnosis_add(actor=therapist, client=record, code=code)
    appointment = _session(record)
    web = client_for(therapist)
    url = reverse("billing:encounter_session", args=[record.pk, appointment.pk])
    web.get(url)
    with django_assert_num_queries(CODING_QUERIES):  # type: ignore[operator]
        response = web.get(url)
    assert len(response.context["form"].fields["diagnosis_codes"].choices) == diagnoses
