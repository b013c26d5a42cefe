"""Preparing summaries: the PDF and page, offline; idempotence; a failure half-way; retry;
Redis unreachable; requeue of stale rows; the monthly round."""

from __future__ import annotations

import datetime
import hashlib
import io
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from pypdf import PdfReader

from clients.models import Client
from hrp import crypto, formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from hrp.celery import app as celery_app
from hrp.crypto import decrypt_bytes
from hrp.pdf import OfflineFetcher
from summaries import services, tasks
from summaries.models import SummaryRequest
from tests.clients.factories import ClientFactory
from tests.pdftext import contains, pdf_text, words
from tests.summaries.conftest import Seeded, broker_down

pytestmark = pytest.mark.django_db


def _queued(client: Client, user: User, start: datetime.date, end: datetime.date) -> SummaryRequest:
    return SummaryRequest.objects.create(
        client=client, period_start=start, period_end=end, requested_by=user
    )


def test_a_summary_is_prepared_to_a_pdf_with_the_chart_number_and_period(
    seeded: Seeded, therapist: User
) -> None:
    summary = _queued(seeded.client, therapist, seeded.start, seeded.end)

    assert services.summary_build(summary_id=summary.pk) == "done"

    summary.refresh_from_db()
    assert (summary.status, summary.progress, summary.attempts, summary.error_code) == (
        "done",
        100,
        1,
        "",
    )
    pdf = summary.pdf_bytes()
    assert pdf is not None
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert summary.pdf_hash == hashlib.sha256(pdf).hexdigest()
    assert summary.content_hash == hashlib.sha256(summary.html.encode()).hexdigest()
    # Stored encrypted: the plaintext PDF and page are not in their columns.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pdf, html FROM summaries_summaryrequest WHERE id = %s", [summary.pk])
        stored_pdf, stored_html = cursor.fetchone()
    assert bytes(stored_pdf).startswith(b"enc1:")
    assert b"%PDF" not in bytes(stored_pdf)
    assert decrypt_bytes(bytes(stored_pdf)) == pdf
    assert stored_html.startswith("enc1:")
    assert seeded.client.chart_number not in stored_html
    period = f"Period: {formats.date(seeded.start)} to {formats.date(seeded.end)}"
    assert contains(pdf, f"Progress summary · {seeded.client.chart_number}")
    assert contains(pdf, period)
    assert contains(pdf, "89% of days within the plan (3 days of use above plan over 4 weeks")
    html = summary.html_body()
    assert html is not None
    assert f"Progress summary · {seeded.client.chart_number}" in html
    assert period in html
    # The page body (also the basis of a copy that leaves the clinic) names no one.
    assert "Robin" not in html
    # The clinic's own copy names the client, the clinician and the clinic on its first page.
    first_page = words(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert first_page.startswith(
        f"Client: Robin ({seeded.client.chart_number}) · HRP Clinic Legal name: Robin Example "
        f"Clinician: {therapist.full_name} Progress summary · {seeded.client.chart_number}"
    )
    assert "Confidential clinical information. Prepared by HRP Clinic." in words(pdf_text(pdf))


def test_no_remote_resource_is_fetched_while_rendering(seeded: Seeded, therapist: User) -> None:
    summary = _queued(seeded.client, therapist, seeded.start, seeded.end)
    fetchers: list[OfflineFetcher] = []

    class Recording(OfflineFetcher):
        def __init__(self) -> None:
            super().__init__()
            fetchers.append(self)

    with mock.patch.object(services, "OfflineFetcher", Recording):
        services.summary_build(summary_id=summary.pk)

    assert len(fetchers) == 1
    assert fetchers[0].refused == []
    summary.refresh_from_db()
    assert summary.status == "done"


def test_a_remote_resource_in_the_html_fails_the_summary(seeded: Seeded, therapist: User) -> None:
    summary = _queued(seeded.client, therapist, seeded.start, seeded.end)
    real = services.render_to_string

    def with_remote_image(template: str, context: dict) -> str:
        html = real(template, context)
        if template == "summaries/summary_pdf.html":
            html = html.replace("</body>", '<img src="https://example.org/x.png"></body>')
        return html

    with mock.patch.object(services, "render_to_string", with_remote_image):
        assert services.summary_build(summary_id=summary.pk) == "failed"

    summary.refresh_from_db()
    assert (summary.status, summary.error_code, summary.pdf) == (
        "failed",
        "remote_resource",
        None,
    )


def test_a_done_summary_is_not_prepared_again(seeded: Seeded, therapist: User) -> None:
    summary = _queued(seeded.client, therapist, seeded.start, seeded.end)
    services.summary_build(summary_id=summary.pk)
    summary.refresh_from_db()
    first_hashes = (summary.content_hash, summary.pdf_hash)

    with mock.patch.object(services, "html_to_pdf") as render:
        assert services.summary_build(summary_id=summary.pk) == "skipped"

    render.assert_not_called()
    summary.refresh_from_db()
    assert (summary.content_hash, summary.pdf_hash, summary.attempts) == (*first_hashes, 1)


def test_a_summary_running_on_a_live_worker_is_skipped(record: Client, therapist: User) -> None:
    summary = _queued(record, therapist, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    SummaryRequest.objects.filter(pk=summary.pk).update(
        status="running", started_at=timezone.now(), attempts=1, progress=40
    )

    assert services.summary_build(summary_id=summary.pk) == "skipped"

    summary.refresh_from_db()
    assert (summary.status, summary.attempts, summary.progress) == ("running", 1, 40)


def test_a_failure_half_way_leaves_a_failed_summary_without_bytes(
    seeded: Seeded, therapist: User
) -> None:
    summary = _queued(seeded.client, therapist, seeded.start, seeded.end)
    seen: list[tuple[str, int]] = []

    def broken_pdf(html: str, fetcher: OfflineFetcher) -> bytes:
        # Half-way: the figures and the page are done; the progress says so.
        seen.append(SummaryRequest.objects.values_list("status", "progress").get(pk=summary.pk))
        raise RuntimeError("renderer crashed")

    with mock.patch.object(services, "html_to_pdf", broken_pdf):
        assert services.summary_build(summary_id=summary.pk) == "failed"

    assert seen == [("running", 70)]
    summary.refresh_from_db()
    assert (summary.status, summary.error_code, summary.progress) == (
        "failed",
        "unexpected_error",
        70,
    )
    assert (summary.pdf, summary.html, summary.content_hash, summary.pdf_hash) == (
        None,
        None,
        "",
        "",
    )
    assert summary.pdf_bytes() is None
    assert summary.finished_at is not None


def test_bytes_cannot_be_stored_on_a_summary_that_is_not_done(
    record: Client, therapist: User
) -> None:
    summary = _queued(record, therapist, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))

    with pytest.raises(IntegrityError), transaction.atomic():
        SummaryRequest.objects.filter(pk=summary.pk).update(
            status="running", pdf=b"partial", content_hash="x" * 64
        )


def test_a_transient_database_error_puts_the_summary_back_in_the_queue(
    seeded: Seeded, therapist: User
) -> None:
    summary = _queued(seeded.client, therapist, seeded.start, seeded.end)

    with (
        mock.patch.object(services.selectors, "summary_data", side_effect=OperationalError("gone")),
        pytest.raises(OperationalError),
    ):
        services.summary_build(summary_id=summary.pk)

    summary.refresh_from_db()
    assert (summary.status, summary.progress, summary.attempts) == ("queued", 0, 1)


def test_retry_prepares_a_failed_summary_again(
    seeded: Seeded, therapist: User, django_capture_on_commit_callbacks
) -> None:
    summary = _queued(seeded.client, therapist, seeded.start, seeded.end)
    with mock.patch.object(services, "html_to_pdf", side_effect=RuntimeError):
        services.summary_build(summary_id=summary.pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.summary_retry(actor=therapist, summary=summary)

    summary.refresh_from_db()
    assert (summary.status, summary.progress, summary.error_code, summary.attempts) == (
        "done",
        100,
        "",
        1,
    )
    assert summary.pdf_bytes().startswith(b"%PDF-")


def test_retry_is_refused_unless_the_summary_failed(record: Client, therapist: User) -> None:
    summary = _queued(record, therapist, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))

    with pytest.raises(ValidationError) as refused:
        services.summary_retry(actor=therapist, summary=summary)

    assert refused.value.messages == [
        "Only a summary that could not be prepared can be tried again."
    ]
    summary.refresh_from_db()
    assert summary.status == "queued"


# --- Redis unreachable ---------------------------------------------------------------------


def test_with_redis_down_the_request_is_kept_queued_and_requeued_later(
    record: Client, therapist: User, django_capture_on_commit_callbacks
) -> None:
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        summary = services.summary_request(
            actor=therapist, client=record, period_start=start, period_end=end
        )

    summary.refresh_from_db()
    assert (summary.status, summary.enqueued_at) == ("queued", None)
    # Under 60 s nothing is published again (and publishing would fail anyway).
    assert services.summary_requeue_stale() == []


def test_requeue_publishes_what_never_reached_the_broker(record: Client, therapist: User) -> None:
    summary = _queued(record, therapist, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    fresh = _queued(record, therapist, datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    SummaryRequest.objects.filter(pk=summary.pk).update(
        requested_at=timezone.now() - datetime.timedelta(seconds=61)
    )

    # Eager in tests: publishing runs the build at once.
    assert tasks.requeue_stale.delay().get() == 1

    summary.refresh_from_db()
    fresh.refresh_from_db()
    assert (summary.status, fresh.status) == ("done", "queued")


def test_requeue_takes_back_a_summary_whose_worker_died(record: Client, therapist: User) -> None:
    long_ago = timezone.now() - services.RUNNING_STALE_AFTER - datetime.timedelta(seconds=1)
    dead = _queued(record, therapist, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    hopeless = _queued(record, therapist, datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    alive = _queued(record, therapist, datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    SummaryRequest.objects.filter(pk=dead.pk).update(
        status="running", started_at=long_ago, attempts=1
    )
    SummaryRequest.objects.filter(pk=hopeless.pk).update(
        status="running", started_at=long_ago, attempts=services.MAX_ATTEMPTS
    )
    SummaryRequest.objects.filter(pk=alive.pk).update(
        status="running", started_at=timezone.now(), attempts=1
    )

    assert services.summary_requeue_stale() == [dead.pk]

    states = dict(SummaryRequest.objects.values_list("pk", "status"))
    assert states == {dead.pk: "done", hopeless.pk: "failed", alive.pk: "running"}
    assert SummaryRequest.objects.get(pk=hopeless.pk).error_code == "worker_lost"
    assert SummaryRequest.objects.get(pk=dead.pk).attempts == 2


# --- Monthly ---------------------------------------------------------------------------------


def test_monthly_summaries_once_per_active_client_and_month(
    therapist: User, django_capture_on_commit_callbacks
) -> None:
    active = [ClientFactory(therapist=therapist) for _ in range(2)]
    ClientFactory(therapist=therapist, status=Client.Status.ON_HOLD)
    today = datetime.date(2026, 3, 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.monthly_summaries_create(today=today) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert services.monthly_summaries_create(today=today) == 0

    rows = SummaryRequest.objects.order_by("client_id")
    assert [
        (r.client_id, r.kind, r.period_start, r.period_end, r.status, r.requested_by_id)
        for r in rows
    ] == [
        (c.pk, "monthly", datetime.date(2026, 2, 1), datetime.date(2026, 2, 28), "done", None)
        for c in active
    ]
    # The round stores pages only: no PDF was made (its PDF comes on first download).
    assert [(r.pdf, r.pdf_hash, r.hash_verified()) for r in rows] == [(None, "", True)] * 2


# --- The PDF on first download -----------------------------------------------------------------


def _monthly(seeded: Seeded) -> SummaryRequest:
    summary = SummaryRequest.objects.create(
        kind=SummaryRequest.Kind.MONTHLY,
        client=seeded.client,
        period_start=seeded.start,
        period_end=seeded.end,
    )
    assert services.summaries_build(summary_ids=[summary.pk]) == {"done": 1}
    return SummaryRequest.objects.select_related("client").get(pk=summary.pk)


def test_a_monthly_summary_is_done_with_its_page_and_hash_and_no_pdf(seeded: Seeded) -> None:
    summary = _monthly(seeded)

    assert (summary.status, summary.progress, summary.pdf, summary.pdf_hash) == (
        "done",
        100,
        None,
        "",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM summaries_summaryrequest WHERE id = %s AND pdf IS NULL "
            "AND html IS NOT NULL",
            [summary.pk],
        )
        assert cursor.fetchone() == (1,)
    assert summary.content_hash == hashlib.sha256(summary.html.encode()).hexdigest()
    assert summary.hash_verified() is True
    assert summary.pdf_bytes() is None


def test_the_first_download_makes_and_stores_the_pdf_the_second_serves_it(
    seeded: Seeded, therapist: User
) -> None:
    summary = _monthly(seeded)
    with mock.patch.object(services, "html_to_pdf", wraps=services.html_to_pdf) as render:
        first = services.summary_download(actor=therapist, summary=summary)
        stored = SummaryRequest.objects.select_related("client").get(pk=summary.pk)
        second = services.summary_download(actor=therapist, summary=stored)

    assert render.call_count == 1
    assert first is not None and first.startswith(b"%PDF-")
    assert second == first
    assert (stored.pdf_bytes(), stored.pdf_hash) == (first, hashlib.sha256(first).hexdigest())
    assert stored.hash_verified() is True
    assert contains(first, f"Progress summary · {seeded.client.chart_number}")
    assert contains(first, f"Period: {formats.date(seeded.start)} to {formats.date(seeded.end)}")
    assert contains(first, "89% of days within the plan (3 days of use above plan over 4 weeks")
    # Made on download, the clinic's own copy names the client and the clinician all the same.
    assert words(PdfReader(io.BytesIO(first)).pages[0].extract_text()).startswith(
        f"Client: Robin ({seeded.client.chart_number}) · HRP Clinic Legal name: Robin Example "
        f"Clinician: {therapist.full_name} Progress summary"
    )
    assert (
        list(
            AuditEvent.objects.filter(object_id=str(summary.pk), action__startswith="summary.")
            .order_by("id")
            .values_list("action", "actor_id")
        )
        == [("summary.download", therapist.pk)] * 2
    )


def test_two_first_downloads_at_once_serve_the_same_stored_pdf(
    seeded: Seeded, therapist: User, supervisor: User
) -> None:
    summary = _monthly(seeded)
    # Both loaded before either stored its PDF, as two requests at the same moment.
    mine = SummaryRequest.objects.select_related("client").get(pk=summary.pk)
    theirs = SummaryRequest.objects.select_related("client").get(pk=summary.pk)

    first = services.summary_download(actor=therapist, summary=mine)
    second = services.summary_download(actor=supervisor, summary=theirs)

    assert first is not None
    assert second == first
    assert SummaryRequest.objects.get(pk=summary.pk).pdf_bytes() == first


def test_a_tampered_page_is_never_made_into_a_pdf(seeded: Seeded, therapist: User) -> None:
    summary = _monthly(seeded)
    SummaryRequest.objects.filter(pk=summary.pk).update(html="<p>changed</p>")
    tampered = SummaryRequest.objects.select_related("client").get(pk=summary.pk)

    with mock.patch.object(services, "html_to_pdf", wraps=services.html_to_pdf) as render:
        assert services.summary_download(actor=therapist, summary=tampered) is None

    render.assert_not_called()
    assert (tampered.hash_verified(), tampered.html_body()) == (False, None)
    assert SummaryRequest.objects.filter(pk=summary.pk, pdf__isnull=True).exists()
    assert not AuditEvent.objects.filter(
        object_id=str(summary.pk), action__startswith="summary."
    ).exists()


def test_key_rotation_verifies_summaries_with_and_without_their_pdf(
    seeded: Seeded, therapist: User
) -> None:
    without = _monthly(seeded)
    made = SummaryRequest.objects.create(
        kind=SummaryRequest.Kind.CLIENT,
        client=seeded.client,
        period_start=seeded.start,
        period_end=seeded.end,
    )
    assert services.summary_build(summary_id=made.pk) == "done"
    table = next(t for t in crypto.registry() if t.model is SummaryRequest)

    assert table.verified([without.pk, made.pk]) == {without.pk, made.pk}
    SummaryRequest.objects.filter(pk=made.pk).update(pdf_hash="0" * 64)
    SummaryRequest.objects.filter(pk=without.pk).update(content_hash="0" * 64)
    assert table.verified([without.pk, made.pk]) == set()


def test_the_database_refuses_a_second_monthly_summary(record: Client) -> None:
    values = {
        "kind": "monthly",
        "client": record,
        "period_start": datetime.date(2026, 1, 1),
        "period_end": datetime.date(2026, 1, 31),
    }
    SummaryRequest.objects.create(**values)

    with pytest.raises(IntegrityError), transaction.atomic():
        SummaryRequest.objects.create(**values)


def test_the_monthly_task_is_the_one_beat_names() -> None:
    schedule = celery_app.conf.beat_schedule
    assert schedule["summaries-monthly"]["task"] == tasks.monthly_summaries.name
    assert schedule["summaries-requeue"]["task"] == tasks.requeue_stale.name
    assert tasks.build_summary.name == "summaries.tasks.build_summary"


def test_previous_month() -> None:
    assert services.previous_month(datetime.date(2026, 1, 1)) == (
        datetime.date(2025, 12, 1),
        datetime.date(2025, 12, 31),
    )
    assert services.previous_month(datetime.date(2024, 3, 15)) == (
        datetime.date(2024, 2, 1),
        datetime.date(2024, 2, 29),
    )
