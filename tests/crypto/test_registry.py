"""The registry of encrypted fields is what the models declare, and the tests cover all of it.

- `registry()` lists exactly the fields of the installed models that are encrypted field types
  (found here by a scan of every field of every model, auto-created ones included), and every
  table it lists has a builder in conftest.BUILDERS that fills every encrypted field: a new
  encrypted field without one fails here.
- No column in the database holds a Fernet token unless the registry lists it: ciphertext
  written some other way (as summaries once stored theirs, in plain BinaryFields the rotation
  never saw) fails here.
- The rotation command reads the registry: it reports on exactly its tables.
"""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from hrp import crypto
from tests.crypto.conftest import BUILDERS, ciphertext_columns_in_database, raw_values


def _scan() -> set[tuple[str, str]]:
    """(model label, field name) of every encrypted field of every installed model."""
    return {
        (model._meta.label, field.name)
        for model in apps.get_models(include_auto_created=True, include_swapped=True)
        for field in model._meta.get_fields(include_hidden=True)
        if isinstance(field, crypto.EncryptedField)
    }


def _registered() -> set[tuple[str, str]]:
    return {(table.label, field.name) for table in crypto.registry() for field in table.fields}


def test_the_registry_is_every_encrypted_field_of_every_model() -> None:
    assert _registered() == _scan()
    assert sorted(_registered()) == [
        ("accounts.EmergencyGrant", "reason"),
        ("assessments.HarmAssessment", "past_changes"),
        ("assessments.HarmAssessment", "strengths"),
        ("assessments.HarmAssessment", "supports"),
        ("assessments.IdentifiedHarm", "description"),
        ("billing.DiagnosisChange", "reason"),
        ("clients.Intake", "past_changes"),
        ("clients.Intake", "strengths"),
        ("clients.Intake", "supports"),
        ("clients.MedicalEvaluation", "findings"),
        ("disclosures.Disclosure", "shared"),
        ("goals.PlanReview", "harms_changed"),
        ("goals.PlanReview", "learned"),
        ("goals.PlanReview", "what_happened"),
        ("groups.GroupNote", "shared"),
        ("groups.GroupNoteReview", "comments"),
        ("groups.MemberNote", "text"),
        ("linkage.ReferralStatusChange", "note"),
        ("risk.RiskFlag", "resolution"),
        ("risk.RiskFollowUp", "action"),
        ("safety.OverdosePlanVersion", "client_words"),
        ("safety.OverdosePlanVersion", "drug_checking"),
        ("safety.OverdosePlanVersion", "naloxone_where"),
        ("safety.OverdosePlanVersion", "never_alone"),
        ("safety.OverdosePlanVersion", "never_use_alone_line"),
        ("safety.OverdosePlanVersion", "not_mixing"),
        ("safety.OverdosePlanVersion", "reason"),
        ("safety.OverdosePlanVersion", "spacing"),
        ("safety.OverdosePlanVersion", "supply_route_changes"),
        ("safety.SafetyPlanVersion", "coping_alone"),
        ("safety.SafetyPlanVersion", "distractions"),
        ("safety.SafetyPlanVersion", "people_to_ask"),
        ("safety.SafetyPlanVersion", "professionals"),
        ("safety.SafetyPlanVersion", "reason"),
        ("safety.SafetyPlanVersion", "safer_surroundings"),
        ("safety.SafetyPlanVersion", "warning_signs"),
        ("safety.ToleranceWindow", "note"),
        ("selfreport.PracticeLog", "practice_other"),
        ("selfreport.UseDiary", "entries"),
        ("summaries.SummaryRequest", "html"),
        ("summaries.SummaryRequest", "pdf"),
        ("supervision.ChartComment", "text"),
        ("supervision.FidelityReview", "comment"),
        ("supervision.FidelityReview", "ratings"),
        ("supervision.SupervisionMeeting", "countertransference"),
        ("supervision.SupervisionMeeting", "follow_ups"),
        ("supervision.SupervisionMeeting", "guidance"),
        ("supplies.SupplyRecord", "note"),
        ("supplies.SupplyVoid", "reason"),
        ("techniques.ScriptRewrite", "negative_script"),
        ("techniques.ScriptRewrite", "rewrite"),
        ("techniques.UseEpisodeChain", "action"),
        ("techniques.UseEpisodeChain", "event"),
        ("techniques.UseEpisodeChain", "feeling"),
        ("techniques.UseEpisodeChain", "impulse"),
        ("techniques.UseEpisodeChain", "other_ways"),
        ("techniques.UseEpisodeChain", "thought"),
        ("techniques.VoiceDialoguePart", "name"),
        ("techniques.VoiceDialoguePart", "notes"),
        ("techniques.VoiceDialoguePart", "wants"),
        ("therapy_sessions.ContactAddendum", "text"),
        ("therapy_sessions.ContactReview", "comments"),
        ("therapy_sessions.NoteAddendum", "text"),
        ("therapy_sessions.NoteReview", "comments"),
        ("therapy_sessions.OutsideContact", "risk_actions"),
        ("therapy_sessions.OutsideContact", "summary"),
        ("therapy_sessions.OutsideContact", "with_whom"),
        ("therapy_sessions.SessionNote", "agenda"),
        ("therapy_sessions.SessionNote", "assessment"),
        ("therapy_sessions.SessionNote", "data"),
        ("therapy_sessions.SessionNote", "goal_checkins"),
        ("therapy_sessions.SessionNote", "narrative"),
        ("therapy_sessions.SessionNote", "next_time"),
        ("therapy_sessions.SessionNote", "objective"),
        ("therapy_sessions.SessionNote", "plan"),
        ("therapy_sessions.SessionNote", "risk_actions"),
    ]


