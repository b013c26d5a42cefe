"""Existing risk signals become risk flags (issue 15).

- Every PHQ-9 sitting whose answers raised the suicide-risk flag (Administration.suicide_risk,
  corrections grouped with the administration they correct) becomes one flag, source
  "assessments.phq9", source id the sitting's first administration. Its old follow-up
  (assessments.RiskFollowUp, one per administration) becomes a follow-up; a recorded follow-up
  used to clear the flag, so such a flag is resolved at the follow-up's time. A sitting whose
  latest correction answered 0 is resolved by that correction.
- The latest harm assessment of each client, when its factors count for the client's
  substances (risk.rules), opens an overdose flag: the caseload showed exactly that before.
Session notes raised nothing before; signed notes are not flagged after the fact.
"""

from django.db import migrations

from risk import rules

FOLLOWED_UP_BEFORE = (
    "Cleared by the follow-up recorded before risk flags were followed up and resolved "
    "separately."
)
CORRECTED_TO_ZERO = "The answer to question 9 was corrected to 0."
FACTORS = (
    "uses_alone",
    "mixes_depressants",
    "lowered_tolerance",
    "unknown_supply",
    "injects",
    "previous_overdose",
)


def forwards(apps, schema_editor):
    Administration = apps.get_model("assessments", "Administration")
    OldFollowUp = apps.get_model("assessments", "RiskFollowUp")
    HarmAssessment = apps.get_model("assessments", "HarmAssessment")
    SubstanceUse = apps.get_model("clients", "SubstanceUse")
    RiskFlag = apps.get_model("risk", "RiskFlag")
    RiskFollowUp = apps.get_model("risk", "RiskFollowUp")

    phq9 = Administration.objects.filter(measure_code="PHQ9").order_by("administered_at", "id")
    by_pk = {a.pk: a for a in phq9.iterator()}
    corrected_by = {a.corrects_id: a for a in by_pk.values() if a.corrects_id}
    follow_ups = {f.administration_id: f for f in OldFollowUp.objects.all()}
    for root in by_pk.values():
        if root.corrects_id is not None:
            continue
        chain = [root]
        while chain[-1].pk in corrected_by:
            chain.append(corrected_by[chain[-1].pk])
        raised = [a for a in chain if a.suicide_risk]
        if not raised:
            continue
        points = max(int(a.answers.get("q9", "1")) for a in raised)
        flag = RiskFlag.objects.create(
            client_id=root.client_id,
            kind="suicide",
            level=rules.phq9_item9_level(points) or rules.SOME,
            state="open",
            source_key="assessments.phq9",
            source_id=root.pk,
            source_description="PHQ-9 question 9",
            opened_at=raised[0].administered_at,
            opened_by_id=raised[0].administered_by_id,
        )
        done = [follow_ups[a.pk] for a in chain if a.pk in follow_ups]
        for old in done:
            RiskFollowUp.objects.create(
                flag=flag,
                action=old.action or "—",
                done_at=old.done_at,
                recorded_by_id=old.recorded_by_id,
                recorded_at=old.recorded_at,
            )
        current = chain[-1]
        if done:
            last = max(done, key=lambda f: f.done_at)
            flag.state = "resolved"
            flag.last_follow_up_at = last.done_at
            flag.resolved_at = last.done_at
            flag.resolved_by_id = last.recorded_by_id
            flag.resolution = FOLLOWED_UP_BEFORE
        elif not current.suicide_risk:
            flag.state = "resolved"
            flag.resolved_at = current.administered_at
            flag.resolved_by_id = current.administered_by_id
            flag.resolution = CORRECTED_TO_ZERO
        flag.save()

    substances: dict[int, set[str]] = {}
    for client_id, substance in SubstanceUse.objects.values_list("client_id", "substance"):
        substances.setdefault(client_id, set()).add(substance)
    # The newest assessment of each client (portable: the SQLite build runs this too).
    newest: dict[int, object] = {}
    for harm in HarmAssessment.objects.order_by("client_id", "-assessed_on", "-id").iterator():
        newest.setdefault(harm.client_id, harm)
    for harm in newest.values():
        if not harm.overdose_risk:
            continue
        ticked = [key for key in FACTORS if getattr(harm, key)]
        counted = rules.overdose_factors_that_count(ticked, substances.get(harm.client_id, ()))
        level = rules.overdose_level(counted)
        if level is None:
            continue
        RiskFlag.objects.create(
            client_id=harm.client_id,
            kind="overdose",
            level=level,
            state="open",
            source_key="assessments.harm",
            source_id=harm.pk,
            source_description=(
                "Harm assessment: " + ", ".join(k.replace("_", " ") for k in counted)
            )[:200],
            opened_at=harm.created_at,
            opened_by_id=harm.assessed_by_id,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0001_initial"),
        ("assessments", "0003_administration_suicide_risk_index"),
        ("clients", "0002_client_reminder_preferences"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
