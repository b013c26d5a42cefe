"""`manage.py rotate_keys`: every encrypted table onto the first key, in batches.

- Rotate with a new key first, then drop the old key: every encrypted value of every registered
  table reads back as written and every integrity hash that verified still verifies (issue 12,
  defect 2: supervision guidance and follow-ups, chart comments, emergency-grant reasons and
  stored summaries used to be left under the old key and became unreadable).
- Counts per table are printed exactly; a second run rewrites nothing.
- Batches: an error stops the run with the batches before it saved; running it again finishes.
- A batch whose integrity hash would stop verifying is rolled back and the command stops.
- The deploy check (with a database) lists the tables that still have rows under an old key.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from hrp import crypto
from hrp.accounts.models import EmergencyGrant
from sessions.models import SessionNote
from summaries.models import SummaryRequest
from supervision.models import ChartComment, SupervisionMeeting
from tests.crypto.conftest import (
    BUILDERS,
    NEW_KEY,
    OLD_KEY,
    plaintexts,
    raw_values,
    verified,
)
from tests.emergency.factories import EmergencyGrantFactory
from tests.summaries.factories import PDF, DoneSummaryFactory
from tests.supervision.factories import ChartCommentFactory, SupervisionMeetingFactory

pytestmark = pytest.mark.django_db

ROTATING = [NEW_KEY, OLD_KEY]
ONLY_NEW = [NEW_KEY]


def rotate_keys(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def _all_raw() -> dict[tuple[str, Any, str], Any]:
    return {
        (table.label, pk, column): value
        for table in crypto.registry()
        for (pk, column), value in raw_values(table).items()
    }


def _table(label: str) -> crypto.EncryptedTable:
    return next(table for table in crypto.registry() if table.label == label)


def _set_raw(model: Any, column: str, pk: int, value: Any) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = %s WHERE id = %s",
            [value, pk],
        )


# --- Rotate, drop the old key ------------------------------------------------------------------


def test_after_rotation_and_dropping_the_old_key_everything_reads_and_verifies(
    every_table_under_the_old_key: None,
) -> None:
    written = plaintexts()
    hashes = verified()
    raw_before = _all_raw()
    assert all(
        not isinstance(v, crypto.Unreadable | crypto.UnreadableBytes) for v in written.values()
    )
    # Something to verify in every hashed table (a signed note, a done summary, ...).
    assert sorted(label for label, pks in hashes.items() if pks) == sorted(hashes)
    assert {"summaries.SummaryRequest", "therapy_sessions.SessionNote"} <= set(hashes)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING):
        rotate_keys()

    with override_settings(FIELD_ENCRYPTION_KEYS=ONLY_NEW):
        assert plaintexts() == written
        assert verified() == hashes
        raw_after = _all_raw()
        assert sorted(raw_after) == sorted(raw_before)
        assert [key for key, value in raw_after.items() if not crypto.is_current(value)] == []
        # Every non-empty value was rewritten.
        assert [k for k, v in raw_after.items() if v and v == raw_before[k]] == []


def test_defect_2_supervision_grants_and_summaries_survive_rotation() -> None:
    """Before issue 12 the rotation command skipped these four; after removing the old key
    they read as Unreadable (and the summary could no longer be downloaded)."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        meeting = SupervisionMeetingFactory(guidance="Ask first.", follow_ups="The plan.")
        comment = ChartCommentFactory(text="Update the safety plan.")
        grant = EmergencyGrantFactory(reason="Crisis call at night.")
        summary = DoneSummaryFactory()
        html = summary.html

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING):
        rotate_keys()

    with override_settings(FIELD_ENCRYPTION_KEYS=ONLY_NEW):
        stored = SupervisionMeeting.objects.get(pk=meeting.pk)
        assert (stored.guidance, stored.follow_ups) == ("Ask first.", "The plan.")
        assert ChartComment.objects.get(pk=comment.pk).text == "Update the safety plan."
        assert EmergencyGrant.objects.get(pk=grant.pk).reason == "Crisis call at night."
        stored_summary = SummaryRequest.objects.get(pk=summary.pk)
        assert stored_summary.pdf_bytes() == PDF
        assert stored_summary.html_body() == html


