"""A client's request for a copy of their own record (HIPAA right of access, 45 CFR 164.524)
and its release. The law sets the deadline: 30 days from the request, extendable once by 30
days with a written reason given to the client, so both dates are kept."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from hrp import bounds, formats

# 45 CFR 164.524(b)(2): act within 30 days of the request; one extension of at most 30 days.
RESPONSE_DAYS = 30
EXTENSION_DAYS = 30


class RecordRequest(models.Model):
    DATE_RANGES = {"requested_on": bounds.HISTORY}

    class Format(models.TextChoices):
        BOTH = "both", _("PDF to read and FHIR file for other systems")
        PDF = "pdf", _("PDF to read")
        FHIR = "fhir", _("FHIR file for other systems (JSON)")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="record_requests")
    requested_on = models.DateField(_("requested on"))
    format = models.CharField(
        _("what the client asked for"), max_length=8, choices=Format, default=Format.BOTH
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # The one extension the rule allows, with the reason the client was told.
    extended_on = models.DateField(_("extended on"), null=True, blank=True)
    extension_reason = models.CharField(_("reason for the extension"), max_length=500, blank=True)
    released_on = models.DateField(_("released on"), null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # SHA-256 of what was given (the documents themselves are not kept a second time).
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    json_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_on", "-id"]
        indexes = [models.Index(fields=["client", "-requested_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(released_on__isnull=True) | Q(released_on__gte=F("requested_on")),
                name="record_request_released_after_request",
                violation_error_message=_("A copy cannot be released before it was requested."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(released_on__isnull=True, released_by__isnull=True, released_at__isnull=True)
                    | Q(
                        released_on__isnull=False,
                        released_by__isnull=False,
                        released_at__isnull=False,
                    )
                ),
                name="record_request_release_complete",
            ),
            models.CheckConstraint(
                condition=Q(extended_on__isnull=True) | ~Q(extension_reason=""),
                name="record_request_extension_has_reason",
                violation_error_message=_("Say why the copy needs more time."),
            ),
        ]

    def __str__(self) -> str:
        return f"Record request {formats.iso_date(self.requested_on)}"

    @property
    def due_on(self) -> datetime.date:
        """The legal deadline: 30 days from the request, 60 once extended."""
        days = RESPONSE_DAYS + (EXTENSION_DAYS if self.extended_on else 0)
        return self.requested_on + datetime.timedelta(days=days)

    def overdue(self, today: datetime.date | None = None) -> bool:
        return self.released_on is None and (today or timezone.localdate()) > self.due_on
