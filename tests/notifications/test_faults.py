"""Faults the reminders must survive, with the real Redis and real worker processes.

- A worker killed with SIGKILL in the middle of sending a batch: after a restart every due
  reminder is sent exactly once.
- Beat running twice by mistake (two plan and two send tasks at once, on two workers): no
  duplicate rows, no duplicate emails.
- Redis unreachable: the pages keep working (no 500), /healthz says so with a 503, and once
  Redis is back a worker sends everything due exactly once.

The workers are `celery -A hrp worker` processes on a queue of the test's own, connected to this
test run's database (so the tests commit their rows: transaction=True) and configured by
tests/notifications/worker_settings.py to send email through the slow file-writing backend in
tests/notifications/slow_backend.py, whose file is the record of what was delivered.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
import redis
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from assessments.measures import MEASURES
from hrp.accounts.models import User
from hrp.celery import app as celery_app
from notifications import services, tasks
from notifications.models import Reminder
from tests.assessments.factories import AdministrationFactory, answers_for
from tests.clients.factories import ClientFactory
from tests.conftest import unreachable_redis_url
from tests.sessions.factories import AppointmentFactory
from tests.workers import database_url, worker_command

PROJECT_DIR = Path(settings.BASE_DIR)
TASK_TIMEOUT = 30

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
    pytest.mark.django_db(transaction=True),
]


# --- Workers -----------------------------------------------------------------------------------


class Worker:
    def __init__(self, process: subprocess.Popen, log: IO[bytes]) -> None:
        self.process = process
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextmanager
def worker(queue: str, mail_file: Path, *, name: str, delay: float = 0.2) -> Iterator[Worker]:
    """A real worker on `queue`, ready when entered, stopped (or reaped after a kill) on exit."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        CONN_MAX_AGE="0",
        DJANGO_SETTINGS_MODULE="tests.notifications.worker_settings",
        SLOW_MAIL_FILE=str(mail_file),
        SLOW_MAIL_DELAY=str(delay),
    )
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            worker_command(queue, name=f"{name}-{uuid.uuid4().hex[:8]}@%h"),
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started = Worker(process, log)
        try:
            _wait_for(lambda: " ready." in started.output() or process.poll() is not None, 30)
            if process.poll() is not None:
                pytest.fail(f"worker exited at start; its log:\n{started.output()}")
            yield started
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def _wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue of this test's own; afterwards its messages, kombu's bindings for it and any
    message a killed worker left unacknowledged are removed."""
    name = f"hrp-test-reminders-{uuid.uuid4().hex}"
    yield name
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
    for tag, payload in broker.hgetall("unacked").items():
        if json.loads(payload)[-1] == name:
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)


@pytest.fixture
def mail_file(tmp_path: Path) -> Path:
    path = tmp_path / "delivered.txt"
    path.touch()
    return path


def _lines(mail_file: Path, verb: str) -> list[str]:
    """The Message-IDs of the file's `verb` ("sending" or "sent") lines, in order."""
    return [
        line.split()[1] for line in mail_file.read_text().splitlines() if line.split()[0] == verb
    ]


def _message_ids(**filters: str) -> set[str]:
    return {
        f"<{key.replace(':', '.')}@hrp-reminders>"
        for key in Reminder.objects.filter(channel="email", **filters).values_list("key", flat=True)
    }


def _send_until_none_pending(queue: str, runs: int = 5) -> list[int]:
    """Run the send task on the worker until no due reminder is left; the counts it handled."""
    handled = []
    for _run in range(runs):
        result = tasks.send_due_reminders.apply_async(queue=queue)
        handled.append(result.get(timeout=TASK_TIMEOUT))
        result.forget()
        if not Reminder.objects.filter(status="pending").exists():
            return handled
        time.sleep(0.5)  # a row still locked by a killed worker's session
    raise AssertionError(f"still pending after {runs} runs: {handled}")


def _flagged(therapist: User, count: int) -> None:
    """`count` PHQ-9 answers needing follow-up an hour ago: reminders due at once."""
    record = ClientFactory(therapist=therapist)
    administered = timezone.now() - datetime.timedelta(hours=1)
    for _index in range(count):
        AdministrationFactory(
            client=record, answers=answers_for(MEASURES["PHQ9"], 27), administered_at=administered
        )


@pytest.fixture
def emailed_therapist(therapist: User) -> User:
    therapist.email_reminders = True
    therapist.save(update_fields=["email_reminders"])
    return therapist


# --- SIGKILL mid-batch -------------------------------------------------------------------------