# --- Counts ------------------------------------------------------------------------------------


def test_counts_per_table_are_printed_and_a_second_run_rewrites_nothing() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        SupervisionMeetingFactory.create_batch(2)
        ChartCommentFactory()
        DoneSummaryFactory()
        EmergencyGrantFactory(reason="")  # an empty value is stored empty: nothing to rotate
    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING):
        SupervisionMeetingFactory()  # already on the new key

        assert rotate_keys() == (
            "accounts.EmergencyGrant: checked 1, re-encrypted 0\n"
            "assessments.HarmAssessment: checked 0, re-encrypted 0\n"
            "assessments.IdentifiedHarm: checked 0, re-encrypted 0\n"
            "billing.DiagnosisChange: checked 0, re-encrypted 0\n"
            # The clients' intakes, whose strengths are empty: nothing to re-encrypt.
            "clients.Intake: checked 3, re-encrypted 0\n"
            "clients.MedicalEvaluation: checked 0, re-encrypted 0\n"
            "disclosures.Disclosure: checked 0, re-encrypted 0\n"
            "goals.PlanReview: checked 0, re-encrypted 0\n"
            "groups.GroupNote: checked 0, re-encrypted 0\n"
            "groups.GroupNoteReview: checked 0, re-encrypted 0\n"
            "groups.MemberNote: checked 0, re-encrypted 0\n"
            "linkage.ReferralStatusChange: checked 0, re-encrypted 0\n"
            "risk.RiskFlag: checked 0, re-encrypted 0\n"
            "risk.RiskFollowUp: checked 0, re-encrypted 0\n"
            "safety.OverdosePlanVersion: checked 0, re-encrypted 0\n"
            "safety.SafetyPlanVersion: checked 0, re-encrypted 0\n"
            "safety.ToleranceWindow: checked 0, re-encrypted 0\n"
            "selfreport.PracticeLog: checked 0, re-encrypted 0\n"
            "selfreport.UseDiary: checked 0, re-encrypted 0\n"
            "summaries.SummaryRequest: checked 1, re-encrypted 1\n"
            "supervision.ChartComment: checked 1, re-encrypted 1\n"
            "supervision.FidelityReview: checked 0, re-encrypted 0\n"
            "supervision.SupervisionMeeting: checked 3, re-encrypted 2\n"
            "supplies.SupplyRecord: checked 0, re-encrypted 0\n"
            "supplies.SupplyVoid: checked 0, re-encrypted 0\n"
            "techniques.ScriptRewrite: checked 0, re-encrypted 0\n"
            "techniques.UseEpisodeChain: checked 0, re-encrypted 0\n"
            "techniques.VoiceDialoguePart: checked 0, re-encrypted 0\n"
            "therapy_sessions.ContactAddendum: checked 0, re-encrypted 0\n"
            "therapy_sessions.ContactReview: checked 0, re-encrypted 0\n"
            "therapy_sessions.NoteAddendum: checked 0, re-encrypted 0\n"
            "therapy_sessions.NoteReview: checked 0, re-encrypted 0\n"
            "therapy_sessions.OutsideContact: checked 0, re-encrypted 0\n"
            "therapy_sessions.SessionNote: checked 0, re-encrypted 0\n"
            "Checked 9 rows; re-encrypted 4.\n"
        )
        raw = _all_raw()

        assert rotate_keys("--batch-size", "2") == (
            "accounts.EmergencyGrant: checked 1, re-encrypted 0\n"
            "assessments.HarmAssessment: checked 0, re-encrypted 0\n"
            "assessments.IdentifiedHarm: checked 0, re-encrypted 0\n"
            "billing.DiagnosisChange: checked 0, re-encrypted 0\n"
            # The clients' intakes, whose strengths are empty: nothing to re-encrypt.
            "clients.Intake: checked 3, re-encrypted 0\n"
            "clients.MedicalEvaluation: checked 0, re-encrypted 0\n"
            "disclosures.Disclosure: checked 0, re-encrypted 0\n"
            "goals.PlanReview: checked 0, re-encrypted 0\n"
            "groups.GroupNote: checked 0, re-encrypted 0\n"
            "groups.GroupNoteReview: checked 0, re-encrypted 0\n"
            "groups.MemberNote: checked 0, re-encrypted 0\n"
            "linkage.ReferralStatusChange: checked 0, re-encrypted 0\n"
            "risk.RiskFlag: checked 0, re-encrypted 0\n"
            "risk.RiskFollowUp: checked 0, re-encrypted 0\n"
            "safety.OverdosePlanVersion: checked 0, re-encrypted 0\n"
            "safety.SafetyPlanVersion: checked 0, re-encrypted 0\n"
            "safety.ToleranceWindow: checked 0, re-encrypted 0\n"
            "selfreport.PracticeLog: checked 0, re-encrypted 0\n"
            "selfreport.UseDiary: checked 0, re-encrypted 0\n"
            "summaries.SummaryRequest: checked 1, re-encrypted 0\n"
            "supervision.ChartComment: checked 1, re-encrypted 0\n"
            "supervision.FidelityReview: checked 0, re-encrypted 0\n"
            "supervision.SupervisionMeeting: checked 3, re-encrypted 0\n"
            "supplies.SupplyRecord: checked 0, re-encrypted 0\n"
            "supplies.SupplyVoid: checked 0, re-encrypted 0\n"
            "techniques.ScriptRewrite: checked 0, re-encrypted 0\n"
            "techniques.UseEpisodeChain: checked 0, re-encrypted 0\n"
            "techniques.VoiceDialoguePart: checked 0, re-encrypted 0\n"
            "therapy_sessions.ContactAddendum: checked 0, re-encrypted 0\n"
            "therapy_sessions.ContactReview: checked 0, re-encrypted 0\n"
            "therapy_sessions.NoteAddendum: checked 0, re-encrypted 0\n"
            "therapy_sessions.NoteReview: checked 0, re-encrypted 0\n"
            "therapy_sessions.OutsideContact: checked 0, re-encrypted 0\n"
            "therapy_sessions.SessionNote: checked 0, re-encrypted 0\n"
            "Checked 9 rows; re-encrypted 0.\n"
        )
        assert _all_raw() == raw


