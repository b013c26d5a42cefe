"""Indexes for the clinic admin's audit viewer (oversight): one per filter column, each
ending in (at, id) so that a filtered page ordered newest first is a backward walk of one
index, cut short by the keyset cursor, whatever the table's size.

They are created here rather than declared in AuditEvent.Meta so that, on PostgreSQL, they
can be built CONCURRENTLY: a plain CREATE INDEX would block every audited page (each writes a
row) for as long as the build takes on a large trail. The migration is therefore not atomic,
and the indexes live outside Django's model state (makemigrations does not see them). An
interrupted build leaves an INVALID index behind; `create_index_concurrently` drops such a
leftover and builds it again, so running migrate again finishes the job (hrp/schema.py).
"""

from django.db import migrations

from hrp.schema import create_index_concurrently, drop_index_concurrently

INDEXES = {
    "audit_event_at_id": "(at, id)",
    "audit_event_actor_at_id": "(actor_id, at, id)",
    "audit_event_chart_at_id": "(chart_number, at, id)",
    "audit_event_action_at_id": "(action, at, id)",
}


def forwards(apps, schema_editor):
    for name, columns in INDEXES.items():
        create_index_concurrently(
            schema_editor, name=name, table="audit_auditevent", columns=columns
        )


def backwards(apps, schema_editor):
    for name in INDEXES:
        drop_index_concurrently(schema_editor, name=name)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(forwards, backwards)]