def test_the_hashed_tables_are_those_whose_models_declare_a_hash_check() -> None:
    declared = {
        model._meta.label
        for model in apps.get_models()
        if callable(getattr(model, crypto.HASH_CHECK, None)) and crypto.encrypted_fields(model)
    }

    assert {table.label for table in crypto.registry() if table.hashed} == declared
    assert {"therapy_sessions.SessionNote", "summaries.SummaryRequest"} <= declared


def test_no_field_is_named_as_ciphertext_without_being_an_encrypted_field() -> None:
    # How the summaries' PDF and page escaped rotation: plain BinaryFields named *_encrypted.
    suspicious = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if any(word in field.name for word in ("encrypt", "cipher"))
        and not isinstance(field, crypto.EncryptedField)
    }

    assert suspicious == set()


def test_every_registered_table_has_a_builder() -> None:
    assert sorted(BUILDERS) == [table.label for table in crypto.registry()]


@pytest.mark.django_db
def test_every_builder_fills_every_encrypted_field_of_its_table() -> None:
    for table in crypto.registry():
        before = set(raw_values(table))
        BUILDERS[table.label]()
        written = {key: value for key, value in raw_values(table).items() if key not in before}

        filled = {column for (_pk, column), value in written.items() if value}
        assert sorted(filled) == sorted(table.columns), table.label


@pytest.mark.django_db
def test_only_registered_columns_hold_ciphertext() -> None:
    for build in BUILDERS.values():
        build()

    registered = {(t.db_table, column) for t in crypto.registry() for column in t.columns}
    assert ciphertext_columns_in_database() == registered


def test_registered_tables_have_a_primary_key_column_to_batch_by() -> None:
    for table in crypto.registry():
        pk = table.model._meta.pk
        assert isinstance(pk, models.AutoField | models.BigAutoField), table.label
        assert table.model._meta.managed and not table.model._meta.proxy


@pytest.mark.django_db
def test_the_rotation_command_reports_on_exactly_the_registered_tables() -> None:
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)

    labels = [line.split(":")[0] for line in out.getvalue().splitlines()[:-1]]
    assert labels == [table.label for table in crypto.registry()]
