"""The problem list's history, coding an encounter (units, diagnoses, supervisor), the lock with
the signed note (service and trigger), and exports: totals, CSV, disclosures, refusals."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import Error, connection, transaction
from django.utils import timezone
from pypdf import PdfReader

from billing import services
from billing.models import Diagnosis, DiagnosisChange, Encounter
from clients.models import Client, Consent
from disclosures.models import Disclosure
from disclosures.report import REDISCLOSURE_NOTICE
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from sessions.models import Appointment, Modality
from tests.billing.factories import PAYER, PayerConsentFactory, fee_schedule
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.factories import SupervisionFactory, SupervisorFactory, TherapistFactory
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


@pytest.fixture
def record(therapist: User) -> Client:
    therapist.npi = "1234567893"
    therapist.licence = "LCSW 012345 (NY)"
    therapist.save(update_fields=["npi", "licence"])
    return ClientFactory(
        therapist=therapist,
        preferred_name="Robin",
        legal_name="Robin Q. Public",
        date_of_birth=datetime.date(1990, 4, 2),
    )


def _add(therapist: User, record: Client, code: str = "F10.10") -> Diagnosis:
    return services.diagnosis_add(
        actor=therapist, client=record, code=code, onset_on=days_from_today(-100)
    )


def _session(record: Client, minutes: int = 50, days: int = -2) -> Appointment:
    start = at(days_from_today(days), "10:00")
    return AttendedAppointmentFactory(
        client=record, starts_at=start, ends_at=start + datetime.timedelta(minutes=minutes)
    )


def _code(
    therapist: User, record: Client, appointment: Appointment, **changes: object
) -> Encounter:
    values: dict[str, object] = {
        "code": "90834",
        "minutes": appointment.duration_minutes,
        "place_of_service": "11",
        "diagnosis_codes": ["F10.10"],
        **changes,
    }
    return services.encounter_code(
        actor=therapist, client=record, appointment=appointment, **values
    )


# --- Problem list ----------------------------------------------------------------------------


def test_a_diagnosis_keeps_every_change(therapist: User, record: Client) -> None:
    diagnosis = _add(therapist, record)
    services.diagnosis_change(
        actor=therapist,
        client=record,
        diagnosis=diagnosis,
        status=Diagnosis.Status.RESOLVED,
        onset_on=diagnosis.onset_on,
        resolved_on=days_from_today(-1),
        reason="Met criteria for remission.",
    )
    services.diagnosis_change(
        actor=therapist,
        client=record,
        diagnosis=diagnosis,
        status=Diagnosis.Status.ENTERED_IN_ERROR,
        onset_on=diagnosis.onset_on,
        resolved_on=days_from_today(-1),
    )

    steps = list(
        DiagnosisChange.objects.filter(diagnosis=diagnosis).values_list("status", "resolved_on")
    )
    assert steps == [
        ("active", None),
        ("resolved", days_from_today(-1)),
        ("entered_in_error", days_from_today(-1)),
    ]
    assert Diagnosis.objects.get(pk=diagnosis.pk).status == "entered_in_error"
    with pytest.raises(Exception, match="never"):
        DiagnosisChange.objects.filter(diagnosis=diagnosis).delete()


def test_the_same_code_twice_is_refused(therapist: User, record: Client) -> None:
    _add(therapist, record)
    with pytest.raises(ValidationError) as refused:
        _add(therapist, record)
    assert refused.value.message_dict == {
        "code": ["This diagnosis is already on the problem list."]
    }
    assert Diagnosis.objects.count() == 1


@pytest.mark.parametrize(
    ("onset", "resolved", "field"),
    [
        (datetime.date(1899, 12, 31), None, "onset_on"),
        (None, datetime.date(2999, 1, 1), "resolved_on"),
        (datetime.date(2024, 5, 2), datetime.date(2024, 5, 1), "resolved_on"),
    ],
)
def test_bad_dates_are_refused_and_nothing_changes(
    therapist: User,
    record: Client,
    onset: datetime.date | None,
    resolved: datetime.date | None,
    field: str,
) -> None:
    diagnosis = _add(therapist, record)
    with pytest.raises(ValidationError) as refused:
        services.diagnosis_change(
            actor=therapist,
            client=record,
            diagnosis=diagnosis,
            status=Diagnosis.Status.RESOLVED,
            onset_on=onset,
            resolved_on=resolved or datetime.date(2024, 6, 1),
        )
    assert list(refused.value.message_dict) == [field]
    assert DiagnosisChange.objects.count() == 1
    assert Diagnosis.objects.get(pk=diagnosis.pk).status == "active"


def test_a_code_we_do_not_ship_is_refused(therapist: User, record: Client) -> None:
    with pytest.raises(ValidationError):
        services.diagnosis_add(actor=therapist, client=record, code="F99.99")
    assert Diagnosis.objects.count() == 0


def test_only_the_treating_clinician_writes(
    therapist: User, other_therapist: User, supervisor: User, record: Client
) -> None:
    for actor in (other_therapist, supervisor):
        with pytest.raises(PermissionDenied):
            _add(actor, record)
    assert Diagnosis.objects.count() == 0


# --- Coding encounters -----------------------------------------------------------------------


def test_coding_a_session(therapist: User, record: Client) -> None:
    _add(therapist, record)
    appointment = _session(record, minutes=45)

    encounter = _code(therapist, record, appointment)

    assert (
        encounter.code,
        encounter.code_system,
        encounter.units,
        encounter.addon_code,
        encounter.service_date,
        encounter.rendering,
        encounter.supervising,
        encounter.diagnosis_codes,
        encounter.status,
        encounter.code_system_uri,
    ) == (
        "90834",
        "CPT",
        1,
        "",
        days_from_today(-2),
        therapist,
        None,
        ["F10.10"],
        "finished",
        "http://www.ama-assn.org/go/cpt",
    )
    assert encounter.ended_at - encounter.started_at == datetime.timedelta(minutes=45)
    assert AuditEvent.objects.filter(action="encounter.code").count() == 1


def test_a_crisis_session_adds_the_add_on_code(therapist: User, record: Client) -> None:
    _add(therapist, record)
    encounter = _code(therapist, record, _session(record, minutes=110), code="90839")
    assert (encounter.units, encounter.addon_code, encounter.addon_units) == (1, "90840", 2)


def test_a_code_for_another_length_is_refused(therapist: User, record: Client) -> None:
    _add(therapist, record)
    with pytest.raises(ValidationError) as refused:
        _code(therapist, record, _session(record, minutes=60))
    assert list(refused.value.message_dict) == ["minutes"]
    assert Encounter.objects.count() == 0


def test_a_diagnosis_not_in_force_is_refused(therapist: User, record: Client) -> None:
    services.diagnosis_add(
        actor=therapist, client=record, code="F41.1", onset_on=days_from_today(-1)
    )
    with pytest.raises(ValidationError) as refused:
        _code(therapist, record, _session(record), diagnosis_codes=["F41.1"])
    assert list(refused.value.message_dict) == ["diagnosis_codes"]
    assert Encounter.objects.count() == 0


def test_a_trainees_session_names_the_supervisor(supervisor: User) -> None:
    trainee = TherapistFactory(requires_cosign=True)
    SupervisionFactory(supervisor=supervisor, supervisee=trainee)
    client = ClientFactory(therapist=trainee)
    _add(trainee, client)
    encounter = _code(trainee, client, _session(client))
    assert (encounter.rendering, encounter.supervising) == (trainee, supervisor)


def test_a_trainee_without_supervisor_is_told(record: Client) -> None:
    trainee = TherapistFactory(requires_cosign=True, full_name="Tia Trainee")
    client = ClientFactory(therapist=trainee)
    _add(trainee, client)
    with pytest.raises(ValidationError, match="Tia Trainee is a trainee"):
        _code(trainee, client, _session(client))
    assert Encounter.objects.count() == 0


def test_video_defaults_to_telehealth_in_the_home() -> None:
    assert services.default_place_of_service(Modality.VIDEO) == "10"
    assert services.default_place_of_service(Modality.IN_PERSON) == "11"
    assert services.default_place_of_service("outreach") == "27"


# --- Locked with the signed note -------------------------------------------------------------


def _row(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM billing_encounter WHERE id = %s", [pk])
        return cursor.fetchone()


def test_a_signed_note_locks_its_encounter(therapist: User, record: Client) -> None:
    _add(therapist, record)
    appointment = _session(record)
    encounter = _code(therapist, record, appointment)
    sign_note(SessionNoteFactory(appointment=appointment))
    before = _row(encounter.pk)

    with pytest.raises(ValidationError) as refused:
        _code(therapist, record, appointment, code="90834", minutes=40)
    assert refused.value.messages == [
        "The note for this encounter is signed, so its billing codes are locked with it (as the "
        "note is). If the note is returned for changes, the codes open again."
    ]
    with pytest.raises(Error), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(units=9)
    with pytest.raises(Error), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).delete()
    assert _row(encounter.pk) == before


def test_a_draft_notes_encounter_may_be_recoded(therapist: User, record: Client) -> None:
    _add(therapist, record)
    appointment = _session(record, minutes=40)
    SessionNoteFactory(appointment=appointment)
    _code(therapist, record, appointment, code="90834")
    encounter = _code(therapist, record, appointment, code="H0004")
    assert (encounter.code, encounter.units, Encounter.objects.count()) == ("H0004", 3, 1)


def test_a_session_signed_before_coding_is_coded_once(therapist: User, record: Client) -> None:
    # Notes signed before billing existed can still be coded; the coding then locks.
    _add(therapist, record)
    appointment = _session(record)
    sign_note(SessionNoteFactory(appointment=appointment))
    _code(therapist, record, appointment)
    with pytest.raises(ValidationError):
        _code(therapist, record, appointment)
    assert Encounter.objects.get().code == "90834"


def test_a_signed_contact_is_coded_and_locked(therapist: User, record: Client) -> None:
    _add(therapist, record)
    contact = sign_contact(OutsideContactFactory(client=record, duration_minutes=20))
    encounter = services.encounter_code(
        actor=therapist,
        client=record,
        contact=contact,
        code="H0004",
        minutes=20,
        place_of_service="10",
        diagnosis_codes=["F10.10"],
    )
    assert (encounter.units, encounter.service_date) == (1, days_from_today(-1))
    with pytest.raises(Error), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(units=2)


def test_a_draft_contact_is_not_coded(therapist: User, record: Client) -> None:
    _add(therapist, record)
    with pytest.raises(ValidationError, match="Sign the contact"):
        services.encounter_code(
            actor=therapist,
            client=record,
            contact=OutsideContactFactory(client=record),
            code="H0004",
            minutes=20,
            place_of_service="10",
            diagnosis_codes=["F10.10"],
        )
    assert Encounter.objects.count() == 0


# --- Exports ---------------------------------------------------------------------------------


@pytest.fixture
def coded(therapist: User, record: Client) -> Client:
    """Two coded sessions in the period: 45 minutes (90834) and a 110-minute crisis (90839 and
    two 90840), addressing two diagnoses."""
    fee_schedule(days_from_today(-30))
    _add(therapist, record)
    _add(therapist, record, "Z59.01")
    _code(therapist, record, _session(record, minutes=45, days=-3))
    _code(
        therapist,
        record,
        _session(record, minutes=110, days=-2),
        code="90839",
        diagnosis_codes=["Z59.01", "F10.10"],
    )
    return record


def _export(therapist: User, record: Client, consent: Consent | None, what: str) -> tuple:
    return services.billing_export(
        actor=therapist,
        client=record,
        consent=consent,
        start=days_from_today(-7),
        end=timezone.localdate(),
        what=what,
    )


def test_the_superbills_totals(coded: Client) -> None:
    bill = services.superbill_build(
        client=coded, start=days_from_today(-7), end=timezone.localdate()
    )
    assert [
        (line.code, line.units, line.fee, line.charge, line.pointers) for line in bill.lines
    ] == [
        ("90834", 1, Decimal("150.00"), Decimal("150.00"), "A"),
        ("90839", 1, Decimal("200.00"), Decimal("200.00"), "BA"),
        ("90840", 2, Decimal("95.50"), Decimal("191.00"), "BA"),
    ]
    assert (bill.total, bill.total_units) == (Decimal("541.00"), 4)
    assert [(letter, d.code) for letter, d in bill.diagnoses] == [("A", "F10.10"), ("B", "Z59.01")]


def test_the_superbill_pdf_is_a_recorded_disclosure(therapist: User, coded: Client) -> None:
    consent = PayerConsentFactory(client=coded)
    disclosure, document = _export(therapist, coded, consent, "superbill")

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
    text = " ".join(text.split())
    for expected in (
        "Robin Q. Public",
        "2 Apr 1990",
        "NPI: 1234567893",
        "LCSW 012345 (NY)",
        "F10.10 Alcohol abuse, uncomplicated",
        "541.00",
        f"Disclosed to {PAYER}",
        "42 CFR part 2",
    ):
        assert expected in text
    assert (
        disclosure.what,
        disclosure.recipient,
        disclosure.consent,
        disclosure.period_start,
        disclosure.sha256,
    ) == ("superbill", PAYER, consent, days_from_today(-7), hashlib.sha256(document).hexdigest())
    assert AuditEvent.objects.filter(action="disclosure.superbill").count() == 1


def test_the_csv_content(therapist: User, coded: Client) -> None:
    disclosure, document = _export(
        therapist, coded, PayerConsentFactory(client=coded), "billing_csv"
    )

    rows = list(csv.reader(io.StringIO(document.decode())))
    chart = coded.chart_number
    day1, day2 = days_from_today(-3).isoformat(), days_from_today(-2).isoformat()
    common = [chart, "Robin Q. Public", "1990-04-02"]
    tail = ["Tess Therapist", "1234567893", "", ""]
    assert rows == [
        services.CSV_HEADER,
        [day1, *common, "90834", "CPT", "1", "150.00", "150.00", "11", "F10.10", *tail],
        [day2, *common, "90839", "CPT", "1", "200.00", "200.00", "11", "Z59.01|F10.10", *tail],
        [day2, *common, "90840", "CPT", "2", "95.50", "191.00", "11", "Z59.01|F10.10", *tail],
        [f"# {REDISCLOSURE_NOTICE}"],
    ]
    assert (disclosure.what, disclosure.sha256) == (
        "billing_csv",
        hashlib.sha256(document).hexdigest(),
    )
    assert AuditEvent.objects.filter(action="disclosure.billing_csv").count() == 1


@pytest.mark.parametrize("what", ["superbill", "billing_csv"])
def test_every_export_is_a_disclosure(therapist: User, coded: Client, what: str) -> None:
    consent = PayerConsentFactory(client=coded)
    _export(therapist, coded, consent, what)
    _export(therapist, coded, consent, what)
    assert list(Disclosure.objects.values_list("what", flat=True)) == [what, what]


def _refused(therapist: User, record: Client, consent: Consent | None) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        _export(therapist, record, consent, "superbill")
    assert Disclosure.objects.count() == 0
    return refused.value.messages


def test_no_consent_no_export(therapist: User, coded: Client) -> None:
    assert _refused(therapist, coded, None)[0].startswith("A billing export leaves the clinic")


def test_a_revoked_consent_is_refused(therapist: User, coded: Client) -> None:
    consent = PayerConsentFactory(client=coded, revoked_on=days_from_today(-1))
    assert _refused(therapist, coded, consent)[0].startswith("This consent was revoked")


def test_an_attendance_only_consent_is_refused(therapist: User, coded: Client) -> None:
    consent = ConsentFactory(client=coded, scope=Consent.Scope.ATTENDANCE)
    assert "billing information needs" in _refused(therapist, coded, consent)[0]


def test_no_date_of_birth_no_export(therapist: User, coded: Client) -> None:
    Client.objects.filter(pk=coded.pk).update(date_of_birth=None)
    coded.refresh_from_db()
    assert _refused(therapist, coded, PayerConsentFactory(client=coded)) == [
        "This record has no date of birth: a claim or superbill must name the insured "
        "person. Add it on “Edit details” when the client chooses to share it; nothing else "
        "needs it."
    ]


def test_a_client_known_only_by_a_chosen_name_is_not_billed(therapist: User, coded: Client) -> None:
    Client.objects.filter(pk=coded.pk).update(legal_name="", date_of_birth=None)
    coded.refresh_from_db()
    assert _refused(therapist, coded, PayerConsentFactory(client=coded)) == [
        "This record has no legal name or date of birth: a claim or superbill must name the "
        "insured person. Add it on “Edit details” when the client chooses to share it; nothing "
        "else needs it."
    ]


def test_a_missing_fee_is_named(therapist: User, record: Client) -> None:
    _add(therapist, record)
    _code(therapist, record, _session(record, minutes=45))
    assert _refused(therapist, record, PayerConsentFactory(client=record)) == [
        f"The fee schedule has no fee for 90834 ({services._date(days_from_today(-2))}): a "
        "clinic admin adds it in the fee schedule first."
    ]


def test_the_supervisor_may_not_export(supervisor: User, coded: Client) -> None:
    with pytest.raises(PermissionDenied):
        _export(supervisor, coded, PayerConsentFactory(client=coded), "superbill")
    assert Disclosure.objects.count() == 0


def test_a_trainees_csv_row_names_the_supervisor_npi() -> None:
    sup = SupervisorFactory(full_name="Sam Sup", npi="1245319599")
    trainee = TherapistFactory(requires_cosign=True, full_name="Tia Trainee")
    SupervisionFactory(supervisor=sup, supervisee=trainee)
    client = ClientFactory(therapist=trainee, date_of_birth=datetime.date(1980, 1, 1))
    fee_schedule(days_from_today(-30))
    _add(trainee, client)
    _code(trainee, client, _session(client, minutes=45))
    _disclosure, document = _export(
        trainee, client, PayerConsentFactory(client=client), "billing_csv"
    )
    row = list(csv.reader(io.StringIO(document.decode())))[1]
    assert row[-4:] == ["Tia Trainee", "", "Sam Sup", "1245319599"]


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(
    therapist: User, coded: Client
) -> None:
    Client.objects.filter(pk=coded.pk).update(legal_name='=HYPERLINK("http://x","y")')
    coded.refresh_from_db()
    _disclosure, document = _export(
        therapist, coded, PayerConsentFactory(client=coded), "billing_csv"
    )
    rows = list(csv.reader(io.StringIO(document.decode())))
    assert {row[2] for row in rows[1:-1]} == {'\'=HYPERLINK("http://x","y")'}
