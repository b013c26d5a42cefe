"""Summaries are stored through hrp.crypto's fields: the migration that moved them there
converts a summary stored the old way (bare Fernet tokens in two bytea columns) without
needing the key, and the converted summary reads, downloads and rotates like a new one."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from hrp import crypto
from summaries.models import SummaryRequest
from tests.clients.factories import ClientFactory
from tests.crypto.conftest import NEW_KEY, OLD_KEY
from tests.summaries.factories import PDF, DoneSummaryFactory

pytestmark = pytest.mark.django_db

BEFORE = [("summaries", "0001_initial")]


def _migrate(targets: list[tuple[str, str]] | None) -> None:
    """Migrate to `targets`, or with None back to the latest migration of every app."""
    # Foreign-key checks of rows inserted in this test's transaction must run before ALTER
    # TABLE, which PostgreSQL refuses with trigger events pending.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY])
def test_a_summary_stored_the_old_way_is_converted() -> None:
    client = ClientFactory()
    html = f"<h1>Progress summary · {client.chart_number}</h1>"
    box = crypto.fernet()
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO summaries_summaryrequest (kind, client_id, period_start, "
                "period_end, status, progress, requested_at, attempts, error_code, "
                "pdf_encrypted, html_encrypted, content_hash) VALUES ('client', %s, "
                "'2026-01-01', '2026-01-31', 'done', 100, now(), 1, '', %s, %s, %s), "
                "('client', %s, '2026-02-01', '2026-02-28', 'queued', 0, now(), 0, '', "
                "NULL, NULL, '') RETURNING id",
                [
                    client.pk,
                    box.encrypt(PDF),
                    box.encrypt(html.encode()),
                    hashlib.sha256(PDF).hexdigest(),
                    client.pk,
                ],
            )
            done_pk, queued_pk = (row[0] for row in cursor.fetchall())
    finally:
        _migrate(None)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pdf, html FROM summaries_summaryrequest WHERE id = %s", [done_pk])
        raw_pdf, raw_html = cursor.fetchone()
    assert bytes(raw_pdf).startswith(b"enc1:gAAAAA")
    assert raw_html.startswith("enc1:gAAAAA")
    done = SummaryRequest.objects.get(pk=done_pk)
    assert (done.pdf_bytes(), done.html_body(), done.hash_verified()) == (PDF, html, True)
    # 0003: the page got its own hash; the PDF's moved to pdf_hash.
    assert (done.content_hash, done.pdf_hash) == (
        hashlib.sha256(html.encode()).hexdigest(),
        hashlib.sha256(PDF).hexdigest(),
    )
    queued = SummaryRequest.objects.get(pk=queued_pk)
    assert (queued.pdf, queued.html, queued.pdf_bytes(), queued.hash_verified()) == (
        None,
        None,
        None,
        False,
    )

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert crypto.is_current(bytes(raw_pdf)) is False
        assert crypto.is_current(crypto.rotate(bytes(raw_pdf))) is True
        assert crypto.decrypt_bytes(crypto.rotate(bytes(raw_pdf))) == PDF


def test_an_unreadable_pdf_is_not_served_and_cannot_be_saved_back() -> None:
    summary = SummaryRequest.objects.create(
        client=ClientFactory(),
        period_start="2026-01-01",
        period_end="2026-01-31",
        status="done",
        progress=100,
        pdf=PDF,
        html="<p>page</p>",
        content_hash=hashlib.sha256(b"<p>page</p>").hexdigest(),
        pdf_hash=hashlib.sha256(PDF).hexdigest(),
    )

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        stored = SummaryRequest.objects.get(pk=summary.pk)

        assert isinstance(stored.pdf, crypto.UnreadableBytes)
        assert isinstance(stored.html, crypto.Unreadable)
        assert (stored.pdf_bytes(), stored.html_body(), stored.hash_verified()) == (
            None,
            None,
            False,
        )
        with pytest.raises(ValueError, match="unreadable encrypted value"):
            stored.save()


def test_the_migration_can_be_reversed_with_its_data() -> None:
    summary = DoneSummaryFactory()
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pdf_encrypted, html_encrypted FROM summaries_summaryrequest WHERE id = %s",
                [summary.pk],
            )
            pdf_token, html_token = cursor.fetchone()
        assert crypto.fernet().decrypt(bytes(pdf_token)) == PDF
        assert crypto.fernet().decrypt(bytes(html_token)).decode() == summary.html
    finally:
        _migrate(None)

    assert SummaryRequest.objects.get(pk=summary.pk).pdf_bytes() == PDF


def test_going_back_before_page_hashes_queues_again_a_summary_without_its_pdf() -> None:
    with_pdf = DoneSummaryFactory()
    without_pdf = DoneSummaryFactory(pdf=None, pdf_hash="")
    _migrate([("summaries", "0002_encrypted_fields")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, status, html IS NULL, content_hash FROM summaries_summaryrequest "
                "ORDER BY id"
            )
            rows = cursor.fetchall()
    finally:
        _migrate(None)

    assert rows == [
        (with_pdf.pk, "done", False, hashlib.sha256(PDF).hexdigest()),
        (without_pdf.pk, "queued", True, ""),
    ]
    again = SummaryRequest.objects.get(pk=with_pdf.pk)
    assert (again.pdf_hash, again.hash_verified()) == (hashlib.sha256(PDF).hexdigest(), True)
