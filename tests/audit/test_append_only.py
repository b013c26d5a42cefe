"""Every append-only table (each model declaring `append_only()` in Meta.triggers) refuses
UPDATE, DELETE and TRUNCATE in PostgreSQL itself, and no session setting opens it: neither
pgtrigger's own `pgtrigger.ignore` nor the old rotation setting `hrp.note_reencrypt`. Only the
rotation role may rewrite ciphertext, and a plain session cannot become it."""

from __future__ import annotations

import pytest
from django.core import checks
from django.db import DatabaseError, connection, models, transaction

from hrp import crypto
from hrp.immutability import (
    ROTATION_ROLE,
    AppendOnly,
    RotationRefused,
    append_only_models,
    append_only_trigger,
    key_rotation,
)
from sessions.models import NoteAddendum, NoteReview
from tests.immutability import ROW_MAKERS, current_user, execute, plain_session

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL's"),
]

TABLES = sorted(ROW_MAKERS, key=lambda model: model._meta.label)


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _refusal(model: type[models.Model], operation: str) -> str:
    return f"{model._meta.verbose_name_plural} are append-only ({operation} refused)"


def _stored_token(model: type[models.Model], column: str, pk: int) -> str:
    """The ciphertext as stored (the ORM would decrypt it)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM {_table(model)} WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def _count(model: type[models.Model]) -> int:
    return model._base_manager.count()


def test_every_append_only_table_is_covered_here() -> None:
    assert set(append_only_models()) == set(ROW_MAKERS)


def test_the_declared_tables_are_the_append_only_ones() -> None:
    assert sorted(m._meta.label for m in append_only_models()) == [
        "assessments.Administration",
        "assessments.HarmAssessment",
        "assessments.IdentifiedHarm",
        "assessments.SubstancePattern",
        "audit.AuditEvent",
        "billing.DiagnosisChange",
        "clients.IdentityDecision",
        "clients.MedicalEvaluation",
        "disclosures.Disclosure",
        "goals.PlanReview",
        "goals.PlanVersion",
        "groups.GroupNoteReview",
        "linkage.ReferralStatusChange",
        "risk.RiskFollowUp",
        "safety.OverdosePlanVersion",
        "safety.SafetyPlanVersion",
        "selfreport.PracticeLog",
        "selfreport.UseDiary",
        "supplies.SupplyRecord",
        "supplies.SupplyVoid",
        "therapy_sessions.ClientSessionRating",
        "therapy_sessions.ContactAddendum",
        "therapy_sessions.ContactReview",
        "therapy_sessions.NoteAddendum",
        "therapy_sessions.NoteReview",
    ]


def test_every_model_and_its_python_guard_agree() -> None:
    assert [m for m in checks.run_checks(tags=[checks.Tags.models]) if m.id == "hrp.E101"] == []


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m._meta.label)
def test_update_is_refused(model: type[models.Model]) -> None:
    row = ROW_MAKERS[model]()
    before = model._base_manager.filter(pk=row.pk).values().get()

    with pytest.raises(DatabaseError) as refused:
        # Even a statement that changes nothing: the row is not to be touched at all.
        execute(f"UPDATE {_table(model)} SET id = id WHERE id = %s", [row.pk])

    assert str(refused.value).splitlines()[0] == _refusal(model, "UPDATE")
    assert model._base_manager.filter(pk=row.pk).values().get() == before


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m._meta.label)
def test_delete_is_refused(model: type[models.Model]) -> None:
    row = ROW_MAKERS[model]()
    rows = _count(model)

    with pytest.raises(DatabaseError) as refused:
        execute(f"DELETE FROM {_table(model)} WHERE id = %s", [row.pk])

    assert str(refused.value).splitlines()[0] == _refusal(model, "DELETE")
    assert _count(model) == rows


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m._meta.label)
def test_truncate_is_refused(model: type[models.Model]) -> None:
    ROW_MAKERS[model]()
    rows = _count(model)

    # Check the foreign keys of the rows just made now, or PostgreSQL would refuse to truncate
    # a table with checks pending (and CASCADE, so no foreign key refuses first): the trigger
    # must be what refuses.
    execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError) as refused:
        execute(f"TRUNCATE {_table(model)} CASCADE")

    assert str(refused.value).splitlines()[0] == _refusal(model, "TRUNCATE")
    assert _count(model) == rows


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m._meta.label)
def test_no_session_setting_opens_the_table(model: type[models.Model]) -> None:
    row = ROW_MAKERS[model]()
    trigger = append_only_trigger(model)
    assert isinstance(trigger, AppendOnly)

    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            # pgtrigger's template skips any trigger named in this setting; ours has no such hook.
            cursor.execute(
                "SELECT set_config('pgtrigger.ignore', %s, true)",
                ["{" + trigger.get_pgid(model) + "}"],
            )
            cursor.execute("SET LOCAL hrp.note_reencrypt = 'on'")
        execute(f"DELETE FROM {_table(model)} WHERE id = %s", [row.pk])

    assert str(refused.value).splitlines()[0] == _refusal(model, "DELETE")
    assert model._base_manager.filter(pk=row.pk).exists() is True


def test_inserts_still_pass_for_a_plain_session() -> None:
    # Append-only, not read-only: the trail keeps growing.
    ROW_MAKERS[NoteAddendum]()
    with plain_session() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        before = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO audit_auditevent (at, category, action, object_type, object_id,"
            " chart_number, changes, detail, path) VALUES"
            " (now(), 'access', 'client.view.overview', '', '', '', '{}', '', '')"
        )
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        assert cursor.fetchone()[0] == before + 1


# --- The rotation door ----------------------------------------------------------------------


def test_a_plain_session_cannot_become_the_rotation_role() -> None:
    with plain_session():
        with pytest.raises(DatabaseError, match=f'permission denied to set role "{ROTATION_ROLE}"'):
            execute(f"SET LOCAL ROLE {ROTATION_ROLE}")
        with pytest.raises(RotationRefused), transaction.atomic(), key_rotation():
            pass
        assert current_user() != ROTATION_ROLE


@pytest.mark.parametrize(
    ("model", "column"),
    [(NoteAddendum, "text"), (NoteReview, "comments")],
    ids=["addendum", "review"],
)
def test_a_plain_session_cannot_rewrite_ciphertext_even_with_the_old_setting(
    model: type[models.Model], column: str
) -> None:
    row = ROW_MAKERS[model]()
    before = model._base_manager.filter(pk=row.pk).values().get()

    with plain_session() as cursor:
        cursor.execute("SET LOCAL hrp.note_reencrypt = 'on'")
        with pytest.raises(DatabaseError) as refused:
            execute(
                f'UPDATE {_table(model)} SET "{column}" = %s WHERE id = %s',
                [crypto.encrypt("Rewritten after the fact."), row.pk],
            )

    assert str(refused.value).splitlines()[0] == _refusal(model, "UPDATE")
    assert model._base_manager.filter(pk=row.pk).values().get() == before


@pytest.mark.parametrize(
    ("model", "column"),
    [(NoteAddendum, "text"), (NoteReview, "comments")],
    ids=["addendum", "review"],
)
def test_rotation_rewrites_ciphertext_and_nothing_else(
    model: type[models.Model], column: str
) -> None:
    row = ROW_MAKERS[model]()
    plaintext = getattr(row, column)
    old_token = _stored_token(model, column, row.pk)
    new_token = crypto.encrypt(plaintext)

    with transaction.atomic(), key_rotation():
        assert current_user() == ROTATION_ROLE
        touched = execute(
            f'UPDATE {_table(model)} SET "{column}" = %s WHERE id = %s', [new_token, row.pk]
        )
        with pytest.raises(DatabaseError) as refused:
            execute(
                f'UPDATE {_table(model)} SET "{column}" = %s, created_at = now() WHERE id = %s',
                [crypto.encrypt(plaintext), row.pk],
            )
    assert current_user() != ROTATION_ROLE

    stored = model._base_manager.get(pk=row.pk)
    assert touched == 1
    assert str(refused.value).splitlines()[0] == _refusal(model, "UPDATE")
    assert new_token != old_token
    assert _stored_token(model, column, row.pk) == new_token
    assert (getattr(stored, column), stored.created_at, stored.hash_verified()) == (
        plaintext,
        row.created_at,
        True,
    )


def test_the_rotation_role_may_not_delete_or_truncate_at_all() -> None:
    row = ROW_MAKERS[NoteAddendum]()
    refusals = []

    for statement in (
        f"DELETE FROM therapy_sessions_noteaddendum WHERE id = {row.pk}",
        "TRUNCATE therapy_sessions_noteaddendum",
    ):
        with pytest.raises(DatabaseError) as refused, transaction.atomic(), key_rotation():
            execute(statement)
        refusals.append(str(refused.value).splitlines()[0])

    # Refused before any trigger runs: the role holds no DELETE or TRUNCATE privilege.
    assert refusals == ["permission denied for table therapy_sessions_noteaddendum"] * 2
    assert NoteAddendum.objects.filter(pk=row.pk).exists() is True
