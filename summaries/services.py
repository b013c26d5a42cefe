"""Writes for progress summaries: asking for one, preparing it (the worker's part), trying
again after a failure, re-enqueueing what never reached a worker, and the monthly round.

How a summary survives faults:
- The request is a database row first; the task is published only after commit, and a broker
  error (Redis down) is caught and logged, so the page that asked still answers and the row
  stays queued. `summary_requeue_stale` (beat, every minute) publishes it again later.
- Preparing claims the row under a row lock, so a second delivery of the same task (acks-late
  redelivery, a duplicate from the requeue) finds it running or done and does nothing.
- The PDF and the page's HTML are written in the same transaction that sets "done"; a failure
  at any step sets "failed" with a short code and stores no bytes (a database constraint
  enforces it too).
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import hashlib
import logging
from functools import partial
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.pdf import OfflineFetcher, html_to_pdf

# tasks.py imports this module too (tasks are thin wrappers over services): the module, not
# its names, is imported here, so either may load first.
from summaries import selectors, tasks
from summaries.models import SummaryRequest

logger = logging.getLogger(__name__)

# What publishing a task raises when the broker cannot be reached.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.RedisError,
    OSError,
)
# Database errors worth another try (a restart, a dropped connection): the task retries them.
TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)

# A queued row that never reached the broker is published again after this long...
REQUEUE_UNPUBLISHED_AFTER = datetime.timedelta(seconds=60)
# ...and one that was published but not started after this long (its message was lost, e.g.
# Redis restarted without persistence). Longer, so a worker busy with a backlog is not sent
# duplicates every minute (duplicates would be harmless, only wasted).
REQUEUE_PUBLISHED_AFTER = datetime.timedelta(minutes=10)
# A row whose worker died (SIGKILL, OOM) stays "running"; past the hard time limit plus a
# margin no live worker can still hold it.
RUNNING_STALE_AFTER = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)
# A summary that loses its worker this many times is marked failed rather than retried
# forever (it may be what kills the worker).
MAX_ATTEMPTS = 3

PROGRESS_CLAIMED = 10
PROGRESS_DATA = 40
PROGRESS_RENDERED = 70
PROGRESS_DONE = 100


class RemoteResourceRefused(Exception):
    """The summary's HTML asked for a resource from outside: it is not turned into a PDF."""


# --- Asking for a summary ---------------------------------------------------------------------


def _publish(summary_id: int) -> bool:
    """Hand the build task to the broker; True when it got there. Never raises: a page that
    asked for a summary must answer even when Redis is down (the row stays queued)."""
    options: dict[str, Any] = {"retry": False}
    queue = getattr(settings, "SUMMARIES_QUEUE", None)
    if queue:
        options["queue"] = queue
    try:
        tasks.build_summary.apply_async(args=[summary_id], **options)
    except BROKER_ERRORS as error:
        logger.warning(
            "summary %s not enqueued (%s); it stays queued for requeue_stale",
            summary_id,
            type(error).__name__,
        )
        return False
    except Exception as error:
        # Only reachable in eager mode, where the task runs inside apply_async: its own
        # failure is already recorded on the row, the page must not turn it into a 500.
        logger.error("summary %s build raised %s", summary_id, type(error).__name__)
        return True
    SummaryRequest.objects.filter(pk=summary_id, status=SummaryRequest.Status.QUEUED).update(
        enqueued_at=timezone.now()
    )
    return True


def summary_enqueue(*, summary_id: int) -> None:
    """Publish the build task once the current transaction commits (ids only, no PHI)."""
    transaction.on_commit(partial(_publish, summary_id))


def _check_period(period_start: datetime.date, period_end: datetime.date) -> None:
    """Whatever the caller: both days inside bounds.PERIOD, so building cannot overflow."""
    bounds.check_dates(
        {"period_start": period_start, "period_end": period_end},
        {"period_start": bounds.PERIOD, "period_end": bounds.PERIOD},
    )


