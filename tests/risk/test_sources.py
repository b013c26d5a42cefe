"""Each risk source opens exactly one flag, through its own service; again is idempotent."""

from __future__ import annotations

import pytest

from assessments import services as assessment_services
from assessments.measures import PHQ9
from clients.models import Client, SubstanceUse
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from risk import services
from risk.models import RiskFlag
from sessions import services as session_services
from tests.assessments.factories import answers_for
from tests.clients.factories import SubstanceUseFactory
from tests.sessions.factories import SessionNoteFactory, sign_note

S = SubstanceUse.Substance


def _flags() -> list[tuple[str, str, str, str, int, str]]:
    return list(
        RiskFlag.objects.order_by("pk").values_list(
            "kind", "level", "state", "source_key", "source_id", "source_description"
        )
    )


def _phq9(therapist: User, client: Client, q9: str, **kw: object):
    answers = {**answers_for(PHQ9, 4), "q9": q9}
    return assessment_services.administration_record(
        actor=therapist, client=client, measure_code="PHQ9", answers=answers, **kw
    )


# --- PHQ-9 question 9 ----------------------------------------------------------------------


@pytest.mark.parametrize("q9, level", [("1", "some"), ("2", "acute"), ("3", "acute")])
def test_phq9_question_9_above_0_opens_one_suicide_flag(
    therapist: User, record: Client, q9: str, level: str
) -> None:
    administration = _phq9(therapist, record, q9)

    assert _flags() == [
        ("suicide", level, "open", "assessments.phq9", administration.pk, "PHQ-9 question 9")
    ]
    flag = RiskFlag.objects.get()
    assert (flag.client, flag.opened_by, flag.opened_at) == (
        record,
        therapist,
        administration.administered_at,
    )
    assert AuditEvent.objects.filter(action="risk.raise", object_id=flag.pk).count() == 1


def test_phq9_question_9_at_0_opens_no_flag(therapist: User, record: Client) -> None:
    _phq9(therapist, record, "0")
    assert _flags() == []


def test_a_correction_keeps_the_sittings_one_flag_and_may_raise_it_to_acute(
    therapist: User, record: Client
) -> None:
    first = _phq9(therapist, record, "1")
    _phq9(therapist, record, "2", corrects=first, correction_reason="Misread the answer")

    assert _flags() == [
        ("suicide", "acute", "open", "assessments.phq9", first.pk, "PHQ-9 question 9")
    ]
    assert AuditEvent.objects.filter(action="risk.escalate").count() == 1


# --- Harm assessment: overdose factors fitted to the substance ----------------------------------


def _harm(therapist: User, client: Client, **factors: bool):
    return assessment_services.harm_assessment_record(
        actor=therapist, client=client, values=factors, patterns=[]
    )


def test_alcohol_alone_and_using_alone_opens_no_overdose_flag(
    therapist: User, record: Client
) -> None:
    SubstanceUseFactory(client=record, substance=S.ALCOHOL)

    _harm(therapist, record, uses_alone=True, mixes_depressants=True)

    assert _flags() == []


def test_opioids_and_using_alone_open_one_overdose_flag(therapist: User, record: Client) -> None:
    SubstanceUseFactory(client=record, substance=S.ALCOHOL)
    SubstanceUseFactory(client=record, substance=S.HEROIN_FENTANYL)

    assessment = _harm(therapist, record, uses_alone=True, mixes_depressants=True)

    assert _flags() == [
        (
            "overdose",
            "some",
            "open",
            "assessments.harm",
            assessment.pk,
            "Harm assessment: using alone, mixing depressants (opioids with alcohol or "
            "benzodiazepines)",
        )
    ]


def test_lost_tolerance_after_an_overdose_is_acute_whatever_the_substance(
    therapist: User, record: Client
) -> None:
    SubstanceUseFactory(client=record, substance=S.ALCOHOL)

    assessment = _harm(therapist, record, lowered_tolerance=True, previous_overdose=True)

    assert _flags() == [
        (
            "overdose",
            "acute",
            "open",
            "assessments.harm",
            assessment.pk,
            "Harm assessment: lowered tolerance after a break or release, previous overdose",
        )
    ]


def test_each_harm_assessment_with_factors_opens_its_own_flag(
    therapist: User, record: Client
) -> None:
    SubstanceUseFactory(client=record, substance=S.BENZODIAZEPINES)
    first = _harm(therapist, record, uses_alone=True)
    _harm(therapist, record)  # no factor: no flag
    third = _harm(therapist, record, injects=True)

    assert [row[4] for row in _flags()] == [first.pk, third.pk]


# --- Session notes ------------------------------------------------------------------------------


def _signed(record: Client, *, suicide: str, overdose: str):
    note = SessionNoteFactory(
        appointment__client=record,
        appointment__therapist=record.therapist,
        suicide_risk=suicide,
        overdose_risk=overdose,
        risk_actions="Made a safety plan together."
        if "some" in (suicide, overdose) or "acute" in (suicide, overdose)
        else "",
    )
    return sign_note(note)


def test_a_note_with_suicidal_thoughts_and_overdose_risk_opens_one_flag_of_each(
    record: Client,
) -> None:
    note = _signed(record, suicide="some", overdose="acute")

    assert _flags() == [
        ("suicide", "some", "open", "sessions.note", note.pk, "Session note"),
        ("overdose", "acute", "open", "sessions.note", note.pk, "Session note"),
    ]
    assert RiskFlag.objects.first().opened_at == note.signed_at


def test_a_note_with_no_risk_opens_no_flag(record: Client) -> None:
    _signed(record, suicide="none", overdose="none")
    assert _flags() == []


def test_signing_again_after_a_return_finds_the_same_flag(record: Client, supervisor: User) -> None:
    record.therapist.requires_cosign = True
    record.therapist.save(update_fields=["requires_cosign"])
    note = _signed(record, suicide="some", overdose="none")
    session_services.note_return(actor=supervisor, note=note, comments="Add the client's words.")

    sign_note(note)

    assert _flags() == [("suicide", "some", "open", "sessions.note", note.pk, "Session note")]
    assert AuditEvent.objects.filter(action="risk.raise").count() == 1


# --- The service itself ---------------------------------------------------------------------------


def test_raising_twice_returns_the_same_flag(therapist: User, record: Client) -> None:
    kwargs = {
        "client": record,
        "kind": "overdose",
        "source_key": "sessions.note",
        "source_id": 7,
        "actor": therapist,
    }
    first = services.risk_flag_raise(level="some", **kwargs)
    again = services.risk_flag_raise(level="some", **kwargs)
    acute = services.risk_flag_raise(level="acute", **kwargs)
    not_lowered = services.risk_flag_raise(level="some", **kwargs)

    assert first.pk == again.pk == acute.pk == not_lowered.pk
    assert _flags() == [("overdose", "acute", "open", "sessions.note", 7, "Session note")]


def test_an_unregistered_source_is_refused(therapist: User, record: Client) -> None:
    with pytest.raises(ValueError, match=r"unregistered risk source 'nowhere\.thing'"):
        services.risk_flag_raise(
            client=record,
            kind="suicide",
            level="some",
            source_key="nowhere.thing",
            source_id=1,
            actor=therapist,
        )
    assert _flags() == []
