"""Group sessions' writes: the weekly series, members under a consent to take part (refused
with a clear message, nothing stored, without one), attendance per member, and the group note:
signed, locked by the database trigger, co-signed for a trainee, returned with comments."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clients.models import Consent
from groups import services
from groups.models import Attendance, Group, GroupNote, Meeting, MemberNote, Membership
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from sessions.models import NoteLockedError
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, SupervisorFactory, TherapistFactory
from tests.groups.factories import add_member, first_meeting, group_consent, make_group

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough password 1"
ATTENDED, NO_SHOW = "attended", "no_show"


@pytest.fixture
def lead() -> User:
    return TherapistFactory(full_name="Lee Lead", password=PASSWORD)


def _held(lead: User, n: int = 2) -> tuple[Meeting, list[Membership]]:
    group = make_group(lead)
    members = [add_member(group, lead, preferred_name=f"Member{i}") for i in range(n)]
    meeting = first_meeting(group)
    services.attendance_record(
        actor=lead, meeting=meeting, statuses={m.pk: ATTENDED for m in members}
    )
    return meeting, members


def test_group_create_makes_one_meeting_a_week_in_clinic_time(lead: User) -> None:
    group = services.group_create(
        actor=lead,
        name="Thursday group",
        label="Group",
        kind=Group.Kind.CLOSED,
        weekday=Group.Weekday.THURSDAY,
        start_time=datetime.time(18, 30),
        duration_minutes=90,
        starts_on=datetime.date(2026, 10, 19),  # a Monday: the first Thursday is the 22nd
        ends_on=datetime.date(2026, 11, 12),
    )

    local = [timezone.localtime(m.starts_at) for m in group.meetings.order_by("starts_at")]
    assert [(t.date(), t.time()) for t in local] == [
        (datetime.date(2026, 10, 22), datetime.time(18, 30)),
        (datetime.date(2026, 10, 29), datetime.time(18, 30)),
        (datetime.date(2026, 11, 5), datetime.time(18, 30)),
        (datetime.date(2026, 11, 12), datetime.time(18, 30)),
    ]
    assert [(f.clinician_id, f.lead) for f in group.facilitators.all()] == [(lead.pk, True)]


def test_group_create_refuses_more_than_a_year(lead: User) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        services.group_create(
            actor=lead,
            name="Long",
            label="Group",
            kind=Group.Kind.CLOSED,
            weekday=today.weekday(),
            start_time=datetime.time(10),
            duration_minutes=60,
            starts_on=today,
            ends_on=today + datetime.timedelta(weeks=60),
        )
    assert refused.value.message_dict == {"ends_on": ["A series has at most 52 weekly meetings."]}
    assert Group.objects.count() == 0


def test_member_without_consent_is_refused_and_nothing_stored(lead: User) -> None:
    group = make_group(lead)
    client = ClientFactory()
    events = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        services.member_add(
            actor=lead,
            group=group,
            chart_number=client.chart_number,
            joined_on=timezone.localdate(),
        )

    assert refused.value.message_dict["chart_number"] == [str(services.NO_CONSENT)]
    assert Membership.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_member_with_a_revoked_consent_is_told_why(lead: User) -> None:
    group = make_group(lead)
    client = ClientFactory()
    group_consent(client, revoked_on=timezone.localdate() - datetime.timedelta(days=1))

    with pytest.raises(ValidationError) as refused:
        services.member_add(
            actor=lead,
            group=group,
            chart_number=client.chart_number,
            joined_on=timezone.localdate(),
        )

    (message,) = refused.value.messages
    assert message.startswith("This consent was revoked on ")
    assert message.endswith(": nothing may be disclosed under it.")
    assert Membership.objects.count() == 0


def test_an_attendance_only_consent_does_not_let_a_client_join(lead: User) -> None:
    group = make_group(lead)
    client = ClientFactory()
    group_consent(client, scope=Consent.Scope.ATTENDANCE)

    with pytest.raises(ValidationError):
        services.member_add(
            actor=lead,
            group=group,
            chart_number=client.chart_number,
            joined_on=timezone.localdate(),
        )
    assert Membership.objects.count() == 0


def test_member_add_is_for_facilitators(lead: User, other_therapist: User) -> None:
    group = make_group(lead)
    client = ClientFactory()
    group_consent(client)
    with pytest.raises(PermissionDenied):
        services.member_add(
            actor=other_therapist,
            group=group,
            chart_number=client.chart_number,
            joined_on=timezone.localdate(),
        )
    assert Membership.objects.count() == 0


def test_drop_in_adds_a_member_at_a_meeting_as_attending(lead: User) -> None:
    group = make_group(lead, kind=Group.Kind.DROP_IN)
    meeting = first_meeting(group)
    client = ClientFactory()
    group_consent(client)

    membership = services.member_add(
        actor=lead,
        group=group,
        chart_number=client.chart_number,
        joined_on=datetime.date(2000, 1, 1),  # ignored: a drop-in joins on the meeting's day
        meeting=meeting,
    )

    assert membership.joined_on == meeting.day
    assert list(Attendance.objects.values_list("membership_id", "status")) == [
        (membership.pk, ATTENDED)
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.note_pending) == (Meeting.Status.HELD, True)


def test_closed_group_adds_no_one_at_a_meeting(lead: User) -> None:
    group = make_group(lead)
    client = ClientFactory()
    group_consent(client)
    with pytest.raises(ValidationError) as refused:
        services.member_add(
            actor=lead,
            group=group,
            chart_number=client.chart_number,
            joined_on=timezone.localdate(),
            meeting=first_meeting(group),
        )
    assert refused.value.messages == ["Only a drop-in group adds members at a meeting."]
    assert Membership.objects.count() == 0


def test_attendance_per_member(lead: User) -> None:
    group = make_group(lead)
    a = add_member(group, lead, preferred_name="Ari")
    b = add_member(group, lead, preferred_name="Bo")
    meeting = first_meeting(group)

    services.attendance_record(
        actor=lead, meeting=meeting, statuses={a.pk: ATTENDED, b.pk: NO_SHOW}
    )

    assert dict(Attendance.objects.values_list("client_id", "status")) == {
        a.client_id: ATTENDED,
        b.client_id: NO_SHOW,
    }
    assert [str(x) for x in Attendance.objects.order_by("client_id")] == [
        "Attended",
        "Did not attend",
    ]


def test_attendance_before_the_meeting_is_refused_whole(lead: User) -> None:
    group = make_group(lead)
    a = add_member(group, lead)
    later = group.meetings.order_by("starts_at")[1]
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(actor=lead, meeting=later, statuses={a.pk: ATTENDED})
    assert refused.value.message_dict == {
        "status": ["Attendance can be recorded once the meeting has started."]
    }
    assert Attendance.objects.count() == 0
    # A cancellation may be recorded ahead.
    services.attendance_record(actor=lead, meeting=later, statuses={a.pk: "cancelled_client"})
    assert Attendance.objects.get().status == "cancelled_client"


def test_note_parts_for_attending_members_only(lead: User) -> None:
    meeting, (a, b) = _held(lead)
    services.attendance_record(actor=lead, meeting=meeting, statuses={b.pk: NO_SHOW})

    note = services.group_note_start(actor=lead, meeting=meeting)

    assert list(note.parts.values_list("client_id", flat=True)) == [a.client_id]


def _signed(lead: User) -> tuple[GroupNote, list[Membership]]:
    meeting, members = _held(lead)
    note = services.group_note_start(actor=lead, meeting=meeting)
    note = services.group_note_save(
        actor=lead,
        note=note,
        expected_version=note.version,
        shared="We practised slow breathing and talked about spacing doses.",
        parts={m.client_id: f"Own words for {i}" for i, m in enumerate(members)},
    )
    return services.group_note_sign(
        actor=lead, note=note, password=PASSWORD, expected_version=note.version
    ), members


def test_sign_locks_the_note_and_clears_the_pending_flag(lead: User) -> None:
    note, _members = _signed(lead)

    note.refresh_from_db()
    assert note.status == GroupNote.Status.SIGNED
    assert note.hash_verified() is True
    assert Meeting.objects.get(pk=note.meeting_id).note_pending is False
    with pytest.raises(NoteLockedError):
        services.group_note_save(
            actor=lead, note=note, expected_version=note.version, shared="changed", parts={}
        )


def test_trigger_refuses_update_of_a_signed_note_and_its_parts(lead: User) -> None:
    note, _members = _signed(lead)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE groups_groupnote SET version = 99 WHERE id = %s", [note.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE groups_membernote SET text = '' WHERE note_id = %s", [note.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM groups_groupnote WHERE id = %s", [note.pk])
    assert GroupNote.objects.get().version == note.version
    assert MemberNote.objects.exclude(text="").count() == 2


def test_signed_note_keeps_its_attendance(lead: User) -> None:
    note, members = _signed(lead)
    with pytest.raises(NoteLockedError):
        services.attendance_record(
            actor=lead, meeting=note.meeting, statuses={members[0].pk: NO_SHOW}
        )
    assert Attendance.objects.filter(status=ATTENDED).count() == 2


def test_wrong_password_keeps_the_draft(lead: User) -> None:
    meeting, _members = _held(lead)
    note = services.group_note_start(actor=lead, meeting=meeting)
    note = services.group_note_save(
        actor=lead, note=note, expected_version=1, shared="Themes.", parts={}
    )
    with pytest.raises(ValidationError) as refused:
        services.group_note_sign(actor=lead, note=note, password="nope", expected_version=2)
    assert refused.value.message_dict == {
        "password": ["That password is not right. The note is still a draft."]
    }
    assert GroupNote.objects.get().status == GroupNote.Status.DRAFT


def test_sign_refuses_a_member_named_in_the_shared_part(lead: User) -> None:
    meeting, _members = _held(lead)
    note = services.group_note_start(actor=lead, meeting=meeting)
    note = services.group_note_save(
        actor=lead, note=note, expected_version=1, shared="member0 spoke first.", parts={}
    )
    with pytest.raises(ValidationError) as refused:
        services.group_note_sign(actor=lead, note=note, password=PASSWORD, expected_version=2)
    assert refused.value.messages == [
        "The shared part names a member (Member0): every member's chart shows it. "
        "Write “a member” instead."
    ]
    assert GroupNote.objects.get().signed_at is None


def test_sign_refuses_another_member_named_in_a_private_part(lead: User) -> None:
    meeting, (a, _b) = _held(lead)
    note = services.group_note_start(actor=lead, meeting=meeting)
    note = services.group_note_save(
        actor=lead,
        note=note,
        expected_version=1,
        shared="Themes.",
        parts={a.client_id: "Sat next to Member1."},
    )
    with pytest.raises(ValidationError) as refused:
        services.group_note_sign(actor=lead, note=note, password=PASSWORD, expected_version=2)
    assert refused.value.messages == [
        "The private part for Member0 names another member (Member1): it is shown on "
        "Member0's chart. Write “another member” instead."
    ]


def test_trainee_signs_into_the_supervisors_queue_who_cosigns() -> None:
    trainee = TherapistFactory(requires_cosign=True, password=PASSWORD)
    sup = SupervisorFactory(password=PASSWORD)
    SupervisionFactory(supervisor=sup, supervisee=trainee)
    stranger = SupervisorFactory(password=PASSWORD)
    note, _members = _signed(trainee)
    assert note.status == GroupNote.Status.AWAITING_COSIGN
    assert Meeting.objects.get(pk=note.meeting_id).note_pending is False

    with pytest.raises(PermissionDenied):
        services.group_note_cosign(actor=stranger, note=note, password=PASSWORD)
    services.group_note_cosign(actor=sup, note=note, password=PASSWORD)

    note.refresh_from_db()
    assert (note.status, note.cosigned_by_id) == (GroupNote.Status.COSIGNED, sup.pk)
    assert list(note.reviews.values_list("decision", flat=True)) == ["cosigned"]
    assert note.hash_verified() is True


def test_supervisor_returns_a_trainees_note_with_comments() -> None:
    trainee = TherapistFactory(requires_cosign=True, password=PASSWORD)
    sup = SupervisorFactory()
    SupervisionFactory(supervisor=sup, supervisee=trainee)
    note, _members = _signed(trainee)

    services.group_note_return(actor=sup, note=note, comments="Say more about the themes.")

    note.refresh_from_db()
    assert (note.status, note.signed_at, note.content_hash) == (GroupNote.Status.DRAFT, None, "")
    assert Meeting.objects.get(pk=note.meeting_id).note_pending is True
    assert [r.comments for r in note.reviews.all()] == ["Say more about the themes."]
