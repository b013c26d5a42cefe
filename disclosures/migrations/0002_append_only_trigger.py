"""Formerly a hand-written trigger; superseded by the triggers declared in the models' Meta
(hrp.immutability) and installed by migration 0003_append_only_triggers, which also drops what this one created
on databases migrated before. Kept, empty, so the migration graph does not change."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0001_initial")]

    operations: list = []
