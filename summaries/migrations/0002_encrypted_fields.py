"""A summary's PDF and page move onto hrp.crypto's encrypted fields (`pdf`, `html`), so they are
in the encryption registry and key rotation rewrites them like every other encrypted value.

The old columns held bare Fernet tokens; the new ones hold the same token behind the `enc1:`
prefix (the page as text, the PDF as bytes). Nothing is decrypted: the conversion needs no key.
"""

import hrp.crypto
from django.conf import settings
from django.db import migrations, models


PREFIX = "enc1:"


def _copy(schema_editor, *, select: str, update: str, convert) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(select)
        rows = cursor.fetchall()
        cursor.executemany(update, [[*convert(pdf, html), pk] for pk, pdf, html in rows])


def forwards(apps, schema_editor):
    _copy(
        schema_editor,
        select="SELECT id, pdf_encrypted, html_encrypted FROM summaries_summaryrequest "
        "WHERE pdf_encrypted IS NOT NULL",
        update="UPDATE summaries_summaryrequest SET pdf = %s, html = %s WHERE id = %s",
        convert=lambda pdf, html: (
            PREFIX.encode() + bytes(pdf),
            PREFIX + bytes(html).decode("ascii"),
        ),
    )


def backwards(apps, schema_editor):
    _copy(
        schema_editor,
        select="SELECT id, pdf, html FROM summaries_summaryrequest WHERE pdf IS NOT NULL",
        update="UPDATE summaries_summaryrequest SET pdf_encrypted = %s, html_encrypted = %s "
        "WHERE id = %s",
        convert=lambda pdf, html: (
            bytes(pdf)[len(PREFIX) :],
            html[len(PREFIX) :].encode("ascii"),
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_client_reminder_preferences"),
        ("summaries", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="summaryrequest",
            name="summary_bytes_only_when_done",
        ),
        migrations.AddField(
            model_name="summaryrequest",
            name="html",
            field=hrp.crypto.EncryptedTextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="summaryrequest",
            name="pdf",
            field=hrp.crypto.EncryptedBinaryField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddConstraint(
            model_name="summaryrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("html__isnull", False),
                        ("pdf__isnull", False),
                        ("progress", 100),
                        ("status", "done"),
                        models.Q(("content_hash", ""), _negated=True),
                    ),
                    models.Q(
                        models.Q(("status", "done"), _negated=True),
                        ("content_hash", ""),
                        ("html__isnull", True),
                        ("pdf__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="summary_bytes_only_when_done",
            ),
        ),
        migrations.RemoveField(
            model_name="summaryrequest",
            name="html_encrypted",
        ),
        migrations.RemoveField(
            model_name="summaryrequest",
            name="pdf_encrypted",
        ),
    ]
