"""A request for a progress summary and, once built, its result.

A row is the whole life of one summary: queued when asked for, running while a worker builds
it, then done (with the page's HTML, encrypted, and its hash) or failed (with a short code that
names no clinical detail). The page is written in the same transaction that sets "done", and
constraints make "content without done" and "done without content" impossible, so no
half-written summary can ever be shown.

The PDF is made from the stored page: at once for a summary a person asked for, on its first
download for the monthly round's (services.summary_download). So a done row has its page and
`content_hash` always, and its PDF with `pdf_hash` once made; the two hashes are checked
separately, so a summary is verifiable before it has a PDF.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from hrp.crypto import EncryptedBinaryField, EncryptedTextField, Unreadable, UnreadableBytes


class SummaryRequest(models.Model):
    class Kind(models.TextChoices):
        CLIENT = "client", _("Requested")
        MONTHLY = "monthly", _("Monthly")
        CASELOAD = "caseload", _("Caseload")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        # A technical outcome, not a clinical one; pages say "could not be prepared".
        FAILED = "failed", _("Could not be prepared")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CLIENT)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="summary_requests"
    )
    # For a caseload summary: the supervisor whose supervisees' clients it covers.
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caseload_summaries",
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    # Null for the monthly summaries beat asks for.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # When the task was last handed to the broker; null while it never reached it (Redis
    # down), which is what `requeue_stale` looks for.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A short machine code ("render_error", "timeout"...), never clinical content.
    error_code = models.CharField(max_length=32, blank=True)
    # The PDF and the summary's HTML body: both hold PHI, so both are stored encrypted (and
    # rotated with every other encrypted field, hrp.crypto.registry()).
    pdf = EncryptedBinaryField(null=True, blank=True, editable=False)
    html = EncryptedTextField(null=True, blank=True, editable=False)
    # SHA-256 of the plaintext page (`html`): the summary's content, checked before the page is
    # shown and before a PDF is made from it. Named as on every hashed model, so key rotation
    # and the backup check (which look for a non-empty `content_hash`) verify every done
    # summary, with or without its PDF.
    content_hash = models.CharField(max_length=64, blank=True)
    # SHA-256 of the plaintext PDF, once made; checked before every download.
    pdf_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["status", "requested_at"]),
            models.Index(fields=["client", "-requested_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="summary_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="summary_period_in_order",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="caseload", supervisor__isnull=False, client__isnull=True)
                    | (~Q(kind="caseload") & Q(client__isnull=False, supervisor__isnull=True))
                ),
                name="summary_has_one_subject",
            ),
            # Content exists exactly when the summary is done: never a partial page. A done
            # summary may lack its PDF (made on first download), never its page; a PDF comes
            # with its hash.
            models.CheckConstraint(
                condition=(
                    Q(status="done", html__isnull=False, progress=100)
                    & ~Q(content_hash="")
                    & (Q(pdf__isnull=True, pdf_hash="") | (Q(pdf__isnull=False) & ~Q(pdf_hash="")))
                )
                | (
                    ~Q(status="done")
                    & Q(pdf__isnull=True, html__isnull=True, content_hash="", pdf_hash="")
                ),
                name="summary_content_only_when_done",
            ),
            # Beat may run twice by mistake: still one monthly summary per client and month.
            models.UniqueConstraint(
                fields=["client", "period_start"],
                condition=Q(kind="monthly"),
                name="one_monthly_summary_per_client_and_month",
            ),
        ]

    def __str__(self) -> str:
        return f"Summary {self.pk} ({self.kind}, {self.period_start} to {self.period_end})"

    @property
    def is_pending(self) -> bool:
        """Still to finish: the status fragment keeps polling."""
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def progress_step(self) -> int:
        """Progress rounded down to a step of 10, for the bar's width class (no inline style)."""
        return max(0, min(100, self.progress // 10 * 10))

    def html_body(self) -> str | None:
        """The decrypted page, or None unless done and intact (`content_hash` checked)."""
        if not self.is_done or self.html is None or isinstance(self.html, Unreadable):
            return None
        if hashlib.sha256(self.html.encode()).hexdigest() != self.content_hash:
            return None
        return self.html

    def pdf_bytes(self) -> bytes | None:
        """The decrypted PDF, or None unless done, made already and intact: its own hash and
        that of the page it was made from are both checked."""
        if self.html_body() is None or self.pdf is None or isinstance(self.pdf, UnreadableBytes):
            return None
        pdf = bytes(self.pdf)
        if hashlib.sha256(pdf).hexdigest() != self.pdf_hash:
            return None
        return pdf

    def hash_verified(self) -> bool:
        """The stored page matches `content_hash`, and the PDF, when one is stored, matches
        `pdf_hash` (key rotation checks it, hrp.crypto.HASH_CHECK; so does the backup check)."""
        if self.html_body() is None:
            return False
        return self.pdf is None or self.pdf_bytes() is not None
