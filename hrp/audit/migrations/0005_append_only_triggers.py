"""Append-only triggers declared in the model's Meta (hrp.immutability.append_only), generated
by pgtrigger; they replace the hand-written trigger of migration 0002, dropped first."""

import hrp.immutability
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

DROP_HAND_WRITTEN_TRIGGER = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def drop_hand_written_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_HAND_WRITTEN_TRIGGER, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_action_names_imperative'),
    ]

    operations = [
        migrations.RunPython(drop_hand_written_trigger, migrations.RunPython.noop),
        pgtrigger.migrations.AddTrigger(
            model_name='auditevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=hrp.immutability.SealedTriggerSql(func="RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;", hash='fc8634de48de095254edaf3a24120bc4963c443e', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_00dfa', table='audit_auditevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='auditevent',
            trigger=pgtrigger.compiler.Trigger(name='no_truncate', sql=hrp.immutability.SealedTriggerSql(func="RAISE EXCEPTION 'audit events are append-only (TRUNCATE refused)';", hash='38278db951bf92526ef4f188414f274e2bba59ce', level='STATEMENT', operation='TRUNCATE', pgid='pgtrigger_no_truncate_c220f', table='audit_auditevent', when='BEFORE')),
        ),
    ]
