"""The database role that key rotation runs as (hrp.immutability.key_rotation).

The immutability triggers let ciphertext-only UPDATEs of locked rows through when
`current_user` is this role, and nothing else. It cannot log in; the login that runs
migrations is made a member, so it (and the rotation command run with it) may
`SET ROLE hrp_key_rotation`, while the web app and workers, connecting as a login that is not a
member (README, "Database roles"), may not. The role gets SELECT, INSERT and UPDATE on the
project's tables (now and later: default privileges of the migrating role), never DELETE or
TRUNCATE. If the migrating login may not create roles, a DBA creates it beforehand:
`CREATE ROLE hrp_key_rotation NOLOGIN; GRANT hrp_key_rotation TO <migrating login>;`
"""

from django.db import migrations

from hrp.immutability import ROTATION_ROLE, ROTATION_ROLE_SQL

CREATE = ROTATION_ROLE_SQL

# The role is shared by every database of the cluster: revoke this database's privileges only.
REVOKE = f"""
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {ROTATION_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {ROTATION_ROLE};
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROTATION_ROLE};
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROTATION_ROLE};
REVOKE USAGE ON SCHEMA public FROM {ROTATION_ROLE};
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVOKE, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_clinic_settings")]

    operations = [migrations.RunPython(forwards, backwards)]
