"""Store every staff email in its canonical form (hrp.accounts.identity.canonical_email).

Accounts are now found by exact equality with the canonical form, so an address stored any
other way could no longer sign in. Addresses were always stored lower-cased, so for ASCII
addresses this changes nothing; it matters only for addresses with characters that NFKC or
Unicode case folding changes (ß, ſ, fullwidth letters, the Kelvin sign...).

Collisions: two accounts whose addresses fold to the same canonical form cannot both keep it
(the column is unique, and sign-in could not tell them apart). The migration then changes
nothing and stops, naming the account ids, so that a clinic admin gives one of them another
address (or deactivates the duplicate) before migrating again. It never merges, renames or
picks a winner on its own. Reversing it is a no-op: the canonical form is a valid stored form.
"""

from collections import defaultdict

from django.db import migrations

from hrp.accounts.identity import canonical_email


def canonicalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    groups = defaultdict(list)
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        groups[canonical_email(email)].append((pk, email))
    clashes = [sorted(pk for pk, _email in rows) for rows in groups.values() if len(rows) > 1]
    if clashes:
        raise RuntimeError(
            "These staff accounts have email addresses that differ only in case or Unicode "
            f"form, so they cannot both sign in: account ids {clashes}. Give one account in "
            "each group another address, then run the migration again."
        )
    for canonical, rows in groups.items():
        ((pk, email),) = rows
        if email != canonical:
            User.objects.filter(pk=pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_cover")]

    operations = [migrations.RunPython(canonicalise, migrations.RunPython.noop)]