@transaction.atomic
def summary_request(
    *,
    actor: User,
    client: Client,
    period_start: datetime.date,
    period_end: datetime.date,
) -> SummaryRequest:
    """Ask for a progress summary of `client` over [period_start, period_end]. Refused
    (PermissionDenied) unless `actor` is in the client's care team (hrp.access: not a reader
    under an emergency grant). The caller has validated the period (forms.PeriodForm).

    Side effects: change event `summary.request`; the build task is published after commit.
    """
    access.require_care(actor, client)
    _check_period(period_start, period_end)
    summary = SummaryRequest.objects.create(
        kind=SummaryRequest.Kind.CLIENT,
        client=client,
        period_start=period_start,
        period_end=period_end,
        requested_by=actor,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SUMMARY_REQUEST,
        actor=actor,
        obj=summary,
        chart_number=client.chart_number,
    )
    summary_enqueue(summary_id=summary.pk)
    return summary


@transaction.atomic
def caseload_summary_request(
    *,
    actor: User,
    period_start: datetime.date,
    period_end: datetime.date,
) -> SummaryRequest:
    """Ask for a PDF of the supervisor's caseload summary (all current supervisees' clients).

    Side effects: change event `summary.request_caseload`; the build task after commit.
    """
    _check_period(period_start, period_end)
    summary = SummaryRequest.objects.create(
        kind=SummaryRequest.Kind.CASELOAD,
        supervisor=actor,
        period_start=period_start,
        period_end=period_end,
        requested_by=actor,
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SUMMARY_REQUEST_CASELOAD,
        actor=actor,
        obj=summary,
    )
    summary_enqueue(summary_id=summary.pk)
    return summary


@transaction.atomic
def summary_retry(*, actor: User, summary: SummaryRequest) -> SummaryRequest:
    """Queue a failed summary again, from the start. Refused unless it failed.

    Side effects: change event `summary.retry`; the build task after commit.
    """
    locked = (
        SummaryRequest.objects.select_for_update(of=("self",))
        .defer(*selectors.LIGHT_FIELDS)
        .select_related("client")
        .get(pk=summary.pk)
    )
    if locked.status != SummaryRequest.Status.FAILED:
        raise ValidationError(_("Only a summary that could not be prepared can be tried again."))
    if locked.client is not None:
        access.require_care(actor, locked.client)
    locked.status = SummaryRequest.Status.QUEUED
    locked.progress = 0
    locked.error_code = ""
    locked.attempts = 0
    locked.started_at = None
    locked.finished_at = None
    locked.enqueued_at = None
    locked.save(
        update_fields=[
            "status",
            "progress",
            "error_code",
            "attempts",
            "started_at",
            "finished_at",
            "enqueued_at",
        ]
    )
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=AuditAction.SUMMARY_RETRY,
        actor=actor,
        obj=locked,
        chart_number=locked.client.chart_number if locked.client else "",
    )
    summary_enqueue(summary_id=locked.pk)
    return locked


# --- Preparing a summary (the worker's part) --------------------------------------------------


def _claim(summary_id: int, now: datetime.datetime) -> SummaryRequest | None:
    """Mark the row running for this worker, or None when there is nothing to do: it is done,
    failed (only a person's retry queues it again), gone, or held by a live worker."""
    with transaction.atomic():
        summary = (
            SummaryRequest.objects.select_for_update(skip_locked=True)
            .defer(*selectors.LIGHT_FIELDS)
            .filter(pk=summary_id)
            .first()
        )
        if summary is None or summary.status in (
            SummaryRequest.Status.DONE,
            SummaryRequest.Status.FAILED,
        ):
            return None
        if (
            summary.status == SummaryRequest.Status.RUNNING
            and summary.started_at is not None
            and summary.started_at > now - RUNNING_STALE_AFTER
        ):
            return None  # another worker is on it
        summary.status = SummaryRequest.Status.RUNNING
        summary.started_at = now
        summary.attempts += 1
        summary.progress = PROGRESS_CLAIMED
        summary.error_code = ""
        summary.save(update_fields=["status", "started_at", "attempts", "progress", "error_code"])
        return summary


def _progress(summary: SummaryRequest, value: int) -> None:
    # Its own short transaction (autocommit), so the polling page sees it at once.
    SummaryRequest.objects.filter(
        pk=summary.pk, status=SummaryRequest.Status.RUNNING, attempts=summary.attempts
    ).update(progress=value)


