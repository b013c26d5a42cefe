"""Append-only triggers declared in the model's Meta (hrp.immutability.append_only), generated
by pgtrigger; they replace the hand-written trigger of migration 0002, dropped first."""

import hrp.immutability
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

DROP_HAND_WRITTEN_TRIGGER = """
DROP TRIGGER IF EXISTS disclosure_append_only ON disclosures_disclosure;
DROP FUNCTION IF EXISTS disclosure_append_only();
"""


def drop_hand_written_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_HAND_WRITTEN_TRIGGER, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('disclosures', '0002_append_only_trigger'),
    ]

    operations = [
        migrations.RunPython(drop_hand_written_trigger, migrations.RunPython.noop),
        pgtrigger.migrations.AddTrigger(
            model_name='disclosure',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=hrp.immutability.SealedTriggerSql(func="RAISE EXCEPTION 'disclosures are append-only (% refused)', TG_OP;", hash='ff6a13ffbd7b4050b5e6740c8fbceec6a291e2e8', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_3ee26', table='disclosures_disclosure', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='disclosure',
            trigger=pgtrigger.compiler.Trigger(name='no_truncate', sql=hrp.immutability.SealedTriggerSql(func="RAISE EXCEPTION 'disclosures are append-only (TRUNCATE refused)';", hash='782d434839a1203bf2b30a642c2ade0ca566315f', level='STATEMENT', operation='TRUNCATE', pgid='pgtrigger_no_truncate_a21d5', table='disclosures_disclosure', when='BEFORE')),
        ),
    ]
