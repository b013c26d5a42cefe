"""Indexes for the clinic admin's audit viewer (oversight): one per filter column, each
ending in (at, id) so that a filtered page ordered newest first is a backward walk of one
index, cut short by the keyset cursor, whatever the table's size.

They are created here rather than declared in AuditEvent.Meta so that, on PostgreSQL, they
can be built CONCURRENTLY: a plain CREATE INDEX would block every audited page (each writes a
row) for as long as the build takes on a large trail. The migration is therefore not atomic,
and the indexes live outside Django's model state (makemigrations does not see them).
"""

from django.db import migrations

INDEXES = {
    "audit_event_at_id": "(at, id)",
    "audit_event_actor_at_id": "(actor_id, at, id)",
    "audit_event_chart_at_id": "(chart_number, at, id)",
    "audit_event_action_at_id": "(action, at, id)",
}


def forwards(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, columns in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON audit_auditevent {columns}",
            params=None,
        )


def backwards(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(forwards, backwards)]
