"""Moves the intake's medical evaluation into the explicit decision and the evaluation records.

Decision, written down (issue 16):
- "recommended" ticked: the decision is "recommended".
- not ticked, but a completion date or findings were recorded: an evaluation happened, so it
  was considered; the decision is "recommended" (the evaluation record says it was done).
- not ticked and nothing recorded: "not yet considered". The old default was "not
  recommended", which cannot be told apart from "nobody asked"; calling it "not needed" would
  claim a clinical judgement nobody recorded. These show on the chart, caseload and the
  supervisor's lists until someone decides.
- A completion date and/or findings become the client's first MedicalEvaluation, recorded by
  whoever completed the intake (or the client record's creator). Findings without a date get
  the intake's completion date (else its last change), and say so in "by whom or where".
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Intake = apps.get_model("clients", "Intake")
    MedicalEvaluation = apps.get_model("clients", "MedicalEvaluation")
    for intake in Intake.objects.select_related("client").iterator():
        findings = intake.medical_findings or ""
        done_on = intake.medical_evaluation_completed_on
        had_evaluation = done_on is not None or findings.strip() != ""
        if intake.medical_evaluation_recommended or had_evaluation:
            decision = "recommended"
        else:
            decision = "not_considered"
        Intake.objects.filter(pk=intake.pk).update(medical_evaluation=decision)
        if not had_evaluation:
            continue
        by = ""
        if done_on is None:
            stamp = intake.completed_at or intake.updated_at
            done_on = stamp.date()
            by = "Date not recorded at intake"
        MedicalEvaluation.objects.create(
            client_id=intake.client_id,
            evaluated_on=done_on,
            evaluated_by=by,
            findings=findings.strip(),
            recorded_by_id=intake.completed_by_id or intake.client.created_by_id,
            recorded_at=intake.completed_at or intake.updated_at,
        )


def backwards(apps, schema_editor):
    Intake = apps.get_model("clients", "Intake")
    MedicalEvaluation = apps.get_model("clients", "MedicalEvaluation")
    for intake in Intake.objects.iterator():
        first = (
            MedicalEvaluation.objects.filter(client_id=intake.client_id)
            .order_by("evaluated_on", "id")
            .first()
        )
        Intake.objects.filter(pk=intake.pk).update(
            medical_evaluation_recommended=intake.medical_evaluation == "recommended",
            medical_evaluation_completed_on=first.evaluated_on if first else None,
            medical_findings=first.findings if first else "",
        )


class Migration(migrations.Migration):

    dependencies = [
        ("clients", "0003_medical_evaluation"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