def test_worker_killed_mid_batch_then_every_reminder_sent_exactly_once(
    emailed_therapist: User, queue: str, mail_file: Path
) -> None:
    _flagged(emailed_therapist, 20)
    assert services.plan_reminders() == 40
    expected_ids = _message_ids()

    with worker(queue, mail_file, name="first") as first:
        tasks.send_due_reminders.apply_async(queue=queue)

        def mid_send() -> bool:
            sending, sent = _lines(mail_file, "sending"), _lines(mail_file, "sent")
            return len(sent) >= 5 and len(sending) == len(sent) + 1

        _wait_for(mid_send, TASK_TIMEOUT, interval=0.005)
        os.kill(first.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        interrupted = _lines(mail_file, "sending")[-1]

    sent_before_restart = Reminder.objects.filter(status="sent").count()
    assert 10 <= sent_before_restart < 40
    assert interrupted not in _message_ids(status="sent")
    assert interrupted not in _lines(mail_file, "sent")

    with worker(queue, mail_file, name="second"):
        _send_until_none_pending(queue)

    assert Counter(Reminder.objects.values_list("status", flat=True)) == {"sent": 40}
    assert Counter(_lines(mail_file, "sent")) == Counter(expected_ids)
    # The message on its way when the worker died was started twice and delivered once.
    sending = Counter(_lines(mail_file, "sending"))
    assert sending == Counter(expected_ids) + Counter([interrupted])


# --- Beat twice --------------------------------------------------------------------------------


def test_beat_twice_sends_nothing_twice(
    emailed_therapist: User, supervisor: User, queue: str, mail_file: Path
) -> None:
    supervisor.email_reminders = True
    supervisor.save(update_fields=["email_reminders"])
    _flagged(emailed_therapist, 10)

    with (
        worker(queue, mail_file, name="one", delay=0.05) as one,
        worker(queue, mail_file, name="two", delay=0.05) as two,
    ):
        plans = [tasks.plan_reminders.apply_async(queue=queue) for _beat in range(2)]
        sends = [tasks.send_due_reminders.apply_async(queue=queue) for _beat in range(2)]
        for result in plans + sends:
            result.get(timeout=TASK_TIMEOUT)
            result.forget()
        _send_until_none_pending(queue)
        pids = {int(line.split()[2]) for line in mail_file.read_text().splitlines()}

    # 10 answers x (therapist, supervisor) x (in the app, email)
    assert Reminder.objects.count() == 40
    assert Counter(Reminder.objects.values_list("status", flat=True)) == {"sent": 40}
    expected_ids = _message_ids()
    assert len(expected_ids) == 20
    assert Counter(_lines(mail_file, "sent")) == Counter(expected_ids)
    assert Counter(_lines(mail_file, "sending")) == Counter(expected_ids)
    # Both workers sent (the rows were really contended), and between them nothing twice.
    assert pids == {one.pid, two.pid}


# --- Redis unreachable -------------------------------------------------------------------------


@contextmanager
def redis_unreachable(settings_fixture) -> Iterator[None]:
    """Point this process's settings and Celery broker at a port that refuses connections. (The
    result backend stays: its client would retry for 20 s on its first use, and nothing here
    waits for a result while Redis is away.)"""
    previous = (settings.REDIS_URL, celery_app.conf.broker_url)
    with unreachable_redis_url() as url:
        settings_fixture.REDIS_URL = url
        celery_app.conf.broker_url = url
        _forget_broker_connections()
        try:
            yield
        finally:
            settings_fixture.REDIS_URL = previous[0]
            celery_app.conf.broker_url = previous[1]
            _forget_broker_connections()


def _forget_broker_connections() -> None:
    """Drop the app's cached connection and producer pools so the next task connects anew."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_pages_work_without_redis_and_reminders_go_out_once_it_is_back(
    emailed_therapist: User,
    client_for: Callable[[User | None], HttpClient],
    queue: str,
    mail_file: Path,
    settings,
) -> None:
    record = ClientFactory(therapist=emailed_therapist)
    AppointmentFactory(client=record)
    _flagged(emailed_therapist, 5)
    web = client_for(emailed_therapist)

    with redis_unreachable(settings):
        pages = {
            name: web.get(url).status_code
            for name, url in [
                ("caseload", reverse("clients:caseload")),
                ("chart", reverse("clients:chart", args=[record.pk])),
                ("sessions", reverse("sessions:section", args=[record.pk])),
                ("reminders", reverse("notifications:inbox")),
                ("badge", reverse("notifications:badge")),
            ]
        }
        health = web.get("/healthz")
        # Beat cannot enqueue either; the reminders wait as rows in the database.
        with pytest.raises(BrokerUnavailable):
            tasks.send_due_reminders.apply_async(queue=queue, retry=False, ignore_result=True)
        planned = services.plan_reminders()

    assert pages == {"caseload": 200, "chart": 200, "sessions": 200, "reminders": 200, "badge": 200}
    assert health.status_code == 503
    assert health.json() == {
        "status": "unavailable",
        "database": {"ok": True, "detail": "postgresql"},
        "broker": {"ok": False, "detail": "ConnectionError"},
        "indexes": {"ok": True, "invalid": []},
        "beat_heartbeat_age_seconds": None,
    }
    assert planned == 10
    assert Counter(Reminder.objects.values_list("status", flat=True)) == {"pending": 10}

    with worker(queue, mail_file, name="back", delay=0.01):
        handled = _send_until_none_pending(queue)
        again = tasks.send_due_reminders.apply_async(queue=queue)
        handled.append(again.get(timeout=TASK_TIMEOUT))
        again.forget()

    assert handled == [10, 0]
    assert Counter(Reminder.objects.values_list("status", flat=True)) == {"sent": 10}
    assert Counter(_lines(mail_file, "sent")) == Counter(_message_ids())
    assert web.get("/healthz").status_code == 200
