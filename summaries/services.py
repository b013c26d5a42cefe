"""Writes for progress summaries: asking for one, preparing it (the worker's part), trying
again after a failure, re-enqueueing what never reached a worker, and the monthly round.

How a summary survives faults:
- The request is a database row first; the task is published only after commit, and a broker
  error (Redis down) is caught and logged, so the page that asked still answers and the row
  stays queued. `summary_requeue_stale` (beat, every minute) publishes it again later.
- Preparing claims the row under a row lock, so a second delivery of the same task (acks-late
  redelivery, a duplicate from the requeue) finds it running or done and does nothing.
- The page's HTML (and, for a summary a person asked for, its PDF) is written in the same
  transaction that sets "done"; a failure at any step sets "failed" with a short code and
  stores no bytes (a database constraint enforces it too). A monthly summary's PDF is made on
  its first download (`summary_download`), from the stored page once its hash verifies.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
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

from clients.models import Client, Consent
from disclosures import services as disclosure_services
from disclosures.report import REDISCLOSURE_NOTICE
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
# The monthly round publishes its summaries in groups of this many (one task each); a group
# takes well under a minute on one core, and a worker's memory holds one group's figures.
MONTHLY_GROUP_SIZE = 25
# A group task hands what is left to a new task after this long, well before its time limit.
GROUP_BUDGET_SECONDS = 240

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


def _publish_group(summary_ids: list[int]) -> bool:
    """`_publish` for a group of summaries: one task, its arguments the ids only."""
    options: dict[str, Any] = {"retry": False}
    queue = getattr(settings, "SUMMARIES_QUEUE", None)
    if queue:
        options["queue"] = queue
    try:
        tasks.build_summaries.apply_async(args=[summary_ids], **options)
    except BROKER_ERRORS as error:
        logger.warning(
            "%d summaries not enqueued (%s); they stay queued for requeue_stale",
            len(summary_ids),
            type(error).__name__,
        )
        return False
    except Exception as error:
        # Eager mode only, as in _publish.
        logger.error("summary group build raised %s", type(error).__name__)
        return True
    SummaryRequest.objects.filter(
        pk__in=summary_ids, status=SummaryRequest.Status.QUEUED, enqueued_at__isnull=True
    ).update(enqueued_at=timezone.now())
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


# The body template, its context and the chart number for the PDF's title.
Prepared = tuple[str, dict[str, Any], str]


def _content(summary: SummaryRequest) -> Prepared:
    """The body template, its context and the chart number for the summary's kind."""
    if summary.kind == SummaryRequest.Kind.CASELOAD:
        supervisor = User.objects.get(pk=summary.supervisor_id)
        rows = selectors.caseload_summary(supervisor, summary.period_start, summary.period_end)
        context = {
            "rows": rows,
            "supervisor": supervisor,
            "start": summary.period_start,
            "end": summary.period_end,
            "prepared_at": timezone.now(),
        }
        return "summaries/_caseload_body.html", context, ""
    client = selectors.summary_client(summary.client_id)
    data = selectors.summary_data(client, summary.period_start, summary.period_end)
    return "summaries/_summary_body.html", {"data": data}, client.chart_number


def summary_build(*, summary_id: int) -> str:
    """Prepare the summary `summary_id`: figures, page and, for a summary a person asked for
    (requested or caseload), its PDF. Returns what happened ("done", "failed", "skipped").
    Idempotent: a done or running (live worker) summary is left alone.

    A monthly summary is stored without its PDF, whichever task prepares it: WeasyPrint is
    nine tenths of a summary's cost, the round prepares one for every active client and most
    are read on the page if at all, so its PDF is made on first download (`summary_download`).
    A summary someone asked for is awaited by that person, so its PDF is ready when the page
    says "Ready" (and a PDF failure shows as this summary's failure, with "try again").

    Progress moves 10 (claimed) / 40 (figures) / 70 (page) / 100 (stored), each in its own
    short transaction. The page (with `content_hash`) and the PDF (with `pdf_hash`), encrypted,
    are stored in the transaction that sets "done". Any failure sets "failed" with a short code
    and stores nothing, except a transient database error, which puts the row back in the
    queue and re-raises for the task to retry.

    Side effects: none outside the row (no audit: no person reads anything here).
    """
    return _build(summary_id, _content)


