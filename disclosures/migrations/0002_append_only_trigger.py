"""On PostgreSQL, refuse UPDATE and DELETE of disclosure rows in the database itself, so that not
even a raw SQL statement from the application can rewrite the accounting of disclosures. SQLite
(the embedded demo) relies on the model and queryset guards."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION disclosure_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'disclosures are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disclosure_append_only
    BEFORE UPDATE OR DELETE ON disclosures_disclosure
    FOR EACH ROW EXECUTE FUNCTION disclosure_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS disclosure_append_only ON disclosures_disclosure;
DROP FUNCTION IF EXISTS disclosure_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: run the SQL as written; with parameters the "%" in the RAISE message
        # would be taken for a placeholder.
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
