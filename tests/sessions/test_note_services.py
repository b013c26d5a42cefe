"""Session-note writes and reads at their edges: starting a note only for an attended session,
saving drafts with optimistic locking and an audit trail that never holds note text, what a
note needs before signing, signing with the password (and the refusal, audited), co-signature
and return by the current supervisor only, addenda up to 20,000 characters, attendance frozen
once a note exists, rating alerts at the threshold and the drop, late notes at the 24-hour
edge, the follow-back weeks a note covers, and the person-first language hints.

Fixed dates are in 2030; MONDAY (4 March) starts a week. Use recorded at signing is for past weeks
(bounds.HISTORY), so those tests use weeks in October 2026. Nothing here depends on today.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.test import override_settings
from django.utils import timezone

from clients.models import Client
from goals.models import Goal, UseCheckIn
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from hrp.language import LanguageHint, language_hints
from sessions import selectors, services
from sessions.models import (
    Appointment,
    NoteAddendum,
    NoteLockedError,
    NoteReview,
    RatingAlert,
    SessionNote,
)
from sessions.services import NoteConflict
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.factories import TEST_PASSWORD, SupervisionFactory, SupervisorFactory
from tests.goals.factories import GoalFactory
from tests.sessions.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    SessionNoteFactory,
    at,
    sign_note,
)

MONDAY = datetime.date(2030, 3, 4)
Status = SessionNote.Status

NOT_ATTENDED = "A note is written for an attended session. Record the attendance first."
BODY = "Write the body of the note."
RISK = "Record the overdose risk and suicidal thoughts (“None noted” is a choice)."
ACTIONS = "Say what actions were taken about the risk recorded."
RATINGS = "Enter all four session ratings, or none."
WRONG_PASSWORD = "That password is not right. The note is still a draft."
RETURN_NEEDS_COMMENTS = "Say what the therapist should revise."
ADDENDUM_ON_DRAFT = "A draft is changed directly; addenda are for signed notes."
HAS_NOTE = "This session has a note, so it stays marked as attended."


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, chart_number="C-NOTE1")


@pytest.fixture
def signer(therapist: User) -> User:
    """The therapist with a password, for the signing step that asks for it again."""
    therapist.set_password(TEST_PASSWORD)
    therapist.save(update_fields=["password"])
    return therapist


@pytest.fixture
def trainee(signer: User, supervisor: User) -> User:
    """The therapist (supervised by `supervisor`) as a trainee whose notes need co-signature."""
    signer.requires_cosign = True
    signer.save(update_fields=["requires_cosign"])
    return signer


def _note(record: Client, day: datetime.date = MONDAY, **kwargs: Any) -> SessionNote:
    appointment = AttendedAppointmentFactory(client=record, starts_at=at(day, "10:00"))
    return SessionNoteFactory(appointment=appointment, **kwargs)


def _stored(note: SessionNote) -> dict[str, Any]:
    """Every column of the note as stored now."""
    fresh = SessionNote.objects.get(pk=note.pk)
    return {
        **model_to_dict(fresh),
        "signed_at": fresh.signed_at,
        "content_hash": fresh.content_hash,
        "created_at": fresh.created_at,
        "updated_at": fresh.updated_at,
        "cosigned_at": fresh.cosigned_at,
    }


def _events(action: str) -> list[tuple[Any, ...]]:
    return [
        (e.category, e.actor_id, e.object_type, e.object_id, e.chart_number, e.changes, e.detail)
        for e in AuditEvent.objects.filter(action=action).order_by("id")
    ]


def _audit_dump() -> str:
    """Every column of every audit event, as one text to search."""
    return json.dumps(list(AuditEvent.objects.values()), default=str)


def _save(actor: User, note: SessionNote, **values: Any) -> services.SaveResult:
    fresh = SessionNote.objects.get(pk=note.pk)
    return services.note_save(
        actor=actor, note=fresh, expected_version=fresh.version, values=values
    )


def _sign(actor: User, note: SessionNote, password: str = TEST_PASSWORD) -> SessionNote:
    fresh = SessionNote.objects.get(pk=note.pk)
    return services.note_sign(
        actor=actor, note=fresh, password=password, expected_version=fresh.version
    )


# --- Starting a note ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        Appointment.Status.SCHEDULED,
        Appointment.Status.NO_SHOW,
        Appointment.Status.CANCELLED_CLIENT,
        Appointment.Status.CANCELLED_CLINIC,
        Appointment.Status.RESCHEDULED,
    ],
)
def test_a_note_is_refused_for_a_session_not_attended(
    therapist: User, record: Client, status: str
) -> None:
    appointment = AppointmentFactory(client=record, starts_at=at(MONDAY, "10:00"), status=status)

    with pytest.raises(ValidationError) as refused:
        services.note_start(actor=therapist, appointment=appointment)

    assert refused.value.messages == [NOT_ATTENDED]
    assert SessionNote.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_starting_a_note_twice_gives_the_same_draft(therapist: User, record: Client) -> None:
    appointment = AttendedAppointmentFactory(client=record, starts_at=at(MONDAY, "10:00"))

    first = services.note_start(actor=therapist, appointment=appointment)
    second = services.note_start(actor=therapist, appointment=appointment)

    assert second.pk == first.pk
    assert list(SessionNote.objects.values_list("pk", flat=True)) == [first.pk]
    stored = SessionNote.objects.get()
    assert (
        stored.appointment,
        stored.client,
        stored.author,
        stored.status,
        stored.version,
        stored.format,
        stored.goal_checkins,
    ) == (appointment, record, therapist, "draft", 1, "dap", [])
    assert _events("note.create") == [
        ("change", therapist.pk, "therapy_sessions.sessionnote", str(first.pk), "C-NOTE1", {}, "")
    ]


def test_starting_a_note_adds_a_check_in_line_for_each_active_goal(
    therapist: User, record: Client
) -> None:
    later = GoalFactory(client=record, review_date=MONDAY + datetime.timedelta(days=28))
    sooner = GoalFactory(client=record, review_date=MONDAY + datetime.timedelta(days=7))
    GoalFactory(client=record, status=Goal.Status.ACHIEVED)
    GoalFactory(client=record, status=Goal.Status.SET_ASIDE)
    GoalFactory(client=record, status=Goal.Status.REVISED)
    GoalFactory(client=ClientFactory(therapist=therapist))  # another client's goal
    appointment = AttendedAppointmentFactory(client=record, starts_at=at(MONDAY, "10:00"))

    note = services.note_start(actor=therapist, appointment=appointment)

    expected = [
        {"goal": sooner.pk, "score": None, "note": ""},
        {"goal": later.pk, "score": None, "note": ""},
    ]
    assert note.goal_checkins == expected
    assert SessionNote.objects.get().goal_checkins == expected


@override_settings(NOTE_FORMAT="soap")
def test_a_new_note_is_in_the_clinics_format(therapist: User, record: Client) -> None:
    appointment = AttendedAppointmentFactory(client=record, starts_at=at(MONDAY, "10:00"))

    services.note_start(actor=therapist, appointment=appointment)

    assert SessionNote.objects.get().format == "soap"


# --- Saving drafts -----------------------------------------------------------------------------


def test_saving_applies_the_changes_and_bumps_the_version(therapist: User, record: Client) -> None:
    note = _note(record)
    before = SessionNote.objects.get(pk=note.pk).updated_at

    result = _save(
        therapist,
        note,
        data="Talked through Saturday.",
        plan="Eat before going out.",
        assessment="Engaged.",  # unchanged
        rating_heard=None,  # unchanged
    )

    assert result.changed == ["data", "plan"]
    assert result.hints == []
    stored = SessionNote.objects.get(pk=note.pk)
    assert (stored.data, stored.plan, stored.assessment, stored.version, stored.status) == (
        "Talked through Saturday.",
        "Eat before going out.",
        "Engaged.",
        2,
        "draft",
    )
    assert stored.updated_at > before
    assert result.note.version == 2


def test_saving_ignores_the_format_and_anything_not_content(
    therapist: User, record: Client
) -> None:
    note = _note(record)

    result = _save(
        therapist,
        note,
        format="soap",
        status="signed",
        content_hash="f" * 64,
        data="New data.",
    )

    assert result.changed == ["data"]
    stored = SessionNote.objects.get(pk=note.pk)
    assert (stored.format, stored.status, stored.content_hash, stored.data) == (
        "dap",
        "draft",
        "",
        "New data.",
    )


def test_saving_the_same_values_changes_nothing(therapist: User, record: Client) -> None:
    note = _note(record)
    before = _stored(note)

    result = _save(therapist, note, data="Described the week.", plan="Try the evening routine.")

    assert result.changed == []
    assert _stored(note) == before
    assert AuditEvent.objects.count() == 0


def test_the_save_event_names_the_fields_but_never_holds_the_text(
    therapist: User, record: Client
) -> None:
    note = _note(record)
    data = "Used heroin alone on Friday, scared after a friend overdosed"
    risk_actions = "Gave a naloxone kit and practised the recovery position"
    checkin_text = "Kept to three drinks at the wedding"

    _save(
        therapist,
        note,
        data=data,
        overdose_risk="some",
        risk_actions=risk_actions,
        goal_checkins=[{"goal": 1, "score": 7, "note": checkin_text}],
    )

    assert _events("note.save") == [
        (
            "change",
            therapist.pk,
            "therapy_sessions.sessionnote",
            str(note.pk),
            "C-NOTE1",
            {
                "data": ["", "changed"],
                "overdose_risk": ["", "changed"],
                "risk_actions": ["", "changed"],
                "goal_checkins": ["", "changed"],
            },
            "",
        )
    ]
    dump = _audit_dump()
    for text in (data, risk_actions, checkin_text, "heroin", "naloxone", "wedding"):
        assert text not in dump


def test_saving_returns_language_hints_from_the_text_and_the_goal_check_ins(
    therapist: User, record: Client
) -> None:
    note = _note(record)

    result = _save(
        therapist,
        note,
        data="Calls herself an addict.",
        goal_checkins=[{"goal": 1, "score": 5, "note": "Two weeks clean"}],
    )

    assert [(h.term, h.found) for h in result.hints] == [("addict", "addict"), ("clean", "clean")]


def test_a_save_from_a_stale_version_is_refused_and_changes_nothing(
    therapist: User, record: Client
) -> None:
    note = _note(record)
    loaded_in_first_tab = SessionNote.objects.get(pk=note.pk)
    _save(therapist, note, data="Saved in the second tab.")
    before = _stored(note)
    events = AuditEvent.objects.count()

    with pytest.raises(NoteConflict) as conflict:
        services.note_save(
            actor=therapist,
            note=loaded_in_first_tab,
            expected_version=1,
            values={"data": "Saved in the first tab.", "plan": "A new plan."},
        )

    assert conflict.value.current.version == 2
    assert conflict.value.current.data == "Saved in the second tab."
    assert _stored(note) == before
    assert AuditEvent.objects.count() == events


def test_saving_a_signed_note_is_refused(therapist: User, record: Client) -> None:
    note = sign_note(_note(record))
    before = _stored(note)

    with pytest.raises(NoteLockedError):
        services.note_save(
            actor=therapist,
            note=note,
            expected_version=note.version,
            values={"data": "Changed after signing."},
        )

    assert _stored(note) == before


def test_an_out_of_range_rating_saves_nothing(therapist: User, record: Client) -> None:
    note = _note(record)
    before = _stored(note)

    with pytest.raises(ValidationError) as refused:
        _save(therapist, note, data="New data.", rating_heard=11)

    assert list(refused.value.message_dict) == ["rating_heard"]
    assert _stored(note) == before
    assert AuditEvent.objects.count() == 0


# --- What signing needs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        pytest.param({}, [], id="complete"),
        pytest.param({"data": "", "assessment": "", "plan": ""}, [BODY], id="no-body"),
        pytest.param({"data": " \n", "assessment": "\t", "plan": "  "}, [BODY], id="blank-body"),
        pytest.param({"data": "", "assessment": "", "plan": "Only a plan."}, [], id="one-part"),
        pytest.param(
            {"format": "narrative", "narrative": ""}, [BODY], id="narrative-without-narrative"
        ),
        pytest.param(
            {"format": "narrative", "data": "", "narrative": "We talked."}, [], id="narrative"
        ),
        pytest.param(
            {"format": "soap", "data": "", "assessment": "", "plan": "", "objective": "Calm."},
            [],
            id="soap-objective",
        ),
        pytest.param({"overdose_risk": ""}, [RISK], id="no-overdose-risk"),
        pytest.param({"suicide_risk": ""}, [RISK], id="no-suicide-risk"),
        pytest.param({"overdose_risk": "some"}, [ACTIONS], id="risk-without-actions"),
        pytest.param(
            {"suicide_risk": "acute", "risk_actions": "   "}, [ACTIONS], id="risk-blank-actions"
        ),
        pytest.param(
            {"overdose_risk": "acute", "risk_actions": "Naloxone kit given."},
            [],
            id="risk-with-actions",
        ),
        pytest.param({"rating_heard": 8}, [RATINGS], id="one-rating"),
        pytest.param(
            {"rating_heard": 8, "rating_wanted": 8, "rating_approach": 8}, [RATINGS], id="three"
        ),
        pytest.param(
            {"rating_heard": 0, "rating_wanted": 0, "rating_approach": 0, "rating_overall": 0},
            [],
            id="four-zero-ratings",
        ),
        pytest.param(
            {"data": "", "assessment": "", "plan": "", "suicide_risk": "", "rating_overall": 3},
            [BODY, RISK, RATINGS],
            id="everything-missing",
        ),
    ],
)
def test_sign_problems(record: Client, fields: dict[str, Any], problems: list[str]) -> None:
    note = _note(record, **fields)

    assert services.sign_problems(note) == problems


# --- Signing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["not-the-password", ""])
def test_a_wrong_password_is_refused_audited_and_leaves_a_draft(
    signer: User, record: Client, password: str
) -> None:
    note = _note(record)
    before = _stored(note)

    with pytest.raises(ValidationError) as refused:
        _sign(signer, note, password=password)

    assert refused.value.message_dict == {"password": [WRONG_PASSWORD]}
    assert _stored(note) == before
    assert SessionNote.objects.get(pk=note.pk).status == "draft"
    assert _events("note.sign_refused") == [
        (
            "security",
            signer.pk,
            "therapy_sessions.sessionnote",
            str(note.pk),
            "C-NOTE1",
            {},
            "wrong password",
        )
    ]
    assert _events("note.sign") == []


def test_the_right_password_signs_and_stores_a_hash_that_verifies(
    signer: User, record: Client
) -> None:
    note = _note(record)

    signed = _sign(signer, note)

    stored = SessionNote.objects.get(pk=note.pk)
    assert (stored.status, stored.signed_by, stored.version, stored.updated_at) == (
        "signed",
        signer,
        2,
        stored.signed_at,
    )
    assert stored.signed_at == signed.signed_at
    assert stored.content_hash == stored.compute_hash()
    assert len(stored.content_hash) == 64
    assert stored.hash_verified() is True
    assert services.note_verify(note=stored) is True
    assert _events("note.sign") == [
        (
            "change",
            signer.pk,
            "therapy_sessions.sessionnote",
            str(note.pk),
            "C-NOTE1",
            {"status": ["draft", "signed"]},
            "",
        )
    ]
    assert _events("note.verify_failed") == []


def test_a_trainee_signs_into_the_co_signature_queue(
    trainee: User, supervisor: User, record: Client
) -> None:
    note = _note(record)

    _sign(trainee, note)

    stored = SessionNote.objects.get(pk=note.pk)
    assert (stored.status, stored.signed_by, stored.cosigned_by, stored.hash_verified()) == (
        "awaiting_cosign",
        trainee,
        None,
        True,
    )
    assert list(selectors.cosign_queue(supervisor=supervisor)) == [stored]


def test_a_note_with_problems_is_not_signed(signer: User, record: Client) -> None:
    note = _note(record, overdose_risk="acute")
    before = _stored(note)

    with pytest.raises(ValidationError) as refused:
        _sign(signer, note)

    assert refused.value.messages == [ACTIONS]
    assert _stored(note) == before
    assert _events("note.sign") == []


def test_only_the_author_signs(signer: User, other_therapist: User, record: Client) -> None:
    other_therapist.set_password(TEST_PASSWORD)
    other_therapist.save(update_fields=["password"])
    note = _note(record)
    before = _stored(note)

    with pytest.raises(PermissionDenied):
        _sign(other_therapist, note)

    assert _stored(note) == before


def test_signing_from_a_stale_version_is_refused(signer: User, record: Client) -> None:
    note = _note(record)
    loaded = SessionNote.objects.get(pk=note.pk)
    _save(signer, note, data="Changed in another tab.")
    before = _stored(note)

    with pytest.raises(NoteConflict):
        services.note_sign(actor=signer, note=loaded, password=TEST_PASSWORD, expected_version=1)

    assert _stored(note) == before


def test_a_signed_note_is_not_signed_again(signer: User, record: Client) -> None:
    note = _note(record)
    _sign(signer, note)
    before = _stored(note)

    with pytest.raises(NoteLockedError):
        _sign(signer, note)

    assert _stored(note) == before


def test_signing_writes_the_use_since_last_session_as_check_ins(
    signer: User, record: Client
) -> None:
    alcohol = SubstanceUseFactory(client=record)
    cannabis = SubstanceUseFactory(client=record, substance="cannabis")
    elsewhere = SubstanceUseFactory(client=ClientFactory(therapist=signer))
    note = _note(
        record,
        use_entries=[
            {
                "substance": alcohol.pk,
                "week": "2026-10-26",
                "use_days": 3,
                "days_above_plan": 1,
                "amount": "2.5",
                "unit": "drinks",
            },
            # A Wednesday: the check-in is for the week it falls in.
            {
                "substance": cannabis.pk,
                "week": "2026-10-28",
                "use_days": 0,
                "days_above_plan": 0,
                "amount": "",
                "unit": "",
            },
            # Another client's substance, and a week left blank: both skipped.
            {"substance": elsewhere.pk, "week": "2026-10-26", "use_days": 2},
            {"substance": alcohol.pk, "week": "2026-10-19", "use_days": None},
        ],
    )

    _sign(signer, note)

    rows = [
        (
            c.client,
            c.substance,
            c.week_start,
            c.use_days,
            c.days_above_plan,
            c.typical_amount,
            c.amount_unit,
            c.recorded_by,
            c.source_note_id,
        )
        for c in UseCheckIn.objects.order_by("substance_id")
    ]
    assert rows == [
        (
            record,
            alcohol,
            datetime.date(2026, 10, 26),
            3,
            1,
            Decimal("2.5"),
            "drinks",
            signer,
            note.pk,
        ),
        (record, cannabis, datetime.date(2026, 10, 26), 0, 0, None, "", signer, note.pk),
    ]
    assert len(_events("checkin.record")) == 2


def test_a_draft_writes_no_check_ins(therapist: User, record: Client) -> None:
    alcohol = SubstanceUseFactory(client=record)

    _save(
        therapist,
        _note(record),
        use_entries=[{"substance": alcohol.pk, "week": "2030-02-25", "use_days": 3}],
    )

    assert UseCheckIn.objects.count() == 0


# --- Co-signature and return -------------------------------------------------------------------


@pytest.fixture
def awaiting(trainee: User, record: Client) -> SessionNote:
    note = _note(record)
    return _sign(trainee, note)


def test_the_supervisor_co_signs(trainee: User, supervisor: User, awaiting: SessionNote) -> None:
    services.note_cosign_verified(actor=supervisor, note=awaiting)

    stored = SessionNote.objects.get(pk=awaiting.pk)
    assert (stored.status, stored.cosigned_by, stored.signed_by, stored.version) == (
        "cosigned",
        supervisor,
        trainee,
        3,
    )
    assert stored.cosigned_at is not None
    assert stored.hash_verified() is True
    assert [(r.reviewer, r.decision, r.comments) for r in stored.reviews.all()] == [
        (supervisor, "cosigned", "")
    ]
    assert _events("note.cosign") == [
        (
            "change",
            supervisor.pk,
            "therapy_sessions.sessionnote",
            str(awaiting.pk),
            "C-NOTE1",
            {"status": ["awaiting_cosign", "cosigned"]},
            "",
        )
    ]
    assert list(selectors.cosign_queue(supervisor=supervisor)) == []


def _ended_supervisor(trainee: User) -> User:
    """A supervisor whose supervision of the trainee has ended."""
    former = SupervisorFactory()
    SupervisionFactory(supervisor=former, supervisee=trainee, ended_at=timezone.now())
    return former


@pytest.mark.parametrize("who", ["other_supervisor", "former_supervisor", "the_author"])
@pytest.mark.parametrize("decision", ["cosign", "return"])
def test_only_a_current_supervisor_of_the_author_decides(
    trainee: User,
    other_supervisor: User,
    awaiting: SessionNote,
    who: str,
    decision: str,
) -> None:
    actor = {
        "other_supervisor": other_supervisor,
        "former_supervisor": _ended_supervisor(trainee),
        "the_author": trainee,
    }[who]
    before = _stored(awaiting)

    with pytest.raises(PermissionDenied):
        if decision == "cosign":
            services.note_cosign_verified(actor=actor, note=awaiting)
        else:
            services.note_return(actor=actor, note=awaiting, comments="Revise.")

    assert _stored(awaiting) == before
    assert NoteReview.objects.count() == 0


@pytest.mark.parametrize("comments", ["", "   \n  "])
def test_a_return_needs_comments(supervisor: User, awaiting: SessionNote, comments: str) -> None:
    before = _stored(awaiting)

    with pytest.raises(ValidationError) as refused:
        services.note_return(actor=supervisor, note=awaiting, comments=comments)

    assert refused.value.message_dict == {"comments": [RETURN_NEEDS_COMMENTS]}
    assert _stored(awaiting) == before
    assert NoteReview.objects.count() == 0


def test_a_return_reopens_the_draft_and_keeps_the_comments(
    trainee: User, supervisor: User, awaiting: SessionNote
) -> None:
    services.note_return(
        actor=supervisor,
        note=awaiting,
        comments="  Please say what was done about the overdose risk.  ",
    )

    stored = SessionNote.objects.get(pk=awaiting.pk)
    assert (
        stored.status,
        stored.signed_at,
        stored.signed_by,
        stored.content_hash,
        stored.cosigned_by,
        stored.version,
        stored.data,
    ) == ("draft", None, None, "", None, 3, "Described the week.")
    assert [(r.reviewer, r.decision, r.comments) for r in stored.reviews.all()] == [
        (supervisor, "returned", "Please say what was done about the overdose risk.")
    ]
    assert _events("note.return") == [
        (
            "change",
            supervisor.pk,
            "therapy_sessions.sessionnote",
            str(awaiting.pk),
            "C-NOTE1",
            {"status": ["awaiting_cosign", "draft"]},
            "",
        )
    ]
    assert selectors.notes_of(author=trainee)["returned"] == [stored]


def test_a_returned_note_is_revised_signed_again_and_co_signed(
    trainee: User, supervisor: User, awaiting: SessionNote
) -> None:
    services.note_return(actor=supervisor, note=awaiting, comments="Add the plan.")
    _save(trainee, awaiting, plan="Eat before going out; text a friend at midnight.")

    resigned = _sign(trainee, awaiting)

    assert (resigned.status, resigned.version) == ("awaiting_cosign", 5)
    stored = SessionNote.objects.get(pk=awaiting.pk)
    assert stored.hash_verified() is True
    assert stored.plan == "Eat before going out; text a friend at midnight."

    services.note_cosign_verified(actor=supervisor, note=stored)

    final = SessionNote.objects.get(pk=awaiting.pk)
    assert (final.status, final.cosigned_by, final.hash_verified()) == (
        "cosigned",
        supervisor,
        True,
    )
    assert [(r.decision, r.comments) for r in final.reviews.all()] == [
        ("returned", "Add the plan."),
        ("cosigned", ""),
    ]


@pytest.mark.parametrize("status", ["draft", "signed"])
def test_only_a_note_awaiting_co_signature_is_reviewed(
    signer: User, supervisor: User, record: Client, status: str
) -> None:
    note = _note(record)
    if status == "signed":
        note = _sign(signer, note)
    before = _stored(note)

    for decide in (
        lambda: services.note_cosign_verified(actor=supervisor, note=note),
        lambda: services.note_return(actor=supervisor, note=note, comments="x"),
    ):
        with pytest.raises(ValidationError) as refused:
            decide()
        assert refused.value.messages == ["This note is not waiting for co-signature."]

    assert _stored(note) == before


# --- Addenda -----------------------------------------------------------------------------------


def test_an_addendum_is_refused_on_a_draft(therapist: User, record: Client) -> None:
    note = _note(record)

    with pytest.raises(ValidationError) as refused:
        services.note_add_addendum(actor=therapist, note=note, text="Later.")

    assert refused.value.messages == [ADDENDUM_ON_DRAFT]
    assert NoteAddendum.objects.count() == 0


def test_an_addendum_of_20000_characters_is_kept(therapist: User, record: Client) -> None:
    note = sign_note(_note(record))
    text = "a" * 19_999 + "z"

    addendum = services.note_add_addendum(actor=therapist, note=note, text=text)

    stored = NoteAddendum.objects.get()
    assert (stored.pk, stored.note, stored.author, stored.text) == (
        addendum.pk,
        note,
        therapist,
        text,
    )
    assert len(stored.text) == 20_000
    assert _events("note.addendum") == [
        ("change", therapist.pk, "therapy_sessions.sessionnote", str(note.pk), "C-NOTE1", {}, "")
    ]
    assert SessionNote.objects.get(pk=note.pk).hash_verified() is True


def test_an_addendum_of_20001_characters_is_refused(therapist: User, record: Client) -> None:
    note = sign_note(_note(record))

    with pytest.raises(ValidationError) as refused:
        services.note_add_addendum(actor=therapist, note=note, text="a" * 20_001)

    assert refused.value.message_dict == {
        "text": ["An addendum is limited to 20,000 characters (this one has 20001)."]
    }
    assert NoteAddendum.objects.count() == 0


def test_a_blank_addendum_is_refused(therapist: User, record: Client) -> None:
    note = sign_note(_note(record))

    with pytest.raises(ValidationError) as refused:
        services.note_add_addendum(actor=therapist, note=note, text="  \n ")

    assert refused.value.message_dict == {"text": ["Write the addendum."]}
    assert NoteAddendum.objects.count() == 0


# --- Attendance once a note exists -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "notice_hours"),
    [
        (Appointment.Status.NO_SHOW, None),
        (Appointment.Status.CANCELLED_CLIENT, 2),
        (Appointment.Status.CANCELLED_CLINIC, 30),
        (Appointment.Status.SCHEDULED, None),
    ],
)
@pytest.mark.parametrize("signed", [False, True], ids=["draft", "signed"])
def test_attendance_stays_attended_once_a_note_exists(
    therapist: User, record: Client, status: str, notice_hours: int | None, signed: bool
) -> None:
    note = _note(record)
    if signed:
        sign_note(note)
    appointment = note.appointment
    events = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        services.appointment_record_attendance(
            actor=therapist,
            appointment=appointment,
            status=status,
            notice_hours=notice_hours,
        )

    assert refused.value.message_dict == {"status": [HAS_NOTE]}
    appointment.refresh_from_db()
    assert (appointment.status, appointment.notice_hours) == ("attended", None)
    assert AuditEvent.objects.count() == events


# --- Rating alerts -----------------------------------------------------------------------------


def _rated(record: Client, day: datetime.date, ratings: tuple[int, int, int, int]) -> SessionNote:
    """An earlier session whose four ratings are `ratings`."""
    return _note(record, day, **dict(zip(SessionNote.RATING_FIELDS, ratings, strict=True)))


def _rate(therapist: User, note: SessionNote, ratings: tuple[int, int, int, int]) -> None:
    _save(therapist, note, **dict(zip(SessionNote.RATING_FIELDS, ratings, strict=True)))


def _alerts() -> list[tuple[Any, ...]]:
    return [
        (a.note_id, a.client_id, a.reason, a.total, a.running_average)
        for a in RatingAlert.objects.order_by("id")
    ]


@pytest.mark.parametrize(
    ("ratings", "alerted"),
    [((8, 7, 7, 7), True), ((8, 8, 7, 7), False), ((0, 0, 0, 0), True), ((10, 10, 10, 10), False)],
    ids=["29", "30", "0", "40"],
)
def test_a_rating_under_the_threshold_raises_an_alert(
    therapist: User, record: Client, ratings: tuple[int, int, int, int], alerted: bool
) -> None:
    note = _note(record)

    _rate(therapist, note, ratings)

    expected = [(note.pk, record.pk, "threshold", sum(ratings), None)] if alerted else []
    assert _alerts() == expected


@override_settings(RATING_ALERT_THRESHOLD=20)
def test_the_threshold_is_the_clinics_setting(therapist: User, record: Client) -> None:
    note = _note(record)

    _rate(therapist, note, (5, 5, 5, 4))
    assert _alerts() == [(note.pk, record.pk, "threshold", 19, None)]

    _rate(therapist, note, (5, 5, 5, 5))
    assert _alerts() == []


@pytest.mark.parametrize(
    ("ratings", "alerted"),
    [((8, 8, 8, 8), True), ((9, 8, 8, 8), False)],
    ids=["5-below", "4-below"],
)
def test_a_drop_of_five_below_the_running_average_raises_an_alert(
    therapist: User, record: Client, ratings: tuple[int, int, int, int], alerted: bool
) -> None:
    _rated(record, MONDAY - datetime.timedelta(weeks=2), (10, 10, 9, 9))  # 38
    _rated(record, MONDAY - datetime.timedelta(weeks=1), (9, 9, 9, 9))  # 36
    note = _note(record)

    _rate(therapist, note, ratings)

    expected = [(note.pk, record.pk, "drop", sum(ratings), Decimal("37.0"))] if alerted else []
    assert _alerts() == expected


def test_a_drop_needs_two_earlier_ratings(therapist: User, record: Client) -> None:
    _rated(record, MONDAY - datetime.timedelta(weeks=1), (10, 10, 10, 10))
    # Later sessions, another client's and an earlier unrated one are not "earlier ratings".
    _rated(record, MONDAY + datetime.timedelta(weeks=1), (10, 10, 10, 10))
    _rated(ClientFactory(therapist=therapist), MONDAY - datetime.timedelta(weeks=2), (9, 9, 9, 9))
    _note(record, MONDAY - datetime.timedelta(weeks=3))
    note = _note(record)

    _rate(therapist, note, (8, 8, 8, 8))  # 8 under the one earlier rating, above the threshold

    assert _alerts() == []


def test_the_running_average_keeps_one_decimal(therapist: User, record: Client) -> None:
    _rated(record, MONDAY - datetime.timedelta(weeks=3), (10, 10, 9, 9))  # 38
    _rated(record, MONDAY - datetime.timedelta(weeks=2), (10, 9, 9, 9))  # 37
    _rated(record, MONDAY - datetime.timedelta(weeks=1), (10, 9, 9, 9))  # 37
    note = _note(record)

    _rate(therapist, note, (8, 8, 8, 8))  # 32: 5.33 under 37.33

    assert _alerts() == [(note.pk, record.pk, "drop", 32, Decimal("37.3"))]


def test_under_the_threshold_and_a_drop_gives_both(therapist: User, record: Client) -> None:
    _rated(record, MONDAY - datetime.timedelta(weeks=2), (10, 10, 10, 10))
    _rated(record, MONDAY - datetime.timedelta(weeks=1), (10, 10, 10, 10))
    note = _note(record)

    _rate(therapist, note, (8, 7, 7, 7))

    assert _alerts() == [(note.pk, record.pk, "both", 29, Decimal("40.0"))]


def test_incomplete_ratings_raise_no_alert(therapist: User, record: Client) -> None:
    note = _note(record)

    _save(therapist, note, rating_heard=0, rating_wanted=0, rating_approach=0)

    assert _alerts() == []


def test_an_alert_clears_when_the_rating_is_corrected_before_it_is_seen(
    therapist: User, record: Client
) -> None:
    note = _note(record)
    _rate(therapist, note, (8, 7, 7, 7))
    assert _alerts() == [(note.pk, record.pk, "threshold", 29, None)]

    _rate(therapist, note, (8, 8, 7, 7))

    assert _alerts() == []
    assert list(selectors.open_rating_alerts(user=therapist)) == []


def test_an_alert_is_updated_when_the_rating_is_corrected_lower(
    therapist: User, record: Client
) -> None:
    note = _note(record)
    _rate(therapist, note, (8, 7, 7, 7))
    [alert] = RatingAlert.objects.all()

    _rate(therapist, note, (5, 5, 5, 5))

    assert _alerts() == [(note.pk, record.pk, "threshold", 20, None)]
    assert RatingAlert.objects.get().pk == alert.pk


def test_an_acknowledged_alert_stays_as_it_was(
    therapist: User, supervisor: User, record: Client
) -> None:
    note = _note(record)
    _rate(therapist, note, (8, 7, 7, 7))
    alert = RatingAlert.objects.get()
    services.rating_alert_acknowledge(actor=supervisor, alert=alert)

    _rate(therapist, note, (10, 10, 10, 10))

    assert _alerts() == [(note.pk, record.pk, "threshold", 29, None)]
    stored = RatingAlert.objects.get()
    assert stored.acknowledged_by == supervisor
    assert stored.acknowledged_at is not None
    assert list(selectors.open_rating_alerts(user=therapist)) == []
    assert _events("rating_alert.acknowledge") == [
        (
            "change",
            supervisor.pk,
            "therapy_sessions.ratingalert",
            str(alert.pk),
            "C-NOTE1",
            {},
            "",
        )
    ]


# --- Late notes --------------------------------------------------------------------------------

NOW = at(datetime.date(2030, 4, 10), "12:00")


def _ended(record: Client, ago: datetime.timedelta, **kwargs: Any) -> Appointment:
    """An attended 50-minute session of `record` that ended `ago` before NOW."""
    ends_at = NOW - ago
    return AttendedAppointmentFactory(
        client=record,
        starts_at=ends_at - datetime.timedelta(minutes=50),
        ends_at=ends_at,
        **kwargs,
    )


def _late(therapist: User) -> list[Appointment]:
    return list(selectors.late_notes(therapist_ids=[therapist.pk], now=NOW))


def test_a_session_without_a_note_is_late_from_24_hours_after_it_ended(
    therapist: User, record: Client
) -> None:
    exactly = _ended(record, datetime.timedelta(hours=24))
    _ended(record, datetime.timedelta(hours=24) - datetime.timedelta(minutes=1))
    _ended(record, datetime.timedelta(hours=1))
    long_ago = _ended(record, datetime.timedelta(days=30))

    assert _late(therapist) == [long_ago, exactly]


@override_settings(LATE_NOTE_HOURS=48)
def test_the_late_note_hours_are_the_clinics_setting(therapist: User, record: Client) -> None:
    _ended(record, datetime.timedelta(hours=47, minutes=59))
    exactly = _ended(record, datetime.timedelta(hours=48))

    assert _late(therapist) == [exactly]


@pytest.mark.parametrize(
    ("status", "late"),
    [
        (Status.DRAFT, True),
        (Status.AWAITING_COSIGN, False),
        (Status.SIGNED, False),
        (Status.COSIGNED, False),
    ],
)
def test_a_draft_counts_as_late_and_a_signed_note_does_not(
    therapist: User, record: Client, status: str, late: bool
) -> None:
    appointment = _ended(record, datetime.timedelta(hours=25))
    signed = status != Status.DRAFT
    SessionNoteFactory(
        appointment=appointment,
        status=status,
        signed_at=NOW - datetime.timedelta(hours=1) if signed else None,
        content_hash="0" * 64 if signed else "",
    )

    assert _late(therapist) == ([appointment] if late else [])


@pytest.mark.parametrize(
    "status",
    [
        Appointment.Status.SCHEDULED,
        Appointment.Status.NO_SHOW,
        Appointment.Status.CANCELLED_CLIENT,
        Appointment.Status.RESCHEDULED,
    ],
)
def test_only_attended_sessions_can_be_late(therapist: User, record: Client, status: str) -> None:
    _ended(record, datetime.timedelta(hours=25), status=status)

    assert _late(therapist) == []


def test_late_notes_are_only_the_named_therapists(
    therapist: User, other_therapist: User, record: Client
) -> None:
    mine = _ended(record, datetime.timedelta(hours=25))
    theirs = _ended(ClientFactory(therapist=other_therapist), datetime.timedelta(hours=25))

    assert _late(therapist) == [mine]
    assert _late(other_therapist) == [theirs]
    assert list(
        selectors.late_notes(therapist_ids=[therapist.pk, other_therapist.pk], now=NOW)
    ) == [mine, theirs]


# --- The weeks a note's follow-back covers -----------------------------------------------------

WEDNESDAY = datetime.date(2030, 3, 20)  # the week of Monday 18 March


def _weeks(record: Client, previous: datetime.date | None, **kwargs: Any) -> list[datetime.date]:
    if previous is not None:
        AttendedAppointmentFactory(client=record, starts_at=at(previous, "10:00"), **kwargs)
    appointment = AttendedAppointmentFactory(client=record, starts_at=at(WEDNESDAY, "10:00"))
    return selectors.covered_weeks(appointment)


def test_a_first_session_asks_about_the_last_completed_week(record: Client) -> None:
    assert _weeks(record, None) == [datetime.date(2030, 3, 11)]


def test_a_weekly_session_asks_about_one_week(record: Client) -> None:
    assert _weeks(record, datetime.date(2030, 3, 13)) == [datetime.date(2030, 3, 11)]


def test_a_fortnightly_session_asks_about_two_weeks(record: Client) -> None:
    assert _weeks(record, datetime.date(2030, 3, 6)) == [
        datetime.date(2030, 3, 4),
        datetime.date(2030, 3, 11),
    ]


def test_sessions_in_the_same_week_ask_about_the_last_completed_week(record: Client) -> None:
    assert _weeks(record, datetime.date(2030, 3, 18)) == [datetime.date(2030, 3, 11)]


@pytest.mark.parametrize(
    "previous",
    [datetime.date(2030, 2, 20), datetime.date(2030, 2, 13), datetime.date(2030, 1, 23)],
    ids=["4-weeks", "5-weeks", "8-weeks"],
)
def test_at_most_four_weeks_are_asked_about(record: Client, previous: datetime.date) -> None:
    assert _weeks(record, previous) == [
        datetime.date(2030, 2, 18),
        datetime.date(2030, 2, 25),
        datetime.date(2030, 3, 4),
        datetime.date(2030, 3, 11),
    ]


def test_a_missed_or_another_clients_session_is_not_the_previous_one(
    therapist: User, record: Client
) -> None:
    AttendedAppointmentFactory(
        client=ClientFactory(therapist=therapist), starts_at=at(datetime.date(2030, 3, 6), "10:00")
    )

    assert _weeks(record, datetime.date(2030, 3, 13), status=Appointment.Status.NO_SHOW) == [
        datetime.date(2030, 3, 11)
    ]


# --- Language hints ----------------------------------------------------------------------------

HINTS_FILE = Path(__file__).resolve().parents[2] / "hrp" / "data" / "language_hints.json"

# One sentence per term in the JSON, and what each should be found as.
SAMPLES = {
    "addict": ("He calls himself an addict.", "addict"),
    "junkie": ("Neighbours call her a junkie.", "junkie"),
    "abuser": ("Referred as a drug abuser.", "drug abuser"),
    "substance abuse": ("History of alcohol abuse.", "alcohol abuse"),
    "alcoholic": ("Her father was an alcoholic.", "alcoholic"),
    "clean": ("Has been clean and sober since May.", "clean and sober"),
    "dirty": ("The test came back dirty.", "dirty"),
    "relapse": ("Relapsed over the holidays.", "Relapsed"),
    "failed": ("Failed treatment twice before.", "Failed treatment"),
    "non-compliant": ("Was non-compliant with the medication.", "non-compliant"),
    "in denial": ("Seems in denial about the drinking.", "in denial"),
    "drug-seeking": ("Staff called it drug-seeking.", "drug-seeking"),
}


def _json_hints() -> dict[str, tuple[str, ...]]:
    entries = json.loads(HINTS_FILE.read_text(encoding="utf-8"))["hints"]
    return {e["term"]: tuple(e["suggest"]) for e in entries}


def test_every_term_in_the_list_has_a_sample_here() -> None:
    assert sorted(SAMPLES) == sorted(_json_hints())


@pytest.mark.parametrize("term", sorted(SAMPLES))
def test_each_term_finds_its_suggestions(term: str) -> None:
    text, found = SAMPLES[term]

    assert language_hints(text) == [
        LanguageHint(term=term, found=found, suggest=_json_hints()[term])
    ]


@pytest.mark.parametrize(
    "text",
    [
        "A person who uses drugs; a return to use on two days, within the plan otherwise.",
        "Not using since Tuesday; the test was negative.",
        "Chose not to take the medication this week: the plan did not fit yet.",
        "",
    ],
)
def test_person_first_text_gives_no_hint(text: str) -> None:
    assert language_hints(text) == []


@pytest.mark.parametrize(
    ("text", "found"), [("ADDICT", "ADDICT"), ("Addicts", "Addicts"), ("aDdIcT", "aDdIcT")]
)
def test_hints_ignore_case(text: str, found: str) -> None:
    assert [(h.term, h.found) for h in language_hints(text)] == [("addict", found)]


@pytest.mark.parametrize(
    "text",
    [
        "Spent the morning cleaning the flat.",
        "Read a book about addiction.",
        "Took a dirtyish old coat to the shelter.",
        "Talked about the junkyard where he works.",
        "A noncompliantly long sentence.",
    ],
)
def test_hints_match_whole_words_only(text: str) -> None:
    assert language_hints(text) == []


def test_each_term_is_found_once_in_the_order_of_the_list() -> None:
    hints = language_hints("Called a junkie.", "An addict, addict.", "", "Another junkie.")

    assert [(h.term, h.found) for h in hints] == [("addict", "addict"), ("junkie", "junkie")]