def _pdf(
    summary: SummaryRequest,
    body: str,
    chart_number: str,
    *,
    client: Client | None = None,
    recipient: Consent | None = None,
) -> bytes:
    """The PDF of a summary's page (its body HTML in the print document). With `recipient`
    (a consent), the copy that leaves the clinic: it names the recipient and the consent on
    its first page and carries the redisclosure notice (42 CFR §2.32). Raises
    RemoteResourceRefused when the page asked for anything from outside.

    The clinic's own copy (no recipient) of a client's summary (`client`, loaded with their
    therapist) names, on its first page, the
    client (as they are called and their legal name), the chart number, the clinician and the
    clinic, as a printed chart page does; a copy that leaves the clinic names only the chart
    number (the recipient knows whom the consent is about), and the page in the app shows the
    chart's header already."""
    named = None if recipient is not None else client
    document = render_to_string(
        "summaries/summary_pdf.html",
        {
            "body": body,
            "summary": summary,
            "chart_number": chart_number,
            "recipient": recipient,
            "named": named,
            "clinic_name": settings.CLINIC_NAME,
            "notice": REDISCLOSURE_NOTICE if recipient is not None else "",
        },
    )
    fetcher = OfflineFetcher()
    pdf = html_to_pdf(document, fetcher)
    if fetcher.refused:
        raise RemoteResourceRefused(f"{len(fetcher.refused)} URL(s) refused")
    return pdf


