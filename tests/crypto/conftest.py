"""One builder per table that holds ciphertext, shared by the registry and rotation tests.

BUILDERS is the tests' own account of what is encrypted: test_registry.py fails when the
registry (what rotation reads) has a table without a builder here, and when a builder leaves
an encrypted field empty, so a new encrypted field cannot go untested by rotation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.models import Model

from hrp import crypto
from tests.assessments.factories_harm import HarmAssessmentFactory, IdentifiedHarmFactory
from tests.billing.factories import DiagnosisChangeFactory
from tests.clients.factories import ClientFactory, MedicalEvaluationFactory
from tests.disclosures.factories import DisclosureFactory
from tests.emergency.factories import EmergencyGrantFactory
from tests.goals.factories_plan import PlanReviewFactory
from tests.groups.factories import group_note, returned_group_review
from tests.linkage.factories import StatusChangeFactory
from tests.risk.factories import RiskFlagFactory, RiskFollowUpFactory, resolve
from tests.safety.factories import (
    OverdosePlanVersionFactory,
    SafetyPlanVersionFactory,
    ToleranceWindowFactory,
)
from tests.selfreport.factories import PracticeLogFactory, UseDiaryFactory
from tests.sessions.factories import (
    OutsideContactFactory,
    SessionNoteFactory,
    sign_contact,
    sign_note,
)
from tests.sessions.factories_review import (
    ContactAddendumFactory,
    ContactReviewFactory,
    NoteAddendumFactory,
    NoteReviewFactory,
)
from tests.summaries.factories import DoneSummaryFactory
from tests.supervision.factories import (
    ChartCommentFactory,
    FidelityReviewFactory,
    SupervisionMeetingFactory,
)
from tests.supplies.factories import SupplyRecordFactory, SupplyVoidFactory
from tests.techniques.factories import (
    ScriptRewriteFactory,
    UseEpisodeChainFactory,
    VoiceDialoguePartFactory,
)

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _notes() -> list[Model]:
    text = {
        "agenda": "The weekend and the wedding.",
        "data": "Kept to three drinks at the wedding.",
        "objective": "Calm, on time.",
        "assessment": "Plan holding.",
        "plan": "Same plan for two weeks.",
        "narrative": "Spoke about the family.",
        "risk_actions": "Naloxone kit offered.",
        "next_time": "Review the plan.",
        "goal_checkins": [{"goal": 1, "note": "Three drinks", "score": 6}],
    }
    return [SessionNoteFactory(**text), sign_note(SessionNoteFactory(**text))]


def _contacts() -> list[Model]:
    text = {
        "kind": "collateral",
        "with_whom": "Sam, partner",
        "summary": "Sam called about the weekend.",
        "risk_actions": "Talked about naloxone at home.",
    }
    # Built directly: a collateral draft's consent is the service's to check, not rotation's.
    return [OutsideContactFactory(**text), sign_contact(OutsideContactFactory(summary="A call."))]


def _signed(record: Model) -> Model:
    sign_note(record.note)  # type: ignore[attr-defined]
    return record


# Label of each table in hrp.crypto.registry() -> a function writing rows in it, among them one
# in which every encrypted field holds a value.
STRENGTHS = {
    "strengths": "I show up for my kids.",
    "supports": "My sister; the running group.",
    "past_changes": "Quit smoking for two years.",
}

BUILDERS: dict[str, Callable[[], list[Model]]] = {
    # Strengths and resources in the client's words, at intake and in a harm assessment.
    "assessments.HarmAssessment": lambda: [HarmAssessmentFactory(**STRENGTHS)],
    "billing.DiagnosisChange": lambda: [DiagnosisChangeFactory()],
    "clients.Intake": lambda: [
        ClientFactory(**{f"intake__{key}": value for key, value in STRENGTHS.items()}).intake
    ],
    "accounts.EmergencyGrant": lambda: [EmergencyGrantFactory()],
    "assessments.IdentifiedHarm": lambda: [IdentifiedHarmFactory()],
    # An attendance report (nothing shared in words) and information sent with a referral.
    "disclosures.Disclosure": lambda: [
        DisclosureFactory(),
        DisclosureFactory(what="referral", shared="Name, date of birth, reason for referral."),
    ],
    "goals.PlanReview": lambda: [PlanReviewFactory()],
    # A draft and a signed group note (its parts locked with it), and a returned one's review.
    "groups.GroupNote": lambda: [group_note(sign=False), group_note()],
    "groups.GroupNoteReview": lambda: [returned_group_review()],
    "groups.MemberNote": lambda: list(group_note().parts.all()),
    "linkage.ReferralStatusChange": lambda: [StatusChangeFactory(note="Wants to start soon.")],
    # A requested summary with its PDF, and a monthly one whose PDF is not made yet.
    "summaries.SummaryRequest": lambda: [
        DoneSummaryFactory(),
        DoneSummaryFactory(kind="monthly", pdf=None, pdf_hash=""),
    ],
    # A resolved flag (its resolution) and a follow-up (what was done).
    "risk.RiskFlag": lambda: [resolve(RiskFlagFactory())],
    "risk.RiskFollowUp": lambda: [RiskFollowUpFactory()],
    "safety.OverdosePlanVersion": lambda: [OverdosePlanVersionFactory()],
    "safety.SafetyPlanVersion": lambda: [SafetyPlanVersionFactory()],
    "safety.ToleranceWindow": lambda: [ToleranceWindowFactory()],
    # What the client reported from their phone: something else practised, a week of use.
    "selfreport.PracticeLog": lambda: [
        PracticeLogFactory(practice="other", practice_other="Walking slowly")
    ],
    "selfreport.UseDiary": lambda: [UseDiaryFactory()],
    "supervision.ChartComment": lambda: [ChartCommentFactory()],
    "supervision.FidelityReview": lambda: [FidelityReviewFactory()],
    "supervision.SupervisionMeeting": lambda: [SupervisionMeetingFactory()],
    "clients.MedicalEvaluation": lambda: [MedicalEvaluationFactory()],
    "supplies.SupplyRecord": lambda: [SupplyRecordFactory(note="Showed how to use it.")],
    "supplies.SupplyVoid": lambda: [SupplyVoidFactory()],
    # A record on a draft note and one on a signed note (locked: rotation is its one door).
    "techniques.ScriptRewrite": lambda: [ScriptRewriteFactory(), _signed(ScriptRewriteFactory())],
    "techniques.UseEpisodeChain": lambda: [UseEpisodeChainFactory()],
    "techniques.VoiceDialoguePart": lambda: [_signed(VoiceDialoguePartFactory())],
    "therapy_sessions.ContactAddendum": lambda: [ContactAddendumFactory()],
    "therapy_sessions.ContactReview": lambda: [ContactReviewFactory()],
    "therapy_sessions.NoteAddendum": lambda: [NoteAddendumFactory()],
    "therapy_sessions.NoteReview": lambda: [NoteReviewFactory()],
    "therapy_sessions.OutsideContact": _contacts,
    "therapy_sessions.SessionNote": _notes,
}


def build_every_table() -> None:
    for build in BUILDERS.values():
        build()


def raw_values(table: crypto.EncryptedTable) -> dict[tuple[Any, str], Any]:
    """The stored (encrypted) value of each (row, column) of `table`."""
    return {
        (pk, column): bytes(value) if isinstance(value, memoryview) else value
        for batch in table.batches(size=1000)
        for pk, values in batch
        for column, value in zip(table.columns, values, strict=True)
    }


def plaintexts() -> dict[tuple[str, Any, str], Any]:
    """What every encrypted field of every registered table reads as, through the models."""
    values: dict[tuple[str, Any, str], Any] = {}
    for table in crypto.registry():
        for row in table.model._base_manager.order_by("pk"):
            for field in table.fields:
                values[(table.label, row.pk, field.name)] = getattr(row, field.attname)
    return values


def verified() -> dict[str, set[Any]]:
    """The rows whose integrity hash verifies, per hashed table."""
    return {
        table.label: table.verified(list(table.model._base_manager.values_list("pk", flat=True)))
        for table in crypto.registry()
        if table.hashed
    }


def ciphertext_columns_in_database() -> set[tuple[str, str]]:
    """(table, column) of every text or bytea column in the database that holds a Fernet token
    (with or without the enc1: prefix): found from the data, not from the models."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() "
            "AND data_type IN ('text', 'character varying', 'bytea')"
        )
        columns = cursor.fetchall()
    found = set()
    quote = connection.ops.quote_name
    for table, column, data_type in columns:
        name = quote(column)
        if data_type == "bytea":
            holds = (
                f"substring({name} from 1 for 5) = 'enc1:'::bytea "
                f"OR substring({name} from 1 for 6) = 'gAAAAA'::bytea"
            )
        else:
            holds = f"{name} LIKE 'enc1:%%' OR {name} LIKE 'gAAAAA%%'"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)} WHERE {holds})")
            if cursor.fetchone()[0]:
                found.add((table, column))
    return found


@pytest.fixture
def every_table_under_the_old_key(db: None, settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    build_every_table()
