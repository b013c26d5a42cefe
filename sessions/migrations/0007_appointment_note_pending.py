"""Appointment.note_pending: attended sessions whose note the therapist has not signed yet,
kept by the services, so that late notes come from a partial index instead of a scan of every
attended session. Existing rows are filled here from the same rule
(`Appointment.is_note_pending`): attended, and no note or only a draft."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q


def fill(apps, schema_editor):
    """Both ways, so that it also repairs rows loaded in bulk around the services."""
    appointment_model = apps.get_model("therapy_sessions", "Appointment")
    note_model = apps.get_model("therapy_sessions", "SessionNote")
    signed = note_model.objects.filter(appointment=OuterRef("pk")).exclude(status="draft")
    pending = Q(status="attended") & ~Exists(signed)
    appointment_model.objects.filter(pending, note_pending=False).update(note_pending=True)
    appointment_model.objects.filter(~pending, note_pending=True).update(note_pending=False)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_client_reminder_preferences"),
        ("therapy_sessions", "0006_lock_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="note_pending",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                condition=models.Q(("note_pending", True)),
                fields=["therapist", "ends_at"],
                name="appointment_note_pending",
            ),
        ),
    ]
