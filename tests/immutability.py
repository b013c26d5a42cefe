"""Test helpers for the immutability triggers (hrp.immutability): a plain database session,
and the rows each append-only table needs for its triggers to have something to refuse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction
from django.db.backends.utils import CursorWrapper

from assessments.models import Administration, HarmAssessment, IdentifiedHarm, SubstancePattern
from billing.models import DiagnosisChange
from clients.models import IdentityDecision, MedicalEvaluation
from disclosures.models import Disclosure
from goals.models import PlanReview, PlanVersion
from groups.models import GroupNoteReview
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from linkage.models import ReferralStatusChange
from risk.models import RiskFollowUp
from safety.models import OverdosePlanVersion, SafetyPlanVersion
from selfreport.models import PracticeLog, UseDiary
from sessions import services
from sessions.models import (
    ClientSessionRating,
    ContactAddendum,
    ContactReview,
    NoteAddendum,
    NoteReview,
    SessionNote,
)
from supplies.models import SupplyRecord, SupplyVoid
from tests.assessments.factories import AdministrationFactory
from tests.assessments.factories_harm import (
    HarmAssessmentFactory,
    IdentifiedHarmFactory,
    SubstancePatternFactory,
)
from tests.billing.factories import DiagnosisChangeFactory
from tests.clients.factories import IdentityDecisionFactory, MedicalEvaluationFactory
from tests.disclosures.factories import DisclosureFactory
from tests.factories import SupervisionFactory
from tests.goals.factories_plan import PlanReviewFactory, PlanVersionFactory
from tests.groups.factories import returned_group_review
from tests.linkage.factories import StatusChangeFactory
from tests.risk.factories import RiskFollowUpFactory
from tests.safety.factories import OverdosePlanVersionFactory, SafetyPlanVersionFactory
from tests.selfreport.factories import PracticeLogFactory, UseDiaryFactory
from tests.sessions.factories import (
    ClientSessionRatingFactory,
    OutsideContactFactory,
    SessionNoteFactory,
    sign_contact,
    sign_note,
)
from tests.supplies.factories import SupplyRecordFactory, SupplyVoidFactory


def signed_note() -> SessionNote:
    return sign_note(SessionNoteFactory())


def addendum(text: str = "The session ran ten minutes over.") -> NoteAddendum:
    note = signed_note()
    return services.note_add_addendum(actor=note.author, note=note, text=text)


def returned_review(comments: str = "Please say more about the plan.") -> NoteReview:
    note = SessionNoteFactory()
    note.author.requires_cosign = True
    note.author.save(update_fields=["requires_cosign"])
    supervisor = SupervisionFactory(supervisee=note.author).supervisor
    note = sign_note(note)
    services.note_return(actor=supervisor, note=note, comments=comments)
    return NoteReview.objects.get(note=note)


def contact_addendum(text: str = "The call was at 15:30.") -> ContactAddendum:
    contact = sign_contact(OutsideContactFactory())
    return services.contact_add_addendum(actor=contact.author, contact=contact, text=text)


def contact_returned_review(comments: str = "Say what was agreed.") -> ContactReview:
    contact = OutsideContactFactory()
    contact.author.requires_cosign = True
    contact.author.save(update_fields=["requires_cosign"])
    supervisor = SupervisionFactory(supervisee=contact.author).supervisor
    contact = sign_contact(contact)
    services.contact_return(actor=supervisor, contact=contact, comments=comments)
    return ContactReview.objects.get(contact=contact)


# One stored row of every append-only table. A test checks that this covers every model that
# declares append_only(), so a new append-only table cannot go untested.
ROW_MAKERS: dict[type[models.Model], Callable[[], models.Model]] = {
    AuditEvent: lambda: audit_record(
        category=AuditEvent.Category.ACCESS, action=AuditAction.CLIENT_VIEW_OVERVIEW
    ),
    Disclosure: DisclosureFactory,
    NoteAddendum: addendum,
    NoteReview: returned_review,
    ContactAddendum: contact_addendum,
    ContactReview: contact_returned_review,
    PlanVersion: PlanVersionFactory,
    PlanReview: PlanReviewFactory,
    SafetyPlanVersion: SafetyPlanVersionFactory,
    OverdosePlanVersion: OverdosePlanVersionFactory,
    Administration: AdministrationFactory,
    HarmAssessment: HarmAssessmentFactory,
    SubstancePattern: SubstancePatternFactory,
    IdentifiedHarm: IdentifiedHarmFactory,
    RiskFollowUp: RiskFollowUpFactory,
    ReferralStatusChange: StatusChangeFactory,
    DiagnosisChange: DiagnosisChangeFactory,
    MedicalEvaluation: MedicalEvaluationFactory,
    IdentityDecision: IdentityDecisionFactory,
    SupplyRecord: SupplyRecordFactory,
    SupplyVoid: SupplyVoidFactory,
    GroupNoteReview: returned_group_review,
    ClientSessionRating: ClientSessionRatingFactory,
    PracticeLog: PracticeLogFactory,
    UseDiary: UseDiaryFactory,
}


def execute(sql: str, params: list[Any] | None = None) -> int:
    """One raw statement in its own savepoint (a refusal leaves the test's transaction usable);
    the number of rows it touched."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@contextmanager
def plain_session() -> Iterator[CursorWrapper]:
    """The rest of the block as a database login like the web app's: no superuser, not a
    member of the rotation role, yet holding every privilege on every table, so that whatever
    is refused is refused by a trigger and not by a missing grant.

    The role is created inside the test's transaction (rolled back with it); its name carries
    the database's so parallel test runs on one server do not wait on each other."""
    role = connection.ops.quote_name(f"hrp_plain_{connection.settings_dict['NAME']}"[:63])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"SET LOCAL SESSION AUTHORIZATION {role}")
        try:
            yield cursor
        finally:
            cursor.execute("RESET SESSION AUTHORIZATION")


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]