@pytest.mark.parametrize("size", ["0", "-3"])
def test_a_batch_size_under_one_is_refused(size: str) -> None:
    with pytest.raises(CommandError, match=r"^--batch-size must be at least 1\.$"):
        rotate_keys("--batch-size", size)


# --- Resumable ---------------------------------------------------------------------------------


def test_an_interrupted_run_keeps_its_finished_batches_and_a_second_run_completes() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        first, second, third = SupervisionMeetingFactory.create_batch(3)
    table = _table("supervision.SupervisionMeeting")
    original = raw_values(table)
    # The second row's guidance no configured key opens (restored from a backup later).
    _set_raw(SupervisionMeeting, "guidance", second.pk, "enc1:" + "x" * 40)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING):
        with pytest.raises(CommandError) as error:
            rotate_keys("--batch-size", "1")

        assert str(error.value) == (
            f"supervision.SupervisionMeeting {second.pk}: no configured key opens it. Batches "
            "before it are saved (supervision.SupervisionMeeting: checked 1, re-encrypted 1); "
            "fix that row or add its key, then run rotate_keys again."
        )
        after_error = raw_values(table)
        current = {key: crypto.is_current(value) for key, value in after_error.items()}
        assert current == {
            (first.pk, "guidance"): True,
            (first.pk, "follow_ups"): True,
            (first.pk, "countertransference"): True,
            (second.pk, "guidance"): False,
            (second.pk, "follow_ups"): False,
            (second.pk, "countertransference"): False,
            (third.pk, "guidance"): False,
            (third.pk, "follow_ups"): False,
            (third.pk, "countertransference"): False,
        }
        # The failing batch was rolled back: the second row's other column is untouched.
        assert after_error[(second.pk, "follow_ups")] == original[(second.pk, "follow_ups")]

        _set_raw(SupervisionMeeting, "guidance", second.pk, original[(second.pk, "guidance")])
        output = rotate_keys("--batch-size", "1")

        assert "supervision.SupervisionMeeting: checked 3, re-encrypted 2\n" in output
        assert all(crypto.is_current(value) for value in raw_values(table).values())

    with override_settings(FIELD_ENCRYPTION_KEYS=ONLY_NEW):
        assert [m.guidance for m in SupervisionMeeting.objects.order_by("pk")] == [
            SupervisionMeetingFactory.guidance
        ] * 3


