"""Celery: tasks run in-process without a broker, and a real worker answers over Redis."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from hrp.celery import app as celery_app
from hrp.core.tasks import ping
from tests.workers import worker_command

PROJECT_DIR = Path(settings.BASE_DIR)


def test_ping_runs_eagerly_in_process() -> None:
    assert celery_app.conf.task_always_eager is True

    assert ping.delay().get() == "pong"


def test_tasks_are_discovered() -> None:
    assert {"hrp.core.tasks.ping", "hrp.core.tasks.heartbeat"} - set(celery_app.tasks) == set()
    assert celery_app.conf.beat_schedule["worker-heartbeat"]["task"] == "hrp.core.tasks.heartbeat"


@pytest.mark.real_worker
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_a_real_worker_answers_ping_over_redis() -> None:
    assert celery_app.conf.task_always_eager is False
    # A queue of its own, so no other worker on this Redis takes the task.
    queue = f"hrp-test-{uuid.uuid4().hex}"
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(
            worker_command(queue),
            cwd=PROJECT_DIR,
            env=dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            result = ping.apply_async(queue=queue)
            try:
                answer = result.get(timeout=60)
            except Exception:
                log.seek(0)
                pytest.fail(f"worker did not answer; its log:\n{log.read().decode()}")
            result.forget()
            assert answer == "pong"
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
            _forget_queue(queue)


def _forget_queue(queue: str) -> None:
    """Remove the queue and kombu's bindings for it, so test runs leave Redis as it was."""
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