def _error_code(error: BaseException) -> str:
    """A short code for the row: the type of failure, never its message (it could quote
    clinical content)."""
    if isinstance(error, SoftTimeLimitExceeded):
        return "timeout"
    if isinstance(error, RemoteResourceRefused):
        return "remote_resource"
    if isinstance(error, TemplateSyntaxError | TemplateDoesNotExist):
        return "render_error"
    if isinstance(error, DatabaseError):
        return "database_error"
    module = type(error).__module__ or ""
    if module.startswith(("weasyprint", "pydyf", "fontTools", "tinycss2", "cssselect2")):
        return "pdf_error"
    return "unexpected_error"


def _fail(summary: SummaryRequest, code: str) -> None:
    SummaryRequest.objects.filter(
        pk=summary.pk, status=SummaryRequest.Status.RUNNING, attempts=summary.attempts
    ).update(status=SummaryRequest.Status.FAILED, error_code=code, finished_at=timezone.now())


def _release(summary: SummaryRequest) -> None:
    """Back to queued after a transient error, for the task's own retry to pick up."""
    # If the database itself is the problem this fails too; requeue_stale resets the row
    # once it is back.
    with contextlib.suppress(DatabaseError):
        SummaryRequest.objects.filter(
            pk=summary.pk, status=SummaryRequest.Status.RUNNING, attempts=summary.attempts
        ).update(status=SummaryRequest.Status.QUEUED, progress=0)


def _content(summary: SummaryRequest) -> tuple[str, dict[str, Any]]:
    """The body template and its context for the summary's kind."""
    if summary.kind == SummaryRequest.Kind.CASELOAD:
        supervisor = User.objects.get(pk=summary.supervisor_id)
        rows = selectors.caseload_summary(supervisor, summary.period_start, summary.period_end)
        return "summaries/_caseload_body.html", {
            "rows": rows,
            "supervisor": supervisor,
            "start": summary.period_start,
            "end": summary.period_end,
            "prepared_at": timezone.now(),
        }
    client = selectors.summary_client(summary.client_id)
    data = selectors.summary_data(client, summary.period_start, summary.period_end)
    return "summaries/_summary_body.html", {"data": data}


def summary_build(*, summary_id: int) -> str:
    """Prepare the summary `summary_id`: figures, HTML, PDF. Returns what happened ("done",
    "failed", "skipped"). Idempotent: a done or running (live worker) summary is left alone.

    Progress moves 10 (claimed) / 40 (figures) / 70 (page) / 100 (PDF stored), each in its own
    short transaction. The PDF and HTML, encrypted, are stored in the transaction that sets
    "done". Any failure sets "failed" with a short code and stores nothing, except a transient
    database error, which puts the row back in the queue and re-raises for the task to retry.

    Side effects: none outside the row (no audit: no person reads anything here).
    """
    summary = _claim(summary_id, timezone.now())
    if summary is None:
        return "skipped"
    try:
        body_template, context = _content(summary)
        _progress(summary, PROGRESS_DATA)
        body = render_to_string(body_template, context)
        _progress(summary, PROGRESS_RENDERED)
        document = render_to_string(
            "summaries/summary_pdf.html",
            {"body": body, "summary": summary, "chart_number": _chart_number(summary)},
        )
        fetcher = OfflineFetcher()
        pdf = html_to_pdf(document, fetcher)
        if fetcher.refused:
            raise RemoteResourceRefused(f"{len(fetcher.refused)} URL(s) refused")
        with transaction.atomic():
            stored = SummaryRequest.objects.filter(
                pk=summary.pk, status=SummaryRequest.Status.RUNNING, attempts=summary.attempts
            ).update(
                status=SummaryRequest.Status.DONE,
                progress=PROGRESS_DONE,
                # Encrypted by the fields themselves (hrp.crypto).
                pdf=pdf,
                html=body,
                content_hash=hashlib.sha256(pdf).hexdigest(),
                finished_at=timezone.now(),
                error_code="",
            )
        # 0 rows: requeue_stale judged this worker dead and someone else took over; their
        # result stands and ours is dropped.
        return "done" if stored else "skipped"
    except TRANSIENT_DB_ERRORS:
        _release(summary)
        raise
    except Exception as error:
        code = _error_code(error)
        # The type and the row id only: messages and tracebacks could quote clinical content.
        logger.error("summary %s could not be prepared: %s", summary.pk, type(error).__name__)
        _fail(summary, code)
        return "failed"