def _build(summary_id: int, prepare: Callable[[SummaryRequest], Prepared]) -> str:
    """summary_build's steps, with the figures from `prepare` (read for this summary alone,
    or taken from what summaries_build read for its whole group)."""
    summary = _claim(summary_id, timezone.now())
    if summary is None:
        return "skipped"
    try:
        body_template, context, chart_number = prepare(summary)
        _progress(summary, PROGRESS_DATA)
        body = render_to_string(body_template, context)
        _progress(summary, PROGRESS_RENDERED)
        stored_pdf: dict[str, Any] = {}
        if summary.kind != SummaryRequest.Kind.MONTHLY:
            data = context.get("data")
            pdf = _pdf(summary, body, chart_number, client=data.client if data else None)
            stored_pdf = {"pdf": pdf, "pdf_hash": hashlib.sha256(pdf).hexdigest()}
        with transaction.atomic():
            stored = SummaryRequest.objects.filter(
                pk=summary.pk, status=SummaryRequest.Status.RUNNING, attempts=summary.attempts
            ).update(
                status=SummaryRequest.Status.DONE,
                progress=PROGRESS_DONE,
                # Encrypted by the fields themselves (hrp.crypto).
                html=body,
                content_hash=hashlib.sha256(body.encode()).hexdigest(),
                **stored_pdf,
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


def _group_data(summary_ids: list[int]) -> dict[int, Prepared]:
    """The figures of every client summary in the group still to prepare, read together: a
    fixed number of queries per period (the monthly round has one period), whatever the
    number of clients."""
    waiting = (
        SummaryRequest.objects.filter(
            pk__in=summary_ids,
            status__in=(SummaryRequest.Status.QUEUED, SummaryRequest.Status.RUNNING),
        )
        .exclude(kind=SummaryRequest.Kind.CASELOAD)
        .values_list("pk", "client_id", "period_start", "period_end")
    )
    by_period: dict[tuple[datetime.date, datetime.date], dict[int, int]] = defaultdict(dict)
    for pk, client_id, start, end in waiting:
        by_period[start, end][pk] = client_id
    prepared: dict[int, Prepared] = {}
    for (start, end), client_of in by_period.items():
        clients = selectors.summary_clients(set(client_of.values()))
        data = selectors.summaries_data(list(clients.values()), start, end)
        for pk, client_id in client_of.items():
            if client_id in data:
                prepared[pk] = (
                    "summaries/_summary_body.html",
                    {"data": data[client_id]},
                    clients[client_id].chart_number,
                )
    return prepared


def summaries_build(*, summary_ids: list[int], budget_seconds: float | None = None) -> Counter[str]:
    """Prepare a group of summaries (the monthly round publishes its rows in groups): the
    figures of the whole group are read first, in a fixed number of queries, then each
    summary is claimed, rendered and stored exactly as `summary_build` does it (a monthly
    summary's page only, its PDF made on first download), with the same outcomes and
    idempotence. Returns how many were done, failed, skipped.

    A group that would outlast its task's time limit hands what is left to a new task once
    `budget_seconds` have passed (never a summary half-done: each is claimed on its own).
    If the group's reads fail for any reason but a transient one, each summary is prepared on
    its own, so one client's data can only fail that client's summary.

    Side effects: none outside the rows; possibly a task for the rest of the group.
    """
    began = time.monotonic()
    try:
        prepared = _group_data(summary_ids)
    except TRANSIENT_DB_ERRORS:
        raise
    except Exception as error:
        logger.error("summary group reads failed (%s); one at a time", type(error).__name__)
        prepared = {}
    outcomes: Counter[str] = Counter()
    for index, pk in enumerate(summary_ids):
        if budget_seconds is not None and time.monotonic() - began > budget_seconds:
            _publish_group(summary_ids[index:])
            outcomes["handed_on"] += len(summary_ids) - index
            break
        group_content = prepared.get(pk)
        if group_content is None:
            outcomes[_build(pk, _content)] += 1
        else:
            outcomes[_build(pk, lambda _summary, found=group_content: found)] += 1
    return outcomes


# --- Downloading a summary ---------------------------------------------------------------------


class SummaryPdfFailed(Exception):
    """The PDF of a verified page could not be made (the page itself can still be shown)."""


def summary_download(*, actor: User, summary: SummaryRequest) -> bytes | None:
    """The summary's PDF for `actor`, made from the stored page on its first download (the
    monthly round stores pages only, see `summary_build`). None when the summary is not done
    or cannot be verified: a page whose `content_hash` does not match is never turned into a
    PDF, and a stored PDF whose `pdf_hash` does not match is never served. `summary` comes
    from selectors.summary_for (access checked there) with its bytes loaded.

    The PDF is made outside any transaction (a few hundred milliseconds of WeasyPrint must not
    hold a row lock) and stored by a conditional update of the row: only while it is still
    done, without a PDF, and with the page that was verified. Two first downloads at once both
    render; the one stored first is what both serve (the second reads it back), so everyone
    gets the same bytes from then on. Raises SummaryPdfFailed when rendering fails (the
    error's type is logged, never its message).

    Side effects: access event `summary.download` (as every download); the PDF and its hash
    stored on the row when made.
    """
    body = summary.html_body()
    if body is None:
        return None
    pdf = summary.pdf_bytes()
    if pdf is None and summary.pdf is not None:
        return None  # a PDF is stored but does not verify: never replaced silently
    if pdf is None:
        chart_number = summary.client.chart_number if summary.client else ""
        try:
            made = _pdf(summary, body, chart_number, client=summary.client)
        except Exception as error:
            logger.error("summary %s PDF could not be made: %s", summary.pk, type(error).__name__)
            raise SummaryPdfFailed(_error_code(error)) from error
        stored = SummaryRequest.objects.filter(
            pk=summary.pk,
            status=SummaryRequest.Status.DONE,
            pdf__isnull=True,
            content_hash=summary.content_hash,
        ).update(pdf=made, pdf_hash=hashlib.sha256(made).hexdigest())
        if stored:
            summary.pdf, summary.pdf_hash = made, hashlib.sha256(made).hexdigest()
            pdf = made
        else:
            # Someone else's first download stored its PDF meanwhile: serve that one.
            summary.refresh_from_db(fields=["status", "html", "content_hash", "pdf", "pdf_hash"])
            pdf = summary.pdf_bytes()
            if pdf is None:
                return None
    audit_record(
        category=AuditEvent.Category.ACCESS,
        action=AuditAction.SUMMARY_DOWNLOAD,
        actor=actor,
        obj=summary,
        chart_number=summary.client.chart_number if summary.client else "",
    )
    return pdf


def summary_disclose(
    *, actor: User, summary: SummaryRequest, consent: Consent | None
) -> bytes | None:
    """The client's progress summary as a PDF for the recipient of `consent`, recorded as a
    disclosure like an attendance report. `summary` comes from selectors.summary_for with its
    bytes loaded; the caller checked the actor is the treating clinician.

    The copy is made from the verified page (never from an unverified one) with the recipient
    and the redisclosure notice, and is not stored: the accounting keeps its SHA-256.
    Side effects: a `Disclosure` and the audit event `disclosure.progress_summary`
    (disclosures.services.summary_disclosure_record). Raises ValidationError, recording
    nothing, without a consent in force allowing a treatment summary; Http404-worthy states
    (not done, not verified) return None."""
    if summary.client is None:
        raise ValidationError(_("A caseload summary covers many clients: it is never disclosed."))
    body = summary.html_body()
    if body is None:
        return None
    client = summary.client

    def render(locked: Consent) -> bytes:
        try:
            return _pdf(summary, body, client.chart_number, recipient=locked)
        except Exception as error:
            logger.error("summary %s PDF could not be made: %s", summary.pk, type(error).__name__)
            raise SummaryPdfFailed(_error_code(error)) from error

    if consent is None:
        # Refuse with the service's own message (and nothing recorded).
        disclosure_services.check_summary_consent(
            client=client, consent=None, today=timezone.localdate()
        )
    assert consent is not None
    _disclosure, pdf = disclosure_services.summary_disclosure_record(
        actor=actor,
        client=client,
        consent=consent,
        period_start=summary.period_start,
        period_end=summary.period_end,
        render=render,
    )
    return pdf


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


def monthly_summaries_create(
    *, today: datetime.date | None = None, group_size: int = MONTHLY_GROUP_SIZE
) -> int:
    """A summary of last month for every active client, built in the background. Idempotent:
    a unique constraint allows one monthly summary per client and month, so a second beat
    (or a rerun) creates nothing. Returns how many were created.

    Side effects: after commit, one build task per `group_size` new rows (ids only).
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
            )
            .order_by("id")
            .values_list("pk", flat=True)
        )
        after = SummaryRequest.objects.filter(
            kind=SummaryRequest.Kind.MONTHLY, period_start=start
        ).count()
        # Groups, not one task per client: a group's figures are read in a fixed number of
        # queries, and 20,000 clients make 800 messages rather than 20,000.
        for index in range(0, len(new), group_size):
            transaction.on_commit(partial(_publish_group, new[index : index + group_size]))
    return after - before
