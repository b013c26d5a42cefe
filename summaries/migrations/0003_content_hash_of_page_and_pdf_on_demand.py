"""A summary's page gets its own hash, so a done summary can exist (and be verified) before its
PDF is made: the monthly round stores pages only, the PDF is made on first download.

`content_hash` becomes the SHA-256 of the page (`html`), the summary's content, and the PDF's
hash moves to the new `pdf_hash`. The name stays with the content because every hashed model
keeps its hash in `content_hash`, and key rotation and the backup check verify the rows where
it is set: after this change that is every done summary, with or without a PDF.

Filling it means opening each done row's page, so the forwards step decrypts through the model
field (the migration runs where the application runs, with its keys), a batch at a time. A page
that does not open keeps the old value, which cannot match: the row reports "cannot be
verified", which is the truth until its key is back (then `content_hash` must be refilled).
Computing the hash lazily instead would leave the done rows unverifiable by rotation and the
backup check until someone opened each one, so it is filled here.

Backwards: a done summary without a PDF cannot satisfy the old constraint (done means PDF), so
it goes back to the queue without its page and is prepared again (with its PDF) by the
requeue beat; the others get their PDF hash back in `content_hash`.
"""

import hashlib

from django.db import migrations, models

BATCH = 500


def forwards(apps, schema_editor):
    SummaryRequest = apps.get_model("summaries", "SummaryRequest")
    done = SummaryRequest.objects.filter(status="done")
    done.exclude(pdf__isnull=True).update(pdf_hash=models.F("content_hash"))
    last = 0
    while True:
        rows = list(
            done.filter(pk__gt=last).order_by("pk").values_list("pk", "html")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][0]
        changed = [
            SummaryRequest(pk=pk, content_hash=hashlib.sha256(html.encode()).hexdigest())
            for pk, html in rows
            # An unreadable page opens as an empty stand-in (hrp.crypto.Unreadable).
            if html
        ]
        SummaryRequest.objects.bulk_update(changed, ["content_hash"])


def backwards(apps, schema_editor):
    SummaryRequest = apps.get_model("summaries", "SummaryRequest")
    SummaryRequest.objects.filter(status="done", pdf__isnull=True).update(
        status="queued", progress=0, html=None, content_hash="", enqueued_at=None,
        started_at=None, finished_at=None, attempts=0,
    )
    SummaryRequest.objects.filter(status="done").update(content_hash=models.F("pdf_hash"))


class Migration(migrations.Migration):
    dependencies = [
        ("summaries", "0002_encrypted_fields"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="summaryrequest",
            name="summary_bytes_only_when_done",
        ),
        migrations.AddField(
            model_name="summaryrequest",
            name="pdf_hash",
            field=models.CharField(blank=True, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddConstraint(
            model_name="summaryrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("html__isnull", False),
                        ("progress", 100),
                        ("status", "done"),
                        models.Q(("content_hash", ""), _negated=True),
                        models.Q(
                            models.Q(("pdf__isnull", True), ("pdf_hash", "")),
                            models.Q(
                                ("pdf__isnull", False), models.Q(("pdf_hash", ""), _negated=True)
                            ),
                            _connector="OR",
                        ),
                    ),
                    models.Q(
                        models.Q(("status", "done"), _negated=True),
                        ("content_hash", ""),
                        ("html__isnull", True),
                        ("pdf__isnull", True),
                        ("pdf_hash", ""),
                    ),
                    _connector="OR",
                ),
                name="summary_content_only_when_done",
            ),
        ),
    ]