def _chart_number(summary: SummaryRequest) -> str:
    if summary.client_id is None:
        return ""
    return Client.objects.filter(pk=summary.client_id).values_list("chart_number", flat=True)[0]


# --- Beat -------------------------------------------------------------------------------------


def summary_requeue_stale(*, now: datetime.datetime | None = None) -> list[int]:
    """Publish again what never reached a worker, and take back what a dead worker held.

    - queued, never published (Redis was down) and older than 60 s;
    - queued, published more than 10 minutes ago and still not started (message lost);
    - running, started longer ago than the hard time limit allows (the worker died): back to
      queued, or failed with "worker_lost" after MAX_ATTEMPTS tries.

    Returns the ids published again. Safe to run twice at once: rows are locked, and a
    duplicate task finds its summary running or done and does nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        dead = list(
            SummaryRequest.objects.select_for_update(skip_locked=True)
            .filter(status=SummaryRequest.Status.RUNNING, started_at__lt=now - RUNNING_STALE_AFTER)
            .values_list("pk", "attempts")
        )
        lost = [pk for pk, attempts in dead if attempts >= MAX_ATTEMPTS]
        retry = [pk for pk, attempts in dead if attempts < MAX_ATTEMPTS]
        if lost:
            SummaryRequest.objects.filter(pk__in=lost).update(
                status=SummaryRequest.Status.FAILED, error_code="worker_lost", finished_at=now
            )
        if retry:
            SummaryRequest.objects.filter(pk__in=retry).update(
                status=SummaryRequest.Status.QUEUED, progress=0, enqueued_at=None
            )
        waiting = list(
            SummaryRequest.objects.filter(status=SummaryRequest.Status.QUEUED)
            .filter(
                Q(enqueued_at__isnull=True, requested_at__lt=now - REQUEUE_UNPUBLISHED_AFTER)
                | Q(enqueued_at__lt=now - REQUEUE_PUBLISHED_AFTER)
                | Q(pk__in=retry)
            )
            .order_by("requested_at", "id")
            .values_list("pk", flat=True)
        )
    for pk in waiting:
        _publish(pk)
    return waiting


def previous_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return last.replace(day=1), last.replace(day=calendar.monthrange(last.year, last.month)[1])


def monthly_summaries_create(*, today: datetime.date | None = None) -> int:
    """A summary of last month for every active client, built in the background. Idempotent:
    a unique constraint allows one monthly summary per client and month, so a second beat
    (or a rerun) creates nothing. Returns how many were created.

    Side effects: build tasks published after commit for the new rows.
    """
    start, end = previous_month(today or timezone.localdate())
    with transaction.atomic():
        before = SummaryRequest.objects.filter(
            kind=SummaryRequest.Kind.MONTHLY, period_start=start
        ).count()
        SummaryRequest.objects.bulk_create(
            [
                SummaryRequest(
                    kind=SummaryRequest.Kind.MONTHLY,
                    client_id=client_id,
                    period_start=start,
                    period_end=end,
                )
                for client_id in Client.objects.filter(status=Client.Status.ACTIVE)
                .order_by("id")
                .values_list("pk", flat=True)
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        new = list(
            SummaryRequest.objects.filter(
                kind=SummaryRequest.Kind.MONTHLY,
                period_start=start,
                status=SummaryRequest.Status.QUEUED,
                enqueued_at__isnull=True,
            ).values_list("pk", flat=True)
        )
        after = SummaryRequest.objects.filter(
            kind=SummaryRequest.Kind.MONTHLY, period_start=start
        ).count()
        for pk in new:
            summary_enqueue(summary_id=pk)
    return after - before