# --- Integrity ---------------------------------------------------------------------------------


def _rotation_that_changes_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rotation bug: text comes out different under the new key."""
    real_rotate = crypto.rotate

    def rotate_into_other_words(stored: Any) -> Any:
        text = crypto.decrypt(stored) if isinstance(stored, str) else ""
        if text and not text.startswith("["):  # JSON check-ins stay JSON
            return crypto.encrypt(text + " (changed)")
        return real_rotate(stored)

    monkeypatch.setattr(crypto, "rotate", rotate_into_other_words)


def test_a_batch_whose_plaintext_would_change_is_rolled_back(
    every_table_under_the_old_key: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _all_raw()
    grant = EmergencyGrant.objects.get()
    _rotation_that_changes_text(monkeypatch)

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING), pytest.raises(CommandError) as error:
        rotate_keys()

    # The first table in label order; nothing was written anywhere.
    assert str(error.value) == (
        f"accounts.EmergencyGrant {grant.pk}: re-encryption changed the value; that batch was "
        "not changed. Batches before it are saved (accounts.EmergencyGrant: checked 0, "
        "re-encrypted 0); fix that row or add its key, then run rotate_keys again."
    )
    assert _all_raw() == before


def test_a_batch_that_would_break_a_signed_notes_hash_is_rolled_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        BUILDERS["therapy_sessions.SessionNote"]()  # a draft and a signed note
    notes = _table("therapy_sessions.SessionNote")
    before = raw_values(notes)
    _rotation_that_changes_text(monkeypatch)
    # With the plaintext comparison out of the way, the notes' hashes are what stops it.
    monkeypatch.setattr(crypto, "same_plaintext", lambda old, new: True)
    signed = sorted(
        SessionNote.objects.filter(signed_at__isnull=False).values_list("pk", flat=True)
    )

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING):
        with pytest.raises(CommandError) as error:
            rotate_keys("--batch-size", "10")

        assert str(error.value) == (
            f"therapy_sessions.SessionNote {signed}: the integrity hash no longer verifies "
            "after re-encryption; that batch was not changed. Batches before it are saved "
            "(therapy_sessions.SessionNote: checked 0, re-encrypted 0); fix that row or add "
            "its key, then run rotate_keys again."
        )
        assert raw_values(notes) == before
        assert [n.hash_verified() for n in SessionNote.objects.filter(pk__in=signed)] == [True]


# --- The deploy check --------------------------------------------------------------------------


def _rows_check() -> list[tuple[str | None, str]]:
    return [(m.id, m.msg) for m in crypto.check_rows_on_first_key(None, databases=["default"])]


def test_the_deploy_check_lists_tables_with_rows_under_an_old_key() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        SupervisionMeetingFactory.create_batch(2)
        EmergencyGrantFactory()

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING):
        assert _rows_check() == [
            (
                "hrp.W002",
                "1 row(s) of accounts.EmergencyGrant (reason) are not on the first key of "
                "FIELD_ENCRYPTION_KEYS.",
            ),
            (
                "hrp.W002",
                "2 row(s) of supervision.SupervisionMeeting (guidance, follow_ups, "
                "countertransference) are not on the first key of FIELD_ENCRYPTION_KEYS.",
            ),
        ]
        rotate_keys()
        assert _rows_check() == []


def test_the_rows_check_reads_nothing_unless_a_database_is_asked_for() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        EmergencyGrantFactory()

    with override_settings(FIELD_ENCRYPTION_KEYS=ROTATING):
        plain = checks.run_checks(include_deployment_checks=True)
        with_database = checks.run_checks(include_deployment_checks=True, databases=["default"])

    assert [m.id for m in plain if m.id == "hrp.W002"] == []
    assert [m.id for m in with_database if m.id == "hrp.W002"] == ["hrp.W002"]
