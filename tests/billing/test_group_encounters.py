"""Group psychotherapy billed per member: each member's attendance at a group meeting is an
encounter under their own chart (90853 or H0005, units by the code's rule from the real
duration, the facilitator rendering, a trainee's supervisor supervising); the signed group note
locks every member's encounter (service and trigger); the superbill, CSV and FHIR export
include it and never name another member; the meeting's coding page per role, with a constant
number of queries."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import Error, IntegrityError, connection, transaction
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing import codes, services
from billing.models import Encounter, Fee
from clients.models import Client
from groups import services as group_services
from groups.models import Attendance, Group, Meeting
from hrp.accounts.models import User
from records.fhir import build_bundle
from tests.billing.factories import PayerConsentFactory
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, TherapistFactory
from tests.groups.factories import add_member, first_meeting, make_group
from tests.sessions.factories import AttendedAppointmentFactory, at, days_from_today

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]

OTHER_LEGAL, OTHER_PREFERRED, OTHER_CHART = "Quincy Zebulon Other", "Zebby", "C-OTHER-77"


@pytest.fixture
def record(therapist: User) -> Client:
    therapist.npi = "1234567893"
    therapist.save(update_fields=["npi"])
    return ClientFactory(
        therapist=therapist,
        preferred_name="Robin",
        legal_name="Robin Q. Public",
        date_of_birth=datetime.date(1990, 4, 2),
    )


def _diagnose(client: Client, code: str = "F10.10") -> None:
    services.diagnosis_add(
        actor=client.therapist, client=client, code=code, onset_on=days_from_today(-100)
    )


def _held(lead: User, members: list[Client]) -> tuple[Meeting, list[Attendance]]:
    """A closed group led by `lead` whose first meeting (90 minutes, started an hour ago) every
    one of `members` attended."""
    group = make_group(lead)
    memberships = [add_member(group, lead, client) for client in members]
    meeting = first_meeting(group)
    group_services.attendance_record(
        actor=lead, meeting=meeting, statuses={m.pk: "attended" for m in memberships}
    )
    return meeting, list(Attendance.objects.filter(meeting=meeting).order_by("id"))


def _other_member() -> Client:
    other = ClientFactory(
        legal_name=OTHER_LEGAL, preferred_name=OTHER_PREFERRED, chart_number=OTHER_CHART
    )
    _diagnose(other, "F11.20")
    return other


def _code_attendance(actor: User, attendance: Attendance, **changes: object) -> Encounter:
    values: dict[str, object] = {
        "code": "90853",
        "minutes": 90,
        "place_of_service": "11",
        "diagnosis_codes": ["F10.10"],
        **changes,
    }
    return services.encounter_code(
        actor=actor, client=attendance.client, attendance=attendance, **values
    )


def _sign(meeting: Meeting, lead: User) -> None:
    note = group_services.group_note_start(actor=lead, meeting=meeting)
    note = group_services.group_note_save(
        actor=lead,
        note=note,
        expected_version=note.version,
        shared="We talked about spacing doses and carrying naloxone.",
        parts={},
    )
    with transaction.atomic():
        group_services.group_note_sign_verified(actor=lead, note=note)


# --- Units ------------------------------------------------------------------------------------

GROUP_CODES = codes.BUILTIN_SERVICE_CODES


@pytest.mark.parametrize("minutes", [1, 15, 16, 45, 60, 90, 479, 480])
@pytest.mark.parametrize("code", ["90853", "H0005"])
def test_group_codes_are_one_unit_per_meeting_whatever_its_length(code: str, minutes: int) -> None:
    # CPT 90853 and HCPCS H0005 are untimed: one unit per meeting, never one per 15 minutes.
    assert codes.units_for(GROUP_CODES[code], minutes) == codes.Units(1)


def test_a_meeting_of_no_minutes_is_not_billed() -> None:
    with pytest.raises(ValidationError) as refused:
        codes.units_for(GROUP_CODES["90853"], 0)
    assert refused.value.message_dict == {
        "minutes": ["Enter how many minutes the encounter lasted."]
    }


@pytest.mark.parametrize("minutes", [1, 480])
def test_a_member_is_coded_at_the_duration_boundaries(
    therapist: User, record: Client, minutes: int
) -> None:
    _diagnose(record)
    _meeting, (attendance,) = _held(therapist, [record])
    encounter = _code_attendance(therapist, attendance, minutes=minutes)
    assert (encounter.code, encounter.units, encounter.minutes) == ("90853", 1, minutes)


def test_only_group_codes_are_offered_for_a_group_meeting(therapist: User, record: Client) -> None:
    _diagnose(record)
    _meeting, (attendance,) = _held(therapist, [record])
    with pytest.raises(ValidationError) as refused:
        _code_attendance(therapist, attendance, code="90834", minutes=45)
    assert refused.value.message_dict == {
        "code": ["Choose a group service code from the list (e.g. 90853)."]
    }
    assert Encounter.objects.count() == 0
    assert sorted(services.selectors.group_service_codes()) == ["90853", "H0005"]


# --- Who renders, who codes ---------------------------------------------------------------------


def test_the_facilitator_renders_and_a_trainees_supervisor_supervises(record: Client) -> None:
    trainee = TherapistFactory(requires_cosign=True)
    supervisor = SupervisionFactory(supervisee=trainee).supervisor
    _diagnose(record)
    _meeting, (attendance,) = _held(trainee, [record])
    encounter = _code_attendance(trainee, attendance)
    assert (encounter.rendering, encounter.supervising) == (trainee, supervisor)
    assert (encounter.attendance, encounter.client, encounter.service_date) == (
        attendance,
        record,
        timezone.localdate(attendance.meeting.starts_at),
    )


def test_the_treating_clinician_codes_from_the_chart_and_others_may_not(
    therapist: User, other_therapist: User, record: Client
) -> None:
    lead = TherapistFactory()
    _diagnose(record)
    _meeting, (attendance,) = _held(lead, [record])
    with pytest.raises(PermissionDenied):
        _code_attendance(other_therapist, attendance)
    assert Encounter.objects.count() == 0
    encounter = _code_attendance(therapist, attendance)
    # Coded from the chart by the member's therapist, rendered by the group's facilitator.
    assert (encounter.coded_by, encounter.rendering) == (therapist, lead)


def test_a_member_who_did_not_attend_is_not_billed(therapist: User, record: Client) -> None:
    _diagnose(record)
    meeting, (attendance,) = _held(therapist, [record])
    group_services.attendance_record(
        actor=therapist, meeting=meeting, statuses={attendance.membership_id: "no_show"}
    )
    with pytest.raises(ValidationError) as refused:
        _code_attendance(therapist, attendance)
    assert refused.value.messages == ["Only a group meeting the member attended is billed."]


def test_one_source_only(therapist: User, record: Client) -> None:
    _diagnose(record)
    _meeting, (attendance,) = _held(therapist, [record])
    encounter = _code_attendance(therapist, attendance)
    start = at(days_from_today(-2), "10:00")
    appointment = AttendedAppointmentFactory(
        client=record, starts_at=start, ends_at=start + datetime.timedelta(minutes=45)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(appointment=appointment)


# --- The whole meeting at once ------------------------------------------------------------------


def test_the_meeting_codes_every_attending_member_with_overrides(
    therapist: User, record: Client
) -> None:
    _diagnose(record)
    _diagnose(record, "Z59.01")
    other = _other_member()
    meeting, (mine, theirs) = _held(therapist, [record, other])
    coded = services.meeting_encounters_code(
        actor=therapist,
        meeting=meeting,
        code="90853",
        minutes=90,
        place_of_service="11",
        members=[
            services.MemberCoding(attendance=mine, diagnosis_codes=["F10.10", "Z59.01"]),
            # Arrived late and was counselled on substance use: H0005 with their own minutes.
            services.MemberCoding(
                attendance=theirs, diagnosis_codes=["F11.20"], code="H0005", minutes=50
            ),
        ],
    )
    assert [(e.client, e.code, e.units, e.minutes, e.diagnosis_codes) for e in coded] == [
        (record, "90853", 1, 90, ["F10.10", "Z59.01"]),
        (other, "H0005", 1, 50, ["F11.20"]),
    ]


def test_one_members_refusal_stores_nothing(therapist: User, record: Client) -> None:
    _diagnose(record)
    other = _other_member()
    meeting, (mine, theirs) = _held(therapist, [record, other])
    with pytest.raises(ValidationError) as refused:
        services.meeting_encounters_code(
            actor=therapist,
            meeting=meeting,
            code="90853",
            minutes=90,
            place_of_service="11",
            members=[
                services.MemberCoding(attendance=mine, diagnosis_codes=["F10.10"]),
                # Not on this member's problem list.
                services.MemberCoding(attendance=theirs, diagnosis_codes=["F10.10"]),
            ],
        )
    assert list(refused.value.message_dict) == [f"member-{theirs.pk}"]
    assert refused.value.message_dict[f"member-{theirs.pk}"][0].startswith(
        "F10.10 is not on the problem list on"
    )
    assert Encounter.objects.count() == 0


def test_only_a_facilitator_codes_the_whole_meeting(
    therapist: User, record: Client, supervisor: User
) -> None:
    _diagnose(record)
    meeting, (mine,) = _held(therapist, [record])
    with pytest.raises(PermissionDenied):
        services.meeting_encounters_code(
            actor=supervisor,
            meeting=meeting,
            code="90853",
            minutes=90,
            place_of_service="11",
            members=[services.MemberCoding(attendance=mine, diagnosis_codes=["F10.10"])],
        )
    assert Encounter.objects.count() == 0


# --- The lock ---------------------------------------------------------------------------------


def _row(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM billing_encounter WHERE id = %s", [pk])
        return cursor.fetchone()


def test_the_signed_group_note_locks_every_members_encounter(
    therapist: User, record: Client
) -> None:
    _diagnose(record)
    other = _other_member()
    meeting, (mine, theirs) = _held(therapist, [record, other])
    encounters = [
        _code_attendance(therapist, mine),
        _code_attendance(therapist, theirs, diagnosis_codes=["F11.20"]),
    ]
    _sign(meeting, therapist)
    before = [_row(e.pk) for e in encounters]

    with pytest.raises(ValidationError) as refused:
        _code_attendance(therapist, mine, code="H0005")
    assert refused.value.messages == [
        "The note for this encounter is signed, so its billing codes are locked with it (as the "
        "note is). If the note is returned for changes, the codes open again."
    ]
    # The database refuses it too, whatever code runs.
    for encounter in encounters:
        with pytest.raises(Error), transaction.atomic():
            Encounter.objects.filter(pk=encounter.pk).update(units=9)
        with pytest.raises(Error), transaction.atomic():
            Encounter.objects.filter(pk=encounter.pk).delete()
    assert [_row(e.pk) for e in encounters] == before
    assert services.encounter_is_locked(attendance=mine) is True


def test_a_draft_group_note_leaves_the_coding_open(therapist: User, record: Client) -> None:
    _diagnose(record)
    meeting, (mine,) = _held(therapist, [record])
    _code_attendance(therapist, mine)
    group_services.group_note_start(actor=therapist, meeting=meeting)
    encounter = _code_attendance(therapist, mine, code="H0005")
    assert (encounter.code, services.encounter_is_locked(attendance=mine)) == ("H0005", False)


# --- Superbill, CSV and FHIR: the member's own, never another member --------------------------


@pytest.fixture
def billed(therapist: User, record: Client) -> Client:
    """Robin: a 90834 session two days ago and a 90853 group meeting today (with another
    member, also coded), fees in force, the group note signed."""
    since = days_from_today(-30)
    Fee.objects.create(code="90834", amount=Decimal("150.00"), effective_on=since)
    Fee.objects.create(code="90853", amount=Decimal("62.50"), effective_on=since)
    _diagnose(record)
    _diagnose(record, "Z59.01")
    start = at(days_from_today(-2), "10:00")
    appointment = AttendedAppointmentFactory(
        client=record, starts_at=start, ends_at=start + datetime.timedelta(minutes=45)
    )
    services.encounter_code(
        actor=therapist,
        client=record,
        appointment=appointment,
        code="90834",
        minutes=45,
        place_of_service="11",
        diagnosis_codes=["F10.10"],
    )
    other = _other_member()
    meeting, (mine, theirs) = _held(therapist, [record, other])
    _code_attendance(therapist, mine, diagnosis_codes=["Z59.01", "F10.10"])
    _code_attendance(therapist, theirs, diagnosis_codes=["F11.20"])
    _sign(meeting, therapist)
    return record


def _period() -> dict[str, datetime.date]:
    return {"start": days_from_today(-7), "end": timezone.localdate()}


def test_the_superbill_totals_include_the_group_meeting(billed: Client) -> None:
    bill = services.superbill_build(client=billed, **_period())
    assert [
        (line.code, line.units, line.fee, line.charge, line.pointers) for line in bill.lines
    ] == [
        ("90834", 1, Decimal("150.00"), Decimal("150.00"), "A"),
        ("90853", 1, Decimal("62.50"), Decimal("62.50"), "BA"),
    ]
    assert (bill.total, bill.total_units) == (Decimal("212.50"), 2)
    assert [(letter, d.code) for letter, d in bill.diagnoses] == [("A", "F10.10"), ("B", "Z59.01")]


def _never_names_the_other_member(text: str) -> None:
    for name in (OTHER_LEGAL, OTHER_PREFERRED, OTHER_CHART, "F11.20", "Quincy"):
        assert name not in text


def test_the_superbill_and_csv_never_name_another_member(therapist: User, billed: Client) -> None:
    consent = PayerConsentFactory(client=billed)
    _disclosure, pdf = services.billing_export(
        actor=therapist, client=billed, consent=consent, what="superbill", **_period()
    )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "90853 Group psychotherapy" in text
    assert "212.50" in text
    _never_names_the_other_member(text)

    _disclosure, document = services.billing_export(
        actor=therapist, client=billed, consent=consent, what="billing_csv", **_period()
    )
    rows = list(csv.reader(io.StringIO(document.decode())))
    assert [(row[0] == timezone.localdate().isoformat(), row[4], row[10]) for row in rows[2:3]] == [
        (True, "90853", "Z59.01|F10.10")
    ]
    assert {row[2] for row in rows[1:-1]} == {"Robin Q. Public"}
    _never_names_the_other_member(document.decode())


def test_the_fhir_encounter_is_typed_group_and_names_nobody_else(billed: Client) -> None:
    bundle = build_bundle(client=billed, clinic_name="HRP Clinic", recipient="Dr. Lee")
    encounters = [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Encounter"
    ]
    assert len(encounters) == 2
    group = encounters[1]
    assert group["type"][0]["coding"][0]["code"] == "90853"
    assert group["type"][1]["coding"][0] == {
        "system": "urn:hrp:encounter-kind",
        "code": "group",
        "display": "Group session",
    }
    assert group["length"]["value"] == 90
    assert len(encounters[0]["type"]) == 1
    _never_names_the_other_member(json.dumps(bundle))


# --- The pages ----------------------------------------------------------------------------------

# role: (meeting coding page GET, POST)
MEETING_PAGE_STATUS = {
    "therapist": (200, 302),
    "other_therapist": (404, 404),
    "supervisor": (404, 404),
    "other_supervisor": (404, 404),
    "clinic_admin": (404, 404),
}


def _coding_post(meeting: Meeting, attendances: list[Attendance], **extra: str) -> dict:
    data: dict[str, object] = {"code": "90853", "minutes": "90", "place_of_service": "11"}
    for attendance in attendances:
        data[f"member-{attendance.pk}-include"] = "on"
        data[f"member-{attendance.pk}-diagnosis_codes"] = ["F10.10"]
    data.update(extra)
    return data


@pytest.mark.parametrize("role", list(MEETING_PAGE_STATUS))
def test_the_meeting_coding_page_per_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    record: Client,
    role: str,
) -> None:
    _diagnose(record)
    meeting, attendances = _held(therapist, [record])
    web = client_for(request.getfixturevalue(role))
    url = reverse("billing:meeting_coding", args=[meeting.pk])
    statuses = (
        web.get(url).status_code,
        web.post(url, _coding_post(meeting, attendances)).status_code,
    )
    assert statuses == MEETING_PAGE_STATUS[role]
    expected = 1 if role == "therapist" else 0
    assert Encounter.objects.count() == expected


def test_the_meeting_coding_page_shows_a_members_refusal_on_their_row(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    _diagnose(record)
    meeting, attendances = _held(therapist, [record])
    response = client_for(therapist).post(
        reverse("billing:meeting_coding", args=[meeting.pk]),
        _coding_post(meeting, attendances, **{f"member-{attendances[0].pk}-diagnosis_codes": []}),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.row_errors == {
        attendances[0].pk: ["Choose at least one diagnosis the encounter addressed."]
    }
    assert Encounter.objects.count() == 0


def test_the_chart_codes_a_group_meeting(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    _diagnose(record)
    lead = TherapistFactory()
    _meeting, (attendance,) = _held(lead, [record])
    web = client_for(therapist)
    section = web.get(reverse("billing:section", args=[record.pk]))
    assert [a.pk for a in section.context["group_meetings"]] == [attendance.pk]
    url = reverse("billing:encounter_group", args=[record.pk, attendance.pk])
    page = web.get(url)
    assert (page.status_code, page.context["form"]["code"].value()) == (200, "90853")
    response = web.post(
        url,
        {"code": "90853", "minutes": "90", "place_of_service": "11", "diagnosis_codes": "F10.10"},
    )
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert (encounter.attendance, encounter.rendering, encounter.units) == (attendance, lead, 1)


@pytest.mark.parametrize("role", ["other_therapist", "other_supervisor", "clinic_admin"])
def test_the_chart_group_coding_page_is_not_found_for_others(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    record: Client,
    role: str,
) -> None:
    _diagnose(record)
    _meeting, (attendance,) = _held(therapist, [record])
    url = reverse("billing:encounter_group", args=[record.pk, attendance.pk])
    assert client_for(request.getfixturevalue(role)).get(url).status_code == 404


# The session, user and two-factor device, the meeting with the facilitator's access, the
# attending members with their coding, their diagnoses in force, the group's service codes
# (clinic codes): the same count at one member and at five.
MEETING_CODING_QUERIES = 7


@pytest.mark.parametrize("members", [1, 5])
def test_the_meeting_coding_page_queries_do_not_grow(
    client_for: ClientFor,
    therapist: User,
    members: int,
    django_assert_num_queries: object,
) -> None:
    clients = []
    for _ in range(members):
        client = ClientFactory(therapist=therapist)
        _diagnose(client)
        _diagnose(client, "Z59.01")
        clients.append(client)
    meeting, attendances = _held(therapist, clients)
    _code_attendance(therapist, attendances[0])
    web = client_for(therapist)
    url = reverse("billing:meeting_coding", args=[meeting.pk])
    web.get(url)
    with django_assert_num_queries(MEETING_CODING_QUERIES):  # type: ignore[operator]
        response = web.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == members


def test_an_ended_group_is_still_coded(therapist: User, record: Client) -> None:
    # Ending a group cancels what is to come; what was held is still billed.
    _diagnose(record)
    meeting, (attendance,) = _held(therapist, [record])
    group_services.group_end(
        actor=therapist,
        group=meeting.group,
        ended_on=timezone.localdate() + datetime.timedelta(days=1),
    )
    assert Group.objects.get(pk=meeting.group_id).status == Group.Status.ENDED
    assert _code_attendance(therapist, attendance).units == 1
