"""On PostgreSQL, signed notes are locked in the database itself.

A signed note row (signed_at not null) refuses DELETE, and UPDATE except:
- the two moves out of "awaiting co-signature" (co-sign, or return to draft), which may change
  only the status, signature, hash, co-signature and version columns: the content must be
  byte-identical (compared as the whole row minus those columns);
- key rotation (`manage.py reencrypt_notes`), which sets `hrp.note_reencrypt` for its own
  transaction and may change ciphertext only; the plaintext hash is checked before and after.
Addenda and co-signature reviews refuse UPDATE and DELETE outright. SQLite (the embedded demo)
relies on the model, form and view guards.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION therapy_sessions_note_lock() RETURNS trigger AS $$
DECLARE
    moving text[] := ARRAY['status', 'signed_at', 'signed_by_id', 'content_hash',
                           'cosigned_at', 'cosigned_by_id', 'version', 'updated_at'];
    ciphertext text[] := ARRAY['agenda', 'data', 'objective', 'assessment', 'plan',
                               'narrative', 'risk_actions', 'next_time', 'goal_checkins'];
BEGIN
    IF OLD.signed_at IS NULL THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'awaiting_cosign' AND NEW.status IN ('draft', 'cosigned')
           AND (to_jsonb(NEW) - moving) = (to_jsonb(OLD) - moving) THEN
            RETURN NEW;
        END IF;
        IF coalesce(current_setting('hrp.note_reencrypt', true), '') = 'on'
           AND (to_jsonb(NEW) - ciphertext) = (to_jsonb(OLD) - ciphertext) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'signed session notes are locked (% refused); add an addendum', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER therapy_sessions_note_lock
    BEFORE UPDATE OR DELETE ON therapy_sessions_sessionnote
    FOR EACH ROW EXECUTE FUNCTION therapy_sessions_note_lock();

CREATE OR REPLACE FUNCTION therapy_sessions_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'therapy_sessions_noteaddendum'
       AND coalesce(current_setting('hrp.note_reencrypt', true), '') = 'on'
       AND (to_jsonb(NEW) - 'text') = (to_jsonb(OLD) - 'text') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'therapy_sessions_notereview'
       AND coalesce(current_setting('hrp.note_reencrypt', true), '') = 'on'
       AND (to_jsonb(NEW) - 'comments') = (to_jsonb(OLD) - 'comments') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER therapy_sessions_addendum_append_only
    BEFORE UPDATE OR DELETE ON therapy_sessions_noteaddendum
    FOR EACH ROW EXECUTE FUNCTION therapy_sessions_append_only();
CREATE TRIGGER therapy_sessions_review_append_only
    BEFORE UPDATE OR DELETE ON therapy_sessions_notereview
    FOR EACH ROW EXECUTE FUNCTION therapy_sessions_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS therapy_sessions_note_lock ON therapy_sessions_sessionnote;
DROP TRIGGER IF EXISTS therapy_sessions_addendum_append_only ON therapy_sessions_noteaddendum;
DROP TRIGGER IF EXISTS therapy_sessions_review_append_only ON therapy_sessions_notereview;
DROP FUNCTION IF EXISTS therapy_sessions_note_lock();
DROP FUNCTION IF EXISTS therapy_sessions_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the "%" in the RAISE messages are not query placeholders.
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("therapy_sessions", "0003_session_notes")]

    operations = [migrations.RunPython(forwards, backwards)]
