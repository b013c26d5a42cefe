"""A real Celery worker over Redis prepares summaries, including one asked for while Redis was
unreachable and published again by requeue_stale once it was back."""

from __future__ import annotations

import datetime
import os
import subprocess
import tempfile
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from summaries import services
from summaries.models import SummaryRequest
from tests.clients.factories import ClientFactory
from tests.summaries.conftest import broker_down, seed
from tests.workers import database_url, worker_command

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the worker process needs a database server it can share with the test",
    ),
    pytest.mark.django_db(transaction=True),
]


def _wait_for(pk: int, status: str, timeout: float = 90) -> SummaryRequest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summary = SummaryRequest.objects.get(pk=pk)
        if summary.status == status:
            return summary
        time.sleep(0.2)
    return SummaryRequest.objects.get(pk=pk)


def test_a_real_worker_prepares_summaries_even_after_redis_was_down(therapist: User) -> None:
    record: Client = ClientFactory(therapist=therapist)
    seeded = seed(record)
    queue = f"hrp-test-summaries-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": database_url(), "CONN_MAX_AGE": "0"}
    with tempfile.TemporaryFile() as log, override_settings(SUMMARIES_QUEUE=queue):
        # While Redis is unreachable: the request is accepted and stays queued.
        with broker_down():
            early = services.summary_request(
                actor=therapist,
                client=record,
                period_start=seeded.start,
                period_end=seeded.end,
            )
        assert SummaryRequest.objects.get(pk=early.pk).status == "queued"

        worker = subprocess.Popen(
            worker_command(queue),
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # Redis is back: a direct request goes straight to the worker...
            direct = services.summary_request(
                actor=therapist,
                client=record,
                period_start=seeded.start,
                period_end=seeded.end,
            )
            # ...and beat's requeue publishes the one that never reached the broker.
            SummaryRequest.objects.filter(pk=early.pk).update(
                requested_at=timezone.now() - datetime.timedelta(seconds=61)
            )
            assert services.summary_requeue_stale() == [early.pk]

            results = [_wait_for(direct.pk, "done"), _wait_for(early.pk, "done")]
            if any(r.status != "done" for r in results):
                log.seek(0)
                pytest.fail(f"worker did not finish; its log:\n{log.read().decode()}")
            for summary in results:
                pdf = summary.pdf_bytes()
                assert pdf is not None and pdf.startswith(b"%PDF-")
                assert (summary.progress, summary.attempts, summary.error_code) == (100, 1, "")
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
            broker = redis.Redis.from_url(os.environ["REDIS_URL"])
            broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def test_a_real_worker_prepares_the_monthly_round_one_task_per_group(therapist: User) -> None:
    clients = [ClientFactory(therapist=therapist) for _ in range(5)]
    queue = f"hrp-test-summaries-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": database_url(), "CONN_MAX_AGE": "0"}
    with tempfile.TemporaryFile() as log, override_settings(SUMMARIES_QUEUE=queue):
        worker = subprocess.Popen(
            worker_command(queue),
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            assert services.monthly_summaries_create(group_size=2) == 5
            ids = list(SummaryRequest.objects.order_by("id").values_list("pk", flat=True))
            results = [_wait_for(pk, "done") for pk in ids]
            log.seek(0)
            text = log.read().decode()
            if any(r.status != "done" for r in results):
                pytest.fail(f"worker did not finish; its log:\n{text}")
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
            broker = redis.Redis.from_url(os.environ["REDIS_URL"])
            broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        log.seek(0)
        text = log.read().decode()
    # 5 clients in groups of 2: three messages, each carrying ids only.
    received = [line for line in text.splitlines() if "received" in line]
    assert len(received) == 3, text
    assert all("summaries.tasks.build_summaries[" in line for line in received)
    assert "build_summary[" not in text
    for client in clients:
        assert client.chart_number not in text
        assert client.legal_name not in text
    assert sorted((r.client_id, r.kind, r.attempts) for r in results) == sorted(
        (c.pk, "monthly", 1) for c in clients
    )
    # The round stores pages only; each PDF is made on its first download.
    assert [(r.pdf, r.pdf_hash, r.hash_verified()) for r in results] == [(None, "", True)] * 5
