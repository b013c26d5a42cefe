"""Suicide-risk follow-ups moved to risk.RiskFollowUp (risk/migrations/0002 copied them); the
partial index on suicide_risk gave way to risk.RiskFlag's index of unresolved flags."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0004_harm_ratings_not_asked"),
        ("risk", "0002_from_assessments"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="administration", name="administration_suicide_risk"),
        migrations.DeleteModel(name="RiskFollowUp"),
    ]
