"""Every audit action in one tense (the imperative, as services are named): the five stored
codes that were not are renamed in place. What happened, who, when and to what are untouched;
only the code naming the kind of event changes, so the oversight filter finds old and new
rows under one action.

The trail refuses UPDATE in the database. This migration lifts the table's user triggers for
its own transaction only (ALTER TABLE is transactional in PostgreSQL, and takes a lock that
keeps every other writer out meanwhile); DISABLE TRIGGER USER rather than a trigger's name, so
it holds whichever mechanism declares the append-only trigger.
"""

from django.db import migrations

# Written out, not imported: a migration must keep doing what it did when it was written.
RENAMES = {
    "supervision.meeting_recorded": "supervision.meeting_record",
    "supervision.comment_left": "supervision.comment_add",
    "supervision.comment_acknowledged": "supervision.comment_acknowledge",
    "emergency.refused": "emergency.grant_refused",
    "note.integrity_failure": "note.verify_failed",
}


def _rename(schema_editor, mapping):
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            # ALTER TABLE refuses while deferred foreign-key checks on the table are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        for old, new in mapping.items():
            cursor.execute("UPDATE audit_auditevent SET action = %s WHERE action = %s", [new, old])
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def forwards(apps, schema_editor):
    _rename(schema_editor, RENAMES)


def backwards(apps, schema_editor):
    _rename(schema_editor, {new: old for old, new in RENAMES.items()})


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_oversight_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
